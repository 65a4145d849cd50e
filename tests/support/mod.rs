//! Test databases on both backends, shared by the API tests and the store contract suite.
//!
//! SQLite: a fresh file in a temporary directory. Postgres: a fresh database on the server
//! named by `GATEHOUSE_TEST_DATABASE_URL`, dropped when the test ends. Without that variable
//! the Postgres half is skipped, and the suite says so on standard error.

#![allow(dead_code, reason = "each test binary uses a different part")]

use std::io::Write;
use std::sync::Once;

use sqlx::{Connection, Executor, PgConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestDatabase {
    pub url: String,
    pub backend: Db,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static SKIP_BANNER: Once = Once::new();

/// The Postgres server for tests, or None (and a loud banner) when not configured.
pub fn postgres_server() -> Option<String> {
    match std::env::var("GATEHOUSE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            SKIP_BANNER.call_once(|| {
                // Written straight to the stream so the test harness does not swallow it.
                let _ = std::io::stderr().write_all(
                    b"\n\n*** GATEHOUSE_TEST_DATABASE_URL is not set: the POSTGRES HALF of this \
                      suite was SKIPPED. Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) \
                      to run it. ***\n\n",
                );
            });
            None
        }
    }
}

impl TestDatabase {
    pub async fn create(backend: Db) -> Option<Self> {
        match backend {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("gatehouse.db").display());
                Some(Self {
                    url,
                    backend,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Db::Postgres => {
                let server = postgres_server()?;
                let name = format!("gatehouse_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::connect(&server)
                    .await
                    .expect("connect to GATEHOUSE_TEST_DATABASE_URL");
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .expect("create test database");
                let url = with_database(&server, &name);
                Some(Self {
                    url,
                    backend,
                    _dir: None,
                    postgres: Some((server, name)),
                })
            }
        }
    }
}

/// Replaces the database name in a Postgres URL.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async code; a private runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&server).await {
                    let _ = admin
                        .execute(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .await;
                }
            });
        })
        .join();
    }
}

/// Declares one test per backend for an async test body taking a [`Db`].
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Db::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::support::postgres_server().is_some() {
                        super::$name($crate::support::Db::Postgres).await;
                    }
                }
            }
        )*
    };
}
