//! The one [`Store`] implementation, over sqlx's `Any` driver. Every statement here runs
//! unchanged on Postgres and SQLite (`$n` parameters, `ON CONFLICT`, `RETURNING`, partial
//! indexes), so there is no per-backend branch in any query; what differs lives in
//! `postgres.rs` and `sqlite.rs`.
//!
//! This file holds the connection pool, migrations and what every query shares (the retry
//! wrapper, column readers); the queries live with their aggregate: `pools.rs` (pools and
//! app clients), `users.rs`, `groups.rs`, `codes.rs` (sign-up confirmation codes), `outbox.rs` (messages awaiting delivery),
//! `sessions.rs` (sessions, refresh tokens, challenges), `lockout.rs`, `keys.rs` and
//! `housekeeping.rs`.

mod aliases;
mod authorization;
mod branding;
mod codes;
mod custom_auth_sessions;
mod groups;
mod housekeeping;
mod keys;
mod lockout;
mod mfa;
mod oauth;
mod outbox;
mod pools;
mod sessions;
mod srp_challenges;
mod user_search;
mod users;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Connection, Row, SqlSafeStr};

use super::errors::classify;
use super::liveness;
use super::migrate::{self, MigrationReport, Migrator, SchemaStatus};
use super::retry::{Replay, RetryPolicy, retrying};
use super::{Backend, ConnectionUsage, Store, StoreError, postgres, sqlite};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "the database schema is at version {database}, newer than this Gatehouse binary \
         understands (version {binary}); run a Gatehouse release at least as new as the one \
         that migrated this database"
    )]
    NewerSchema { database: i64, binary: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("migration failed")]
    Failed(#[source] super::DbCause),
}

/// A statement on its way to the database, its parameters bound one by one.
type Statement = sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>;

pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    retry: RetryPolicy,
    /// Kept for the SQLite migration lock file; never printed (it may hold a password).
    url: String,
    /// SQLite only: its writers take turns, and one that finds the write lock taken polls
    /// with sleeps growing to 100 ms (busy_timeout). Under concurrent sign-ins and refreshes
    /// those sleeps, not the writes, made the latency (p99 near a second). The hot write
    /// transactions of this process queue here first, so the lock passes straight to the
    /// next one; other processes (the CLI) still meet busy_timeout.
    writers: Option<tokio::sync::Mutex<()>>,
}

impl fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Which backend a database URL names, or why it names none.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else {
        Err("the database URL must start with postgres://, postgresql:// or sqlite:".into())
    }
}

/// How the connection pool behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// The longest a request waits for a connection, connecting included. While the
    /// database is down every request waits this long and is then answered 503, so it
    /// bounds how long clients hang during an outage; it is also the retry budget.
    pub acquire_timeout: Duration,
    /// How long an unused connection stays open; `None` picks the backend's default
    /// (`idle_timeout_default`). Closing idle connections is what gives their memory back.
    pub idle_timeout: Option<Duration>,
}

impl ConnectOptions {
    pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
    /// SQLite: each pooled connection keeps, in this process, a worker thread, its page
    /// cache and its prepared statements (tens of MiB across the pool after a busy spell).
    /// Reopening one is a file open and four pragmas, so unused ones are closed quickly:
    /// the pool looks every `idle_timeout`, so one is closed 3 to 6 s after its last use.
    pub const SQLITE_IDLE_TIMEOUT: Duration = Duration::from_secs(3);
    /// Postgres: a connection costs a network handshake and authentication, and its caches
    /// live in the database server, so the pool keeps unused ones 10 minutes (sqlx's default).
    pub const POSTGRES_IDLE_TIMEOUT: Duration = Duration::from_secs(600);

    /// The idle timeout used on `backend` when none is configured.
    pub fn idle_timeout_default(backend: Backend) -> Duration {
        match backend {
            Backend::Sqlite => Self::SQLITE_IDLE_TIMEOUT,
            Backend::Postgres => Self::POSTGRES_IDLE_TIMEOUT,
        }
    }
}

impl SqlStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(
            url,
            ConnectOptions {
                max_connections,
                acquire_timeout: ConnectOptions::DEFAULT_ACQUIRE_TIMEOUT,
                idle_timeout: None,
            },
        )
        .await
    }

    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, StoreError> {
        let ConnectOptions {
            max_connections,
            acquire_timeout,
            idle_timeout,
        } = options;
        sqlx::any::install_default_drivers();
        let backend = backend_of(url).map_err(StoreError::internal)?;
        let url = match backend {
            Backend::Sqlite => sqlite::normalise_url(url),
            Backend::Postgres => url.to_owned(),
        };
        if backend == Backend::Sqlite {
            sqlite::create_owner_only(&url)?;
        }
        let options = AnyConnectOptions::from_str(&url).map_err(classify)?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(acquire_timeout)
            .idle_timeout(idle_timeout.unwrap_or(ConnectOptions::idle_timeout_default(backend)))
            // A connection that sat unused, or any connection shortly after one failed, is
            // pinged before use and replaced if dead; one in steady use is not, as sqlx pinged
            // it when it came back (`liveness.rs`, docs/security.md "Database outages").
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if liveness::needs_ping(meta.idle_for)
                        && let Err(error) = conn.ping().await
                    {
                        // sqlx closes this one and hands out another; check those too.
                        liveness::connection_failed();
                        return Err(error);
                    }
                    Ok(true)
                })
            });
        if backend == Backend::Sqlite {
            if sqlite::is_in_memory(&url) {
                // Each connection to :memory: is its own empty database: keep exactly one.
                pool_options = pool_options
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None);
            }
            pool_options = pool_options.after_connect(|conn, _meta| {
                Box::pin(async move { sqlite::configure_connection(conn).await })
            });
        }
        let pool = pool_options.connect_with(options).await.map_err(classify)?;
        if backend == Backend::Sqlite {
            sqlite::warn_about_loose_modes(&url);
        }
        let writers = (backend == Backend::Sqlite).then(tokio::sync::Mutex::default);
        Ok(Self {
            pool,
            backend,
            retry: RetryPolicy::within(acquire_timeout),
            url,
            writers,
        })
    }

    /// This process's turn to write (SQLite; see `writers`), held until the transaction ends.
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writers {
            Some(writers) => Some(writers.lock().await),
            None => None,
        }
    }

    /// Applies pending migrations under a lock, refusing a database newer than this binary.
    pub async fn migrate(&self) -> Result<MigrationReport, MigrateError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        match self.backend {
            Backend::Sqlite => {
                let _lock = sqlite::take_migration_lock(&self.url).await?;
                migrate::foreign_keys(&mut conn, false)
                    .await
                    .map_err(classify)?;
                let result = self.migrate_locked(&mut conn).await;
                if let Err(error) = migrate::foreign_keys(&mut conn, true).await {
                    // Never hand a connection without foreign keys back to the pool.
                    tracing::warn!(%error, "could not turn foreign keys back on; closing the connection");
                    conn.close_on_drop();
                }
                result
            }
            Backend::Postgres => {
                postgres::take_migration_lock(&mut conn).await?;
                let result = self.migrate_locked(&mut conn).await;
                if let Err(error) = postgres::release_migration_lock(&mut conn).await {
                    // The lock is session-scoped; closing the connection frees it.
                    tracing::warn!(%error, "could not release the migration lock; closing the connection");
                    conn.close_on_drop();
                }
                result
            }
        }
    }

    async fn migrate_locked(
        &self,
        conn: &mut sqlx::AnyConnection,
    ) -> Result<MigrationReport, MigrateError> {
        let status = migrate::schema_status(conn, self.backend).await?;
        if let (true, Some(database)) = (status.is_newer_than_binary(), status.database_version) {
            return Err(MigrateError::NewerSchema {
                database,
                binary: status.binary_version,
            });
        }
        let report = migrate::runner(self.backend)
            .run_async(&mut Migrator(conn, self.backend))
            .await
            .map_err(|e| MigrateError::Failed(Box::new(e)))?;
        Ok(MigrationReport {
            applied: report
                .applied_migrations()
                .iter()
                .map(ToString::to_string)
                .collect(),
            version: status.binary_version,
        })
    }

    /// Runs one statement on the pool under the retry policy (see `retry.rs`) and reports how
    /// many rows it changed. `bind` binds the parameters afresh for every attempt.
    async fn execute(
        &self,
        operation: &'static str,
        replay: Replay,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
    ) -> Result<u64, StoreError> {
        let (sql, bind) = (&sql.into_sql_str(), &bind);
        self.retrying(operation, replay, || async move {
            let result = bind(sqlx::query(sql.clone()))
                .execute(&self.pool)
                .await
                .map_err(classify)?;
            Ok(result.rows_affected())
        })
        .await
    }

    /// [`Self::execute`] for a statement that changes one row when it applies (keyed by a
    /// primary key): whether it did.
    async fn execute_one(
        &self,
        operation: &'static str,
        replay: Replay,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(operation, replay, sql, bind).await? == 1)
    }

    /// Runs a read that finds at most one row, under the retry policy.
    async fn fetch_optional<T>(
        &self,
        operation: &'static str,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
        decode: impl Fn(&AnyRow) -> Result<T, StoreError> + Send + Sync,
    ) -> Result<Option<T>, StoreError> {
        self.fetch_optional_with(operation, Replay::Safe, sql, bind, decode)
            .await
    }

    /// Runs a statement that returns at most one row (a read, or a write with `RETURNING`),
    /// under the retry policy.
    async fn fetch_optional_with<T>(
        &self,
        operation: &'static str,
        replay: Replay,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
        decode: impl Fn(&AnyRow) -> Result<T, StoreError> + Send + Sync,
    ) -> Result<Option<T>, StoreError> {
        let (sql, bind, decode) = (&sql.into_sql_str(), &bind, &decode);
        self.retrying(operation, replay, || async move {
            let row = bind(sqlx::query(sql.clone()))
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(decode).transpose()
        })
        .await
    }

    /// Runs a read and decodes every row, under the retry policy.
    async fn fetch_all<T>(
        &self,
        operation: &'static str,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
        decode: impl Fn(&AnyRow) -> Result<T, StoreError> + Send + Sync,
    ) -> Result<Vec<T>, StoreError> {
        self.fetch_all_with(operation, Replay::Safe, sql, bind, decode)
            .await
    }

    /// Runs a statement that returns any number of rows (a read, or a write with
    /// `RETURNING`), under the retry policy.
    async fn fetch_all_with<T>(
        &self,
        operation: &'static str,
        replay: Replay,
        sql: impl SqlSafeStr,
        bind: impl Fn(Statement) -> Statement + Send + Sync,
        decode: impl Fn(&AnyRow) -> Result<T, StoreError> + Send + Sync,
    ) -> Result<Vec<T>, StoreError> {
        let (sql, bind, decode) = (&sql.into_sql_str(), &bind, &decode);
        self.retrying(operation, replay, || async move {
            let rows = bind(sqlx::query(sql.clone()))
                .fetch_all(&self.pool)
                .await
                .map_err(classify)?;
            rows.iter().map(decode).collect()
        })
        .await
    }

    /// Runs one store operation under the retry policy (see `retry.rs`).
    async fn retrying<T, F, Fut>(
        &self,
        operation: &'static str,
        replay: Replay,
        attempt: F,
    ) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        retrying(&self.retry, operation, replay, attempt).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(classify)
}

/// Flags are BOOLEAN on Postgres and INTEGER 0/1 on SQLite, which the Any driver reads as
/// an integer.
fn get_flag(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    match row.try_get::<bool, _>(column) {
        Ok(flag) => Ok(flag),
        Err(_) => Ok(get::<i64>(row, column)? != 0),
    }
}

/// One table's columns in a row: the row of a statement on that table alone (`plain`), or
/// of a join where each table's columns carry a prefix (`prefixed`, made by [`aliased`]), so
/// one decoder per table serves both.
#[derive(Clone, Copy)]
struct Columns<'r> {
    row: &'r AnyRow,
    prefix: &'static str,
}

impl<'r> Columns<'r> {
    fn plain(row: &'r AnyRow) -> Self {
        Self { row, prefix: "" }
    }

    fn prefixed(row: &'r AnyRow, prefix: &'static str) -> Self {
        Self { row, prefix }
    }

    fn get<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
    {
        if self.prefix.is_empty() {
            get(self.row, column)
        } else {
            get(self.row, &format!("{}{column}", self.prefix))
        }
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        if self.prefix.is_empty() {
            get_flag(self.row, column)
        } else {
            get_flag(self.row, &format!("{}{column}", self.prefix))
        }
    }
}

/// A select list naming `table`'s `columns` (comma-separated) as `prefix` + column.
fn aliased(table: &str, columns: &str, prefix: &str) -> String {
    columns
        .split(',')
        .map(|column| {
            let column = column.trim();
            format!("{table}.{column} AS {prefix}{column}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn corrupt(what: &str, detail: impl fmt::Display) -> StoreError {
    StoreError::internal(format!("stored {what} is invalid: {detail}"))
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        migrate::schema_status(&mut conn, self.backend).await
    }

    fn connections(&self) -> ConnectionUsage {
        let open = self.pool.size();
        let idle = u32::try_from(self.pool.num_idle())
            .unwrap_or(u32::MAX)
            .min(open);
        ConnectionUsage {
            open,
            idle,
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
