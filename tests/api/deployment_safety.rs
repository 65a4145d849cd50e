//! Settings and files that would quietly open a deployment up: an unauthenticated admin API
//! on a reachable address, and secret-bearing files other users can read. Run against the
//! real binary, as an operator would start it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cli::Cli;
use crate::on_both_backends;
use crate::server_process::ServerProcess;
use crate::support::{Db, TestDatabase};

on_both_backends!(an_open_admin_api_needs_loopback_or_an_explicit_acknowledgement);

const OPEN: (&str, &str) = ("GATEHOUSE_ADMIN_AUTH", "insecure-none");

async fn an_open_admin_api_needs_loopback_or_an_explicit_acknowledgement(backend: Db) {
    let database = TestDatabase::create(backend).await.unwrap();
    let cli = Cli::new(&database);

    for bind in ["0.0.0.0:0", "[::]:0"] {
        let mut refused = ServerProcess::spawn(&cli, &[OPEN, ("GATEHOUSE_BIND", bind)]);
        let status = refused.exit_status(Duration::from_secs(60)).await;
        assert!(!status.success(), "{bind}: started with an open admin API");
        let log = refused.log_text();
        assert!(
            log.contains("GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN"),
            "{bind}: {log}"
        );
    }

    // Said in so many words: it starts, and the admin API is open as asked.
    let acknowledged = ServerProcess::spawn(
        &cli,
        &[
            OPEN,
            ("GATEHOUSE_BIND", "0.0.0.0:0"),
            ("GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN", "true"),
        ],
    )
    .listening()
    .await;
    let response = crate::helpers::http_client()
        .post(acknowledged.url("/"))
        .header("Content-Type", "application/x-amz-json-1.1")
        .header(
            "X-Amz-Target",
            "AWSCognitoIdentityProviderService.ListUserPools",
        )
        .body(json!({"MaxResults": 10}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    drop(acknowledged);

    // Loopback needs no acknowledgement: only this host can reach it.
    let local = ServerProcess::spawn(&cli, &[OPEN, ("GATEHOUSE_BIND", "127.0.0.1:0")])
        .listening()
        .await;
    assert_eq!(
        reqwest::get(local.url("/health/live"))
            .await
            .unwrap()
            .status(),
        200
    );
}

const LOOSE: &str = "file is accessible to other users; restrict it with chmod 600";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Paths the server warned about as open to other users.
fn warned_paths(server: &ServerProcess) -> Vec<String> {
    server
        .log_text()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["fields"]["message"] == LOOSE)
        .filter_map(|event| event["fields"]["path"].as_str().map(str::to_owned))
        .collect()
}

/// The embedded database and its generated key file hold password hashes, sessions and the
/// key that decrypts the signing keys: they are created owner-only, and a looser mode found
/// at start-up is warned about. (SQLite only: with Postgres there are no such files.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_key_files_are_owner_only_and_looser_modes_are_warned_about() {
    let cli = Cli {
        dir: tempfile::tempdir().unwrap(),
        env: vec![
            (
                "GATEHOUSE_DATABASE_URL".into(),
                "sqlite://gatehouse.db".into(),
            ),
            ("GATEHOUSE_ARGON2_MEMORY_KIB".into(), "256".into()),
            ("GATEHOUSE_ARGON2_ITERATIONS".into(), "1".into()),
            (
                "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING".into(),
                "true".into(),
            ),
        ],
    };
    let dir = cli.dir.path().to_owned();
    let files = [
        "gatehouse.db",
        "gatehouse.db-wal",
        "gatehouse.db-shm",
        "gatehouse.kek",
    ];

    let first = ServerProcess::spawn(&cli, &[]).listening().await;
    for file in files {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    assert!(warned_paths(&first).is_empty(), "{}", first.log_text());
    drop(first);

    // An operator (or a restore from backup) left them readable by everyone.
    for file in ["gatehouse.db", "gatehouse.kek"] {
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let second = ServerProcess::spawn(&cli, &[]).listening().await;
    let warned = warned_paths(&second);
    for file in ["gatehouse.db", "gatehouse.kek"] {
        assert!(
            warned.iter().any(|path| path.ends_with(file)),
            "{file} not warned about: {warned:?}"
        );
    }
    // Still serving: a warning, not a refusal.
    assert_eq!(
        reqwest::get(second.url("/health/live"))
            .await
            .unwrap()
            .status(),
        200
    );
}
