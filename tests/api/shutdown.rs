//! SIGTERM under load: the real binary stops accepting, finishes every request it was sent,
//! and exits 0 within its shutdown timeout.
//!
//! What counts as a failed request: any response other than 200, and any transport error
//! except a refused connection. A refused connection is what a client meets after the
//! listener has closed; it is the signal to go to another replica, and nothing was sent.
//! A connection reset, a connection closed before the response, a truncated body or a
//! timeout all mean the server dropped a request it had been sent, and fail the test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::Cli;
use crate::on_both_backends;
use crate::server_process::{ServerProcess, eventually};
use crate::support::{Db, TestDatabase};

on_both_backends!(sigterm_under_load_fails_no_request_and_exits_zero);

const CLIENTS: usize = 6;
const PASSWORD: &str = "Shutdown-Test-Pw-1";
const SHUTDOWN_TIMEOUT_SECONDS: u64 = 20;

#[derive(Default)]
struct Tally {
    succeeded: AtomicUsize,
    succeeded_after_signal: AtomicUsize,
    refused: AtomicUsize,
    failures: std::sync::Mutex<Vec<String>>,
}

enum Sent {
    Ok(Value),
    Refused,
}

/// A refused TCP connection, and nothing else, is an acceptable way for a request to end.
fn is_refused(error: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return error.is_connect();
        }
        source = cause.source();
    }
    false
}

async fn send(
    http: &reqwest::Client,
    url: &str,
    body: &Value,
    tally: &Tally,
    signalled: &AtomicBool,
) -> Result<Sent, String> {
    let response = match http.post(url).json(body).send().await {
        Ok(response) => response,
        Err(error) if is_refused(&error) => {
            tally.refused.fetch_add(1, Ordering::SeqCst);
            return Ok(Sent::Refused);
        }
        Err(error) => return Err(format!("{url}: {error:?}")),
    };
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("{url}: body cut short: {e:?}"))?;
    if status != 200 {
        return Err(format!("{url}: {status} {text}"));
    }
    tally.succeeded.fetch_add(1, Ordering::SeqCst);
    if signalled.load(Ordering::SeqCst) {
        tally.succeeded_after_signal.fetch_add(1, Ordering::SeqCst);
    }
    serde_json::from_str(&text)
        .map_err(|e| format!("{url}: {e}: {text}"))
        .map(Sent::Ok)
}

/// Signs in, refreshes a few times, signs in again… until the server refuses connections.
async fn client(address: String, user: String, tally: Arc<Tally>, signalled: Arc<AtomicBool>) {
    // One client per simulated user, so each holds its own keep-alive connection.
    let http = crate::helpers::http_client();
    let login = json!({"UserName": user, "TenantName": "acme", "Password": PASSWORD});
    let result: Result<(), String> = async {
        loop {
            let Sent::Ok(body) = send(
                &http,
                &format!("{address}/Login"),
                &login,
                &tally,
                &signalled,
            )
            .await?
            else {
                return Ok(());
            };
            let mut refresh_token = body["cognitoToken"]["AuthenticationResult"]["RefreshToken"]
                .as_str()
                .ok_or("no refresh token")?
                .to_owned();
            for _ in 0..3 {
                let Sent::Ok(body) = send(
                    &http,
                    &format!("{address}/RefreshToken"),
                    &json!({"RefreshToken": refresh_token}),
                    &tally,
                    &signalled,
                )
                .await?
                else {
                    return Ok(());
                };
                refresh_token = body["cognitoToken"]["AuthenticationResult"]["RefreshToken"]
                    .as_str()
                    .ok_or("no rotated refresh token")?
                    .to_owned();
            }
        }
    }
    .await;
    if let Err(failure) = result {
        tally.failures.lock().unwrap().push(failure);
    }
}

async fn sigterm_under_load_fails_no_request_and_exits_zero(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    let users: Vec<String> = (0..CLIENTS).map(|i| format!("user{i}")).collect();
    let seed = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed,
        json!({"Pools": [{"Name": "acme", "Users": users.iter()
            .map(|u| json!({"Username": u, "Password": PASSWORD}))
            .collect::<Vec<_>>()}]})
        .to_string(),
    )
    .unwrap();
    cli.ok(&["seed", seed.to_str().unwrap()], "");

    // One hashing worker and a real (if small) Argon2 cost, so sign-ins queue up and some
    // are waiting or hashing when the signal arrives.
    let timeout = SHUTDOWN_TIMEOUT_SECONDS.to_string();
    let mut server = ServerProcess::spawn(
        &cli,
        &[
            ("GATEHOUSE_HASH_WORKERS", "1"),
            ("GATEHOUSE_ARGON2_MEMORY_KIB", "8192"),
            ("GATEHOUSE_ARGON2_ITERATIONS", "2"),
            ("GATEHOUSE_SIGN_IN_RATE_PER_IP", "0"),
            ("GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS", &timeout),
        ],
    )
    .listening()
    .await;

    let tally = Arc::new(Tally::default());
    let signalled = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = users
        .iter()
        .map(|user| {
            tokio::spawn(client(
                server.address.clone(),
                user.clone(),
                tally.clone(),
                signalled.clone(),
            ))
        })
        .collect();
    eventually("load to build up", Duration::from_secs(60), || {
        tally.succeeded.load(Ordering::SeqCst) >= CLIENTS * 4
            || !tally.failures.lock().unwrap().is_empty()
    })
    .await;

    signalled.store(true, Ordering::SeqCst);
    let signal_sent = Instant::now();
    server.terminate();
    let status = server
        .exit_status(Duration::from_secs(SHUTDOWN_TIMEOUT_SECONDS + 10))
        .await;
    let took = signal_sent.elapsed();
    for client in clients {
        tokio::time::timeout(Duration::from_secs(30), client)
            .await
            .expect("every client stops once connections are refused")
            .unwrap();
    }

    let failures = tally.failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "requests failed during shutdown: {failures:#?}\nserver log:\n{}",
        server.log_text()
    );
    assert!(
        status.success(),
        "exit status {status}:\n{}",
        server.log_text()
    );
    assert!(
        took < Duration::from_secs(SHUTDOWN_TIMEOUT_SECONDS),
        "shutdown took {took:?}"
    );
    assert!(
        tally.succeeded_after_signal.load(Ordering::SeqCst) > 0,
        "requests in flight when the signal arrived were answered"
    );
    assert_eq!(
        tally.refused.load(Ordering::SeqCst),
        CLIENTS,
        "each client ended on a refused connection"
    );
    assert_eq!(server.logged("every connection closed; stopping"), 1);
    assert_eq!(server.logged("gatehouse stopped"), 1);
}
