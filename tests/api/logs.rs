//! A full run of the real binary, then a search of everything it logged for secrets.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::Cli;
use crate::on_both_backends;
use crate::support::{Db, TestDatabase};

on_both_backends!(no_password_token_or_key_appears_in_the_logs);

pub(crate) struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
    pub(crate) address: String,
}

impl Server {
    /// Starts `gatehouse serve` on a free port, with debug logging, and waits for it.
    pub(crate) fn start(cli: &Cli, seed: &std::path::Path) -> Self {
        let mut child = cli
            .command()
            .args(["serve", "--seed"])
            .arg(seed)
            .env("GATEHOUSE_BIND", "127.0.0.1:0")
            .env("GATEHOUSE_LOG", "debug")
            .env("GATEHOUSE_LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut server = Self {
            child,
            lines,
            log: Vec::new(),
            address: String::new(),
        };
        while server.address.is_empty() {
            let line = server
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the server logs that it is listening");
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["fields"]["message"] == "gatehouse listening"
            {
                server.address = event["fields"]["address"].as_str().unwrap().to_owned();
            }
            server.log.push(line);
        }
        server
    }

    /// Stops the server and returns everything it wrote.
    pub(crate) fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.log.push(line);
        }
        self.log.join("\n")
    }
}

async fn no_password_token_or_key_appears_in_the_logs(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);
    let seed_path = cli.dir.path().join("seed.json");
    std::fs::write(
        &seed_path,
        json!({"Pools": [{"Name": "acme", "Users": [
            {"Username": "alice", "Password": "Alice-Secret-Pw-1", "Attributes": {"email": "alice@example.com"}},
            {"Username": "bob", "Password": "Bob-Temporary-Pw-2", "Temporary": true}
        ]}]})
        .to_string(),
    )
    .unwrap();
    let server = Server::start(&cli, &seed_path);
    let http = crate::helpers::http_client();
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", server.address))
            .json(&body)
            .send()
    };

    let mut secrets: Vec<String> = vec![
        "Alice-Secret-Pw-1".into(),
        "Bob-Temporary-Pw-2".into(),
        "Bob-Chosen-Pw-3".into(),
        "Wrong-Guess-Pw-4".into(),
    ];
    secrets.extend(
        cli.env
            .iter()
            .filter(|(k, _)| k.contains("PEPPER") || k.contains("KEY"))
            .map(|(_, v)| v.clone()),
    );

    let ok: Value = post(
        "/Login",
        json!({"UserName": "alice", "TenantName": "acme", "Password": "Alice-Secret-Pw-1"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    for token in ["IdToken", "AccessToken", "RefreshToken"] {
        let value = ok["cognitoToken"]["AuthenticationResult"][token]
            .as_str()
            .unwrap();
        secrets.push(value.to_owned());
        // Signatures and payloads separately, in case a log cut a token apart.
        secrets.extend(
            value
                .split('.')
                .filter(|part| part.len() > 20)
                .map(str::to_owned),
        );
    }
    let wrong = post(
        "/Login",
        json!({"UserName": "alice", "TenantName": "acme", "Password": "Wrong-Guess-Pw-4"}),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    let typed = post(
        "/Login",
        json!({"UserName": "alice", "TenantName": "acme", "Password": 73_519_284}),
    )
    .await
    .unwrap();
    assert_eq!(typed.status(), 400);
    secrets.push("73519284".into());
    let challenge: Value = post(
        "/Login",
        json!({"UserName": "bob", "TenantName": "acme", "Password": "Bob-Temporary-Pw-2"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let session = challenge["cognitoToken"]["Session"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.push(session.clone());
    let answered = post(
        "/RespondToAuthChallenge",
        json!({"TenantName": "acme", "UserName": "bob", "ChallengeName": "NEW_PASSWORD_REQUIRED",
               "Session": session, "ChallengeResponses": {"NEW_PASSWORD": "Bob-Chosen-Pw-3"}}),
    )
    .await
    .unwrap();
    assert_eq!(answered.status(), 200);
    let jwks = http
        .get(format!("{}/health/ready", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);

    let log = server.stop();
    assert!(
        log.contains("\"event\":\"sign_in\""),
        "the run was logged at all"
    );
    assert!(log.contains("\"status\":401"), "failures are logged too");

    // The encrypted private keys and the password hashes, straight from the database.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&database.url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as("SELECT private_key FROM signing_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    secrets.extend(rows.into_iter().map(|(key,)| key));
    let hashes: Vec<(String,)> = sqlx::query_as("SELECT password_hash FROM users")
        .fetch_all(&pool)
        .await
        .unwrap();
    secrets.extend(hashes.into_iter().map(|(hash,)| hash));
    pool.close().await;

    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret appeared in the log: {}…",
            &secret[..6.min(secret.len())]
        );
    }
    assert!(!log.contains("PRIVATE KEY"));
}
