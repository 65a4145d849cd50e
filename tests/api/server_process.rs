//! The real `gatehouse serve` in a child process, for tests about processes: several
//! replicas, signals, exit codes. Its JSON log is collected as it is written, so the pipe
//! never fills and the test can look for what the server said.

use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::Cli;

pub struct ServerProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// Set once the process's standard error has been read to its end.
    log_closed: Arc<AtomicBool>,
    pub address: String,
}

/// Waits for `condition` to hold, checking every few milliseconds until `deadline`.
pub async fn eventually(what: &str, deadline: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl ServerProcess {
    /// Starts `gatehouse serve` with the CLI's settings plus `extra`, on a free port.
    pub fn spawn(cli: &Cli, extra: &[(&str, &str)]) -> Self {
        let mut child = cli
            .command()
            .arg("serve")
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .env("GATEHOUSE_LOG_FORMAT", "json")
            .envs(extra.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log_closed = Arc::new(AtomicBool::new(false));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        let closed = log_closed.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
            closed.store(true, Ordering::SeqCst);
        });
        Self {
            child,
            log,
            log_closed,
            address: String::new(),
        }
    }

    /// Waits until the server logs that it is listening, and records its address.
    pub async fn listening(mut self) -> Self {
        let log = self.log.clone();
        let mut address = None;
        eventually("the server to listen", Duration::from_secs(120), || {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "the server exited ({status}) before listening:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
            address = log.lock().unwrap().iter().find_map(|line| {
                let event: Value = serde_json::from_str(line).ok()?;
                // The bound port, not the public URL, which replicas share.
                (event["fields"]["message"] == "gatehouse listening")
                    .then(|| event["fields"]["port"].as_u64())?
                    .map(|port| format!("http://127.0.0.1:{port}"))
            });
            address.is_some()
        })
        .await;
        self.address = address.unwrap();
        self
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Log lines whose message is `message`.
    pub fn logged(&self, message: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|event| event["fields"]["message"] == message)
            .count()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Sends SIGTERM, as an orchestrator does to stop a replica.
    pub fn terminate(&self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    }

    /// Waits for the process to exit and its log to be read to the end, at most `deadline`
    /// (a process that exits at once could otherwise be judged on a log not yet read).
    pub async fn exit_status(&mut self, deadline: Duration) -> ExitStatus {
        let mut status = None;
        let child = &mut self.child;
        let log_closed = &self.log_closed;
        eventually("the server to exit", deadline, || {
            if status.is_none() {
                status = child.try_wait().unwrap();
            }
            status.is_some() && log_closed.load(Ordering::SeqCst)
        })
        .await;
        status.unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
