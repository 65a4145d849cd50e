//! The one [`Store`] implementation, over sqlx's `Any` driver. Every statement here runs
//! unchanged on Postgres and SQLite (`$n` parameters, `ON CONFLICT`, `RETURNING`, partial
//! indexes), so there is no per-backend branch in any query; what differs lives in
//! `postgres.rs` and `sqlite.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::errors::{before_commit, classify};
use super::migrate::{self, MigrationReport, Migrator, SchemaStatus};
use super::retry::{Replay, RetryPolicy, retrying};
use super::{
    Backend, ChallengeRecord, CodeAttempt, ConfirmationCodeRecord, ConnectionUsage, GroupRecord,
    GroupStore, HousekeepingStore, KeyPurpose, KeyState, KeyStore, LockoutStore, NewSession,
    PoolStore, Purged, RefreshTokenRecord, Reservation, Revocation, Rotation, SessionRecord,
    SessionStore, SigningKeyRecord, Store, StoreError, UserStore, postgres, sqlite,
};
use crate::domain::app_client::{AppClient, TokenValidity};
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::{UnixMillis, UnixSeconds, seconds_of};
use crate::domain::ids::{ClientId, Sub, UserPoolId};
use crate::domain::lockout::{FailureRecord, LockoutPolicy};
use crate::domain::pool::{PoolSettings, UserPool};
use crate::domain::secret::{ExposeSecret, secret};
use crate::domain::user::{StoredPasswordHash, User, UserStatus};

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
    #[error("migration failed: {0}")]
    Failed(String),
}

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
}

impl ConnectOptions {
    pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
}

impl SqlStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        Self::connect_with(
            url,
            ConnectOptions {
                max_connections,
                acquire_timeout: ConnectOptions::DEFAULT_ACQUIRE_TIMEOUT,
            },
        )
        .await
    }

    pub async fn connect_with(url: &str, options: ConnectOptions) -> Result<Self, StoreError> {
        let ConnectOptions {
            max_connections,
            acquire_timeout,
        } = options;
        sqlx::any::install_default_drivers();
        let backend = backend_of(url).map_err(StoreError::Internal)?;
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
            // A connection that died with a restarted server is found out and replaced
            // before use (sqlx's default, stated because recovery depends on it).
            .test_before_acquire(true);
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
                self.migrate_locked(&mut conn).await
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
            .run_async(&mut Migrator(conn))
            .await
            .map_err(|e| MigrateError::Failed(e.to_string()))?;
        Ok(MigrationReport {
            applied: report
                .applied_migrations()
                .iter()
                .map(ToString::to_string)
                .collect(),
            version: status.binary_version,
        })
    }

    /// Runs a query with one text parameter that finds at most one row.
    async fn find_one<T>(
        &self,
        sql: String,
        key: &str,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        row.as_ref().map(decode).transpose()
    }

    /// Runs a query with one text parameter and decodes every row.
    async fn find_all<T>(
        &self,
        sql: String,
        key: &str,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        rows.iter().map(decode).collect()
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

    /// Whether a session and its first refresh token are already stored: a retried
    /// sign-in whose earlier attempt committed (the reply was lost) must not insert twice.
    /// The token hash is of 256 fresh random bits, so finding it proves it is ours.
    async fn session_committed(&self, session: &NewSession) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT session_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(&session.refresh_token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        Ok(match row {
            Some(row) => get::<String>(&row, "session_id")? == session.id,
            None => false,
        })
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

fn corrupt(what: &str, detail: impl fmt::Display) -> StoreError {
    StoreError::Internal(format!("stored {what} is invalid: {detail}"))
}

const POOL_COLUMNS: &str = "id, name, settings, created_at";

fn pool_from_row(row: &AnyRow) -> Result<UserPool, StoreError> {
    let id: String = get(row, "id")?;
    let settings: String = get(row, "settings")?;
    Ok(UserPool {
        id: UserPoolId::parse(&id).map_err(|e| corrupt("pool id", e))?,
        name: get(row, "name")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("pool settings", e))?,
        created_at: get(row, "created_at")?,
    })
}

const CLIENT_COLUMNS: &str = "id, pool_id, name, is_default, secret_encrypted, id_token_seconds, \
    access_token_seconds, refresh_token_seconds, refresh_grace_seconds, settings, created_at";

fn client_from_row(row: &AnyRow) -> Result<AppClient, StoreError> {
    let id: String = get(row, "id")?;
    let pool_id: String = get(row, "pool_id")?;
    let settings: String = get(row, "settings")?;
    Ok(AppClient {
        id: ClientId::parse(&id).map_err(|e| corrupt("client id", e))?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        name: get(row, "name")?,
        is_default: get_flag(row, "is_default")?,
        validity: TokenValidity {
            id_token_seconds: get(row, "id_token_seconds")?,
            access_token_seconds: get(row, "access_token_seconds")?,
            refresh_token_seconds: get(row, "refresh_token_seconds")?,
        },
        refresh_grace_seconds: get(row, "refresh_grace_seconds")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("client settings", e))?,
        secret_encrypted: get(row, "secret_encrypted")?,
        created_at: get(row, "created_at")?,
    })
}

const USER_COLUMNS: &str = "sub, pool_id, username, username_key, password_hash, pepper_id, \
    status, enabled, attributes, tokens_valid_after, temporary_password_expires_at, \
    created_at, updated_at";

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    let sub: String = get(row, "sub")?;
    let pool_id: String = get(row, "pool_id")?;
    let status: String = get(row, "status")?;
    let attributes: String = get(row, "attributes")?;
    let attributes: BTreeMap<String, String> =
        serde_json::from_str(&attributes).map_err(|e| corrupt("user attributes", e))?;
    let password = get::<Option<String>>(row, "password_hash")?.map(|phc| StoredPasswordHash {
        phc: secret(phc),
        pepper_id: None,
    });
    let pepper_id: Option<String> = get(row, "pepper_id")?;
    Ok(User {
        sub: Sub::parse(&sub).map_err(|e| corrupt("user sub", e))?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        username: get(row, "username")?,
        username_key: get(row, "username_key")?,
        password: password.map(|p| StoredPasswordHash { pepper_id, ..p }),
        status: UserStatus::parse(&status).map_err(|e| corrupt("user status", e))?,
        enabled: get_flag(row, "enabled")?,
        attributes: UserAttributes::from_stored(attributes),
        tokens_valid_after: get(row, "tokens_valid_after")?,
        temporary_password_expires_at: get(row, "temporary_password_expires_at")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn attributes_json(attributes: &UserAttributes) -> Result<String, StoreError> {
    serde_json::to_string(attributes.as_map()).map_err(|e| StoreError::Internal(e.to_string()))
}

const SESSION_COLUMNS: &str = "id, pool_id, client_id, user_sub, auth_time, expires_at, revoked_at";

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let client_id: String = get(row, "client_id")?;
    let user_sub: String = get(row, "user_sub")?;
    Ok(SessionRecord {
        id: get(row, "id")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        user_sub: Sub::parse(&user_sub).map_err(|e| corrupt("user sub", e))?,
        auth_time: get(row, "auth_time")?,
        expires_at: get(row, "expires_at")?,
        revoked_at: get(row, "revoked_at")?,
    })
}

const CHALLENGE_COLUMNS: &str =
    "session_hash, pool_id, client_id, user_sub, challenge_name, expires_at";

fn challenge_from_row(row: &AnyRow) -> Result<ChallengeRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let client_id: String = get(row, "client_id")?;
    let user_sub: String = get(row, "user_sub")?;
    Ok(ChallengeRecord {
        session_hash: get(row, "session_hash")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        user_sub: Sub::parse(&user_sub).map_err(|e| corrupt("user sub", e))?,
        challenge_name: get(row, "challenge_name")?,
        expires_at: get(row, "expires_at")?,
    })
}

const KEY_COLUMNS: &str = "kid, pool_id, purpose, alg, private_key, public_jwk, state, \
    created_at, activates_at, retired_at";

fn key_from_row(row: &AnyRow) -> Result<SigningKeyRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let purpose: String = get(row, "purpose")?;
    let state: String = get(row, "state")?;
    Ok(SigningKeyRecord {
        kid: get(row, "kid")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        purpose: match purpose.as_str() {
            "id" => KeyPurpose::Id,
            "access" => KeyPurpose::Access,
            other => return Err(corrupt("key purpose", other)),
        },
        alg: get(row, "alg")?,
        private_key_encrypted: get(row, "private_key")?,
        public_jwk: get(row, "public_jwk")?,
        state: match state.as_str() {
            "pending" => KeyState::Pending,
            "active" => KeyState::Active,
            "retired" => KeyState::Retired,
            other => return Err(corrupt("key state", other)),
        },
        created_at: get(row, "created_at")?,
        activates_at: get(row, "activates_at")?,
        retired_at: get(row, "retired_at")?,
    })
}

/// Inserts a session row and its first refresh token inside an open transaction.
async fn insert_session(
    tx: &mut sqlx::AnyConnection,
    session: &NewSession,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id, pool_id, client_id, user_sub, auth_time, expires_at, \
         revoked_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, $5)",
    )
    .bind(&session.id)
    .bind(session.pool_id.as_str())
    .bind(session.client_id.as_str())
    .bind(session.user_sub.to_string())
    .bind(session.auth_time)
    .bind(session.expires_at)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, consumed_at, replaced_by) \
         VALUES ($1, $2, $3, NULL, NULL)",
    )
    .bind(&session.refresh_token_hash)
    .bind(&session.id)
    .bind(session.auth_time)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    Ok(())
}

/// Revokes a user's live sessions as asked, inside a transaction. Revoking all of them also
/// refuses every token issued before `now`.
async fn revoke_sessions(
    tx: &mut sqlx::AnyConnection,
    sub: &Sub,
    revocation: &Revocation,
    now: UnixSeconds,
) -> Result<(), StoreError> {
    let keep = match revocation {
        Revocation::None => return Ok(()),
        Revocation::All => None,
        Revocation::AllExcept(session) => Some(session.as_str()),
    };
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_sub = $2 AND revoked_at IS NULL \
         AND ($3 IS NULL OR id <> $3)",
    )
    .bind(now)
    .bind(sub.to_string())
    .bind(keep)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    if keep.is_none() {
        sqlx::query("UPDATE users SET tokens_valid_after = $1 WHERE sub = $2")
            .bind(now)
            .bind(sub.to_string())
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
    }
    Ok(())
}

#[async_trait]
impl PoolStore for SqlStore {
    async fn create_pool(
        &self,
        pool: &UserPool,
        default_client: &AppClient,
    ) -> Result<(), StoreError> {
        self.retrying("create_pool", Replay::OnlyIfNothingWritten, || async move {
            let settings = serde_json::to_string(&pool.settings)
                .map_err(|e| StoreError::Internal(e.to_string()))?;
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            sqlx::query(
                "INSERT INTO user_pools (id, name, settings, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(pool.id.as_str())
            .bind(&pool.name)
            .bind(settings)
            .bind(pool.created_at)
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            insert_client(&mut tx, default_client).await?;
            tx.commit().await.map_err(classify)
        })
        .await
    }

    async fn pool_by_name(&self, name: &str) -> Result<Option<UserPool>, StoreError> {
        self.retrying("pool_by_name", Replay::Safe, || async move {
            let sql = format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE name = $1");
            self.find_one(sql, name, pool_from_row).await
        })
        .await
    }

    async fn pool_by_id(&self, id: &UserPoolId) -> Result<Option<UserPool>, StoreError> {
        self.retrying("pool_by_id", Replay::Safe, || async move {
            let sql = format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE id = $1");
            self.find_one(sql, id.as_str(), pool_from_row).await
        })
        .await
    }

    async fn list_pools(&self) -> Result<Vec<UserPool>, StoreError> {
        self.retrying("list_pools", Replay::Safe, || async move {
            let query = format!("SELECT {POOL_COLUMNS} FROM user_pools ORDER BY name");
            let rows = sqlx::query(sqlx::AssertSqlSafe(query))
                .fetch_all(&self.pool)
                .await
                .map_err(classify)?;
            rows.iter().map(pool_from_row).collect()
        })
        .await
    }

    async fn delete_pool(&self, id: &UserPoolId) -> Result<bool, StoreError> {
        self.retrying("delete_pool", Replay::OnlyIfNothingWritten, || async move {
            let result = sqlx::query("DELETE FROM user_pools WHERE id = $1")
                .bind(id.as_str())
                .execute(&self.pool)
                .await
                .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn update_pool_settings(
        &self,
        id: &UserPoolId,
        settings: &PoolSettings,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("update_pool_settings", Replay::Safe, || async move {
            let settings =
                serde_json::to_string(settings).map_err(|e| StoreError::Internal(e.to_string()))?;
            let result =
                sqlx::query("UPDATE user_pools SET settings = $1, updated_at = $2 WHERE id = $3")
                    .bind(settings)
                    .bind(now)
                    .bind(id.as_str())
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn default_client(&self, pool: &UserPoolId) -> Result<Option<AppClient>, StoreError> {
        self.retrying("default_client", Replay::Safe, || async move {
            let sql = format!(
                "SELECT {CLIENT_COLUMNS} FROM app_clients WHERE pool_id = $1 AND is_default"
            );
            self.find_one(sql, pool.as_str(), client_from_row).await
        })
        .await
    }

    async fn client_by_id(&self, id: &ClientId) -> Result<Option<AppClient>, StoreError> {
        self.retrying("client_by_id", Replay::Safe, || async move {
            let sql = format!("SELECT {CLIENT_COLUMNS} FROM app_clients WHERE id = $1");
            self.find_one(sql, id.as_str(), client_from_row).await
        })
        .await
    }

    async fn create_client(&self, client: &AppClient) -> Result<(), StoreError> {
        self.retrying(
            "create_client",
            Replay::OnlyIfNothingWritten,
            || async move {
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                insert_client(&mut tx, client).await?;
                tx.commit().await.map_err(classify)
            },
        )
        .await
    }

    async fn update_client(
        &self,
        client: &AppClient,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("update_client", Replay::Safe, || async move {
            let result = sqlx::query(
                "UPDATE app_clients SET name = $1, id_token_seconds = $2, access_token_seconds = $3, \
                 refresh_token_seconds = $4, refresh_grace_seconds = $5, updated_at = $6, \
                 settings = $8 WHERE id = $7",
            )
            .bind(&client.name)
            .bind(client.validity.id_token_seconds)
            .bind(client.validity.access_token_seconds)
            .bind(client.validity.refresh_token_seconds)
            .bind(client.refresh_grace_seconds)
            .bind(now)
            .bind(client.id.as_str())
            .bind(client_settings_json(client)?)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn list_clients(&self, pool: &UserPoolId) -> Result<Vec<AppClient>, StoreError> {
        self.retrying("list_clients", Replay::Safe, || async move {
            let sql = format!(
                "SELECT {CLIENT_COLUMNS} FROM app_clients WHERE pool_id = $1 ORDER BY created_at, id"
            );
            self.find_all(sql, pool.as_str(), client_from_row).await
        })
        .await
    }
}

fn client_settings_json(client: &AppClient) -> Result<String, StoreError> {
    serde_json::to_string(&client.settings).map_err(|e| StoreError::Internal(e.to_string()))
}

async fn insert_client(
    conn: &mut sqlx::AnyConnection,
    client: &AppClient,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO app_clients (id, pool_id, name, is_default, secret_encrypted, \
         id_token_seconds, access_token_seconds, refresh_token_seconds, refresh_grace_seconds, \
         settings, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $10, $5, $6, $7, $8, $11, $9, $9)",
    )
    .bind(client.id.as_str())
    .bind(client.pool_id.as_str())
    .bind(&client.name)
    .bind(client.is_default)
    .bind(client.validity.id_token_seconds)
    .bind(client.validity.access_token_seconds)
    .bind(client.validity.refresh_token_seconds)
    .bind(client.refresh_grace_seconds)
    .bind(client.created_at)
    .bind(client.secret_encrypted.as_deref())
    .bind(client_settings_json(client)?)
    .execute(&mut *conn)
    .await
    .map_err(before_commit)?;
    Ok(())
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        self.retrying("create_user", Replay::OnlyIfNothingWritten, || async move {
            sqlx::query(
                "INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, \
                 status, enabled, attributes, tokens_valid_after, temporary_password_expires_at, \
                 created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(user.sub.to_string())
            .bind(user.pool_id.as_str())
            .bind(&user.username)
            .bind(&user.username_key)
            .bind(
                user.password
                    .as_ref()
                    .map(|p| p.phc.expose_secret().to_owned()),
            )
            .bind(user.password.as_ref().and_then(|p| p.pepper_id.clone()))
            .bind(user.status.as_str())
            .bind(user.enabled)
            .bind(attributes_json(&user.attributes)?)
            .bind(user.tokens_valid_after)
            .bind(user.temporary_password_expires_at)
            .bind(user.created_at)
            .bind(user.updated_at)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn user_by_key(
        &self,
        pool: &UserPoolId,
        username_key: &str,
    ) -> Result<Option<User>, StoreError> {
        self.retrying("user_by_key", Replay::Safe, || async move {
            let query = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 AND username_key = $2"
            );
            let row = sqlx::query(sqlx::AssertSqlSafe(query))
                .bind(pool.as_str())
                .bind(username_key)
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
            row.as_ref().map(user_from_row).transpose()
        })
        .await
    }

    async fn user_by_sub(&self, sub: &Sub) -> Result<Option<User>, StoreError> {
        self.retrying("user_by_sub", Replay::Safe, || async move {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE sub = $1");
            self.find_one(sql, &sub.to_string(), user_from_row).await
        })
        .await
    }

    async fn list_users(&self, pool: &UserPoolId) -> Result<Vec<User>, StoreError> {
        self.retrying("list_users", Replay::Safe, || async move {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 ORDER BY username_key"
            );
            self.find_all(sql, pool.as_str(), user_from_row).await
        })
        .await
    }

    async fn count_users(&self, pool: &UserPoolId) -> Result<i64, StoreError> {
        self.retrying("count_users", Replay::Safe, || async move {
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE pool_id = $1")
                .bind(pool.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(classify)?;
            Ok(count)
        })
        .await
    }

    async fn list_users_page(
        &self,
        pool: &UserPoolId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        self.retrying("list_users_page", Replay::Safe, || async move {
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 \
                 AND ($2 IS NULL OR username_key > $2) ORDER BY username_key LIMIT $3"
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(pool.as_str())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(classify)?;
            rows.iter().map(user_from_row).collect()
        })
        .await
    }

    async fn set_password(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        status: UserStatus,
        temporary_expires_at: Option<UnixSeconds>,
        revocation: Revocation,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let revocation = &revocation;
        self.retrying("set_password", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let result = sqlx::query(
                "UPDATE users SET password_hash = $1, pepper_id = $2, status = $3, \
                 temporary_password_expires_at = $4, updated_at = $5 WHERE sub = $6",
            )
            .bind(hash.phc.expose_secret())
            .bind(hash.pepper_id.as_deref())
            .bind(status.as_str())
            .bind(temporary_expires_at)
            .bind(now)
            .bind(sub.to_string())
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                return Ok(false);
            }
            revoke_sessions(&mut tx, sub, revocation, now).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn replace_password_hash(
        &self,
        sub: &Sub,
        expected: &StoredPasswordHash,
        replacement: &StoredPasswordHash,
    ) -> Result<bool, StoreError> {
        self.retrying(
            "replace_password_hash",
            Replay::OnlyIfNothingWritten,
            || async move {
                let result = sqlx::query(
                    "UPDATE users SET password_hash = $1, pepper_id = $2 \
                 WHERE sub = $3 AND password_hash = $4",
                )
                .bind(replacement.phc.expose_secret())
                .bind(replacement.pepper_id.as_deref())
                .bind(sub.to_string())
                .bind(expected.phc.expose_secret())
                .execute(&self.pool)
                .await
                .map_err(classify)?;
                Ok(result.rows_affected() == 1)
            },
        )
        .await
    }

    async fn set_enabled(
        &self,
        sub: &Sub,
        enabled: bool,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("set_enabled", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let result =
                sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE sub = $3")
                    .bind(enabled)
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                return Ok(false);
            }
            if !enabled {
                revoke_sessions(&mut tx, sub, &Revocation::All, now).await?;
            }
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn set_status(
        &self,
        sub: &Sub,
        status: UserStatus,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("set_status", Replay::Safe, || async move {
            let result =
                sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE sub = $3")
                    .bind(status.as_str())
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn set_attributes(
        &self,
        sub: &Sub,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("set_attributes", Replay::Safe, || async move {
            let result =
                sqlx::query("UPDATE users SET attributes = $1, updated_at = $2 WHERE sub = $3")
                    .bind(attributes_json(attributes)?)
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&self.pool)
                    .await
                    .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn replace_attributes(
        &self,
        sub: &Sub,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Attributes are stored as the JSON of a sorted map, so equal sets have equal text.
        self.retrying("replace_attributes", Replay::Safe, || async move {
            let result = sqlx::query(
                "UPDATE users SET attributes = $1, updated_at = $2 WHERE sub = $3 AND attributes = $4",
            )
            .bind(attributes_json(attributes)?)
            .bind(now)
            .bind(sub.to_string())
            .bind(attributes_json(expected)?)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn put_confirmation_code(
        &self,
        code: &ConfirmationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.retrying("put_confirmation_code", Replay::Safe, || async move {
            sqlx::query(
                "INSERT INTO confirmation_codes (user_sub, code_encrypted, expires_at, \
                 failed_attempts, created_at) VALUES ($1, $2, $3, 0, $4) \
                 ON CONFLICT (user_sub) DO UPDATE SET code_encrypted = excluded.code_encrypted, \
                 expires_at = excluded.expires_at, failed_attempts = 0, created_at = excluded.created_at",
            )
            .bind(code.user_sub.to_string())
            .bind(&code.code_encrypted)
            .bind(code.expires_at)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn confirmation_code(
        &self,
        sub: &Sub,
    ) -> Result<Option<ConfirmationCodeRecord>, StoreError> {
        self.retrying("confirmation_code", Replay::Safe, || async move {
            let sql = "SELECT user_sub, code_encrypted, expires_at, failed_attempts \
                       FROM confirmation_codes WHERE user_sub = $1";
            self.find_one(sql.to_owned(), &sub.to_string(), confirmation_code_from_row)
                .await
        })
        .await
    }

    async fn take_code_attempt(
        &self,
        sub: &Sub,
        max_attempts: i64,
        now: UnixSeconds,
    ) -> Result<CodeAttempt, StoreError> {
        self.retrying(
            "take_code_attempt",
            Replay::OnlyIfNothingWritten,
            || async move {
                // Check and count in one statement: a burst of guesses cannot all read a count
                // below the limit before any of them has added to it.
                let granted = sqlx::query(
                    "UPDATE confirmation_codes SET failed_attempts = failed_attempts + 1 \
                     WHERE user_sub = $1 AND failed_attempts < $2 AND expires_at > $3 \
                     RETURNING user_sub, code_encrypted, expires_at, failed_attempts",
                )
                .bind(sub.to_string())
                .bind(max_attempts)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
                if let Some(row) = granted {
                    return Ok(CodeAttempt::Granted(confirmation_code_from_row(&row)?));
                }
                // Refused: only the reason is left to find out.
                Ok(match self.confirmation_code(sub).await? {
                    Some(code) if now < code.expires_at => CodeAttempt::Exhausted,
                    _ => CodeAttempt::Missing,
                })
            },
        )
        .await
    }

    async fn confirm_user(&self, sub: &Sub, now: UnixSeconds) -> Result<bool, StoreError> {
        self.retrying(
            "confirm_user",
            Replay::OnlyIfNothingWritten,
            || async move {
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let spent = sqlx::query("DELETE FROM confirmation_codes WHERE user_sub = $1")
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                if spent.rows_affected() == 0 {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(false);
                }
                sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE sub = $3")
                    .bind(UserStatus::Confirmed.as_str())
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                tx.commit().await.map_err(classify)?;
                Ok(true)
            },
        )
        .await
    }

    async fn delete_user(&self, sub: &Sub) -> Result<bool, StoreError> {
        self.retrying("delete_user", Replay::OnlyIfNothingWritten, || async move {
            let result = sqlx::query("DELETE FROM users WHERE sub = $1")
                .bind(sub.to_string())
                .execute(&self.pool)
                .await
                .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn put_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.retrying("put_group", Replay::Safe, || async move {
            sqlx::query(
                "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id, name) DO UPDATE SET \
                 description = excluded.description, precedence = excluded.precedence",
            )
            .bind(group.pool_id.as_str())
            .bind(&group.name)
            .bind(group.description.as_deref())
            .bind(group.precedence)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn list_groups(&self, pool: &UserPoolId) -> Result<Vec<GroupRecord>, StoreError> {
        self.retrying("list_groups", Replay::Safe, || async move {
            let rows = sqlx::query(
                "SELECT pool_id, name, description, precedence FROM groups WHERE pool_id = $1 \
                 ORDER BY name",
            )
            .bind(pool.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
            rows.iter()
                .map(|row| {
                    Ok(GroupRecord {
                        pool_id: pool.clone(),
                        name: get(row, "name")?,
                        description: get(row, "description")?,
                        precedence: get(row, "precedence")?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn create_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.retrying(
            "create_group",
            Replay::OnlyIfNothingWritten,
            || async move {
                sqlx::query(
                    "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(group.pool_id.as_str())
                .bind(&group.name)
                .bind(group.description.as_deref())
                .bind(group.precedence)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
                Ok(())
            },
        )
        .await
    }

    async fn remove_user_from_group(&self, sub: &Sub, group: &str) -> Result<bool, StoreError> {
        self.retrying(
            "remove_user_from_group",
            Replay::OnlyIfNothingWritten,
            || async move {
                let result =
                    sqlx::query("DELETE FROM user_groups WHERE user_sub = $1 AND group_name = $2")
                        .bind(sub.to_string())
                        .bind(group)
                        .execute(&self.pool)
                        .await
                        .map_err(classify)?;
                Ok(result.rows_affected() == 1)
            },
        )
        .await
    }

    async fn add_user_to_group(
        &self,
        pool: &UserPoolId,
        sub: &Sub,
        group: &str,
    ) -> Result<(), StoreError> {
        self.retrying("add_user_to_group", Replay::Safe, || async move {
            sqlx::query(
                "INSERT INTO user_groups (user_sub, pool_id, group_name) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(sub.to_string())
            .bind(pool.as_str())
            .bind(group)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn groups_of_user(&self, sub: &Sub) -> Result<Vec<String>, StoreError> {
        self.retrying("groups_of_user", Replay::Safe, || async move {
            let rows = sqlx::query(
                "SELECT g.name AS name FROM user_groups ug \
                 JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name \
                 WHERE ug.user_sub = $1 \
                 ORDER BY COALESCE(g.precedence, 2147483647), g.name",
            )
            .bind(sub.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
            rows.iter().map(|row| get(row, "name")).collect()
        })
        .await
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn start_session(
        &self,
        session: &NewSession,
        failure_scope: &str,
        username_key: &str,
    ) -> Result<(), StoreError> {
        let mut attempts = 0;
        self.retrying("start_session", Replay::Safe, || {
            attempts += 1;
            let retry = attempts > 1;
            async move {
                if retry && self.session_committed(session).await? {
                    return Ok(());
                }
                // Connection first, then the turn: a turn held while queueing for a connection
                // behind the readers would stall every writer.
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let _turn = self.write_turn().await;
                insert_session(&mut tx, session).await?;
                sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND username_key = $2")
                    .bind(failure_scope)
                    .bind(username_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                tx.commit().await.map_err(classify)
            }
        })
        .await
    }

    async fn complete_new_password(
        &self,
        hash: &StoredPasswordHash,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        session: &NewSession,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let mut attempts = 0;
        self.retrying("complete_new_password", Replay::Safe, || {
            attempts += 1;
            let retry = attempts > 1;
            async move {
            if retry && self.session_committed(session).await? {
                return Ok(true);
            }
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let result = sqlx::query(
                "UPDATE users SET password_hash = $1, pepper_id = $2, status = $3, attributes = $4, \
                 temporary_password_expires_at = NULL, updated_at = $5 WHERE sub = $6 \
                 AND attributes = $7",
            )
            .bind(hash.phc.expose_secret())
            .bind(hash.pepper_id.as_deref())
            .bind(UserStatus::Confirmed.as_str())
            .bind(attributes_json(attributes)?)
            .bind(now)
            .bind(session.user_sub.to_string())
            .bind(attributes_json(expected)?)
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                // Dropping the transaction rolls it back.
                return Ok(false);
            }
            insert_session(&mut tx, session).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        }})
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.retrying("session", Replay::Safe, || async move {
            let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
            self.find_one(sql, id, session_from_row).await
        })
        .await
    }

    async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        self.retrying("refresh_token", Replay::Safe, || async move {
            let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
            self.find_one(sql, token_hash, refresh_token_from_row).await
        })
        .await
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        now_ms: UnixMillis,
    ) -> Result<Rotation, StoreError> {
        let now = seconds_of(now_ms);
        // Retried even when the connection died during COMMIT. The UPDATE … RETURNING may
        // have committed with its reply lost; a blind second attempt would then find the
        // token consumed, and the caller would treat its own retry as reuse and revoke the
        // session. So an attempt that finds the token replaced by `successor_hash` (a fresh
        // random value only this call knows) reports `Rotated`: the first attempt won.
        // Not retrying at all would be safe too, but would turn every lost reply into a
        // 503 and leave the client holding a consumed token.
        self.retrying("rotate_refresh_token", Replay::Safe, || async move {
            // Connection first, then the turn (SQLite; see `writers`): a turn held while
            // queueing for a connection behind the readers would stall every writer.
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let turn = self.write_turn().await;
            // The single statement that decides a race: only one caller can move consumed_at
            // from NULL, and only while the session is live. The session is checked by key
            // (EXISTS): SQLite ran an `IN (SELECT …)` over every live session for each refresh,
            // which took refresh from hundreds per second to single digits at 100 000 sessions.
            let consumed = sqlx::query(
                "UPDATE refresh_tokens SET consumed_at = $1, consumed_at_ms = $4, \
                 replaced_by = $2 \
                 WHERE token_hash = $3 AND consumed_at IS NULL AND EXISTS \
                 (SELECT 1 FROM sessions WHERE sessions.id = refresh_tokens.session_id \
                 AND sessions.revoked_at IS NULL AND sessions.expires_at > $1) \
                 RETURNING session_id",
            )
            .bind(now)
            .bind(successor_hash)
            .bind(presented_hash)
            .bind(now_ms)
            .fetch_optional(&mut *tx)
            .await
            .map_err(before_commit)?;
            if let Some(row) = consumed {
                let session_id: String = get(&row, "session_id")?;
                insert_successor(&mut tx, &session_id, presented_hash, successor_hash, now).await?;
                tx.commit().await.map_err(classify)?;
                return Ok(Rotation::Rotated);
            }
            tx.rollback().await.map_err(before_commit)?;
            // The reads below take connections of their own: give the turn back first, or the
            // writers holding connections while they wait for it would starve them.
            drop(turn);
            let Some(token) = self.refresh_token(presented_hash).await? else {
                return Ok(Rotation::Invalid);
            };
            // Only this call knows `successor_hash`: finding it as the replacement means an
            // earlier attempt of this very call committed and its reply was lost.
            if token.replaced_by.as_deref() == Some(successor_hash) {
                return Ok(Rotation::Rotated);
            }
            let live_session = self
                .session(&token.session_id)
                .await?
                .is_some_and(|s| s.revoked_at.is_none() && s.expires_at > now);
            Ok(match (live_session, token.consumed_at) {
                (true, Some(_)) => Rotation::AlreadyConsumed(token),
                _ => Rotation::Invalid,
            })
        })
        .await
    }

    async fn regrant_refresh_token(
        &self,
        predecessor_hash: &str,
        head_hash: &str,
        successor_hash: &str,
        window_ms: i64,
        now_ms: UnixMillis,
    ) -> Result<bool, StoreError> {
        let now = seconds_of(now_ms);
        let window_start = now_ms - window_ms;
        self.retrying("regrant_refresh_token", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let turn = self.write_turn().await;
            // Once per session per window: two holders of one family cannot take turns
            // re-exchanging each other's predecessors. The session row is the lock that
            // orders concurrent regrants (Postgres re-reads it under the row lock).
            let session = sqlx::query(
                "UPDATE sessions SET regranted_at_ms = $1 WHERE id = \
                 (SELECT session_id FROM refresh_tokens WHERE token_hash = $2) \
                 AND (regranted_at_ms IS NULL OR regranted_at_ms <= $3)",
            )
            .bind(now_ms)
            .bind(predecessor_hash)
            .bind(window_start)
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            let marked = sqlx::query(
                "UPDATE refresh_tokens SET regranted_at = $1, regranted_at_ms = $2 \
                 WHERE token_hash = $3 AND regranted_at IS NULL \
                 AND COALESCE(consumed_at_ms, consumed_at * 1000) >= $4 AND replaced_by = $5",
            )
            .bind(now)
            .bind(now_ms)
            .bind(predecessor_hash)
            .bind(window_start)
            .bind(head_hash)
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            let head = sqlx::query(
                "UPDATE refresh_tokens SET consumed_at = $1, consumed_at_ms = $2, \
                 replaced_by = $3 \
                 WHERE token_hash = $4 AND consumed_at IS NULL RETURNING session_id",
            )
            .bind(now)
            .bind(now_ms)
            .bind(successor_hash)
            .bind(head_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(before_commit)?;
            match (session.rows_affected(), marked.rows_affected(), head) {
                (1, 1, Some(row)) => {
                    let session_id: String = get(&row, "session_id")?;
                    insert_successor(&mut tx, &session_id, head_hash, successor_hash, now).await?;
                    tx.commit().await.map_err(classify)?;
                    Ok(true)
                }
                _ => {
                    tx.rollback().await.map_err(before_commit)?;
                    drop(turn);
                    // As in rotation: our own successor behind the head means our earlier
                    // attempt committed.
                    let head = self.refresh_token(head_hash).await?;
                    Ok(head.and_then(|h| h.replaced_by).as_deref() == Some(successor_hash))
                }
            }
        })
        .await
    }

    async fn revoke_session(&self, id: &str, now: UnixSeconds) -> Result<bool, StoreError> {
        self.retrying("revoke_session", Replay::Safe, || async move {
            let result = sqlx::query(
                "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn revoke_user_sessions(&self, sub: &Sub, now: UnixSeconds) -> Result<(), StoreError> {
        self.retrying("revoke_user_sessions", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            revoke_sessions(&mut tx, sub, &Revocation::All, now).await?;
            tx.commit().await.map_err(classify)
        })
        .await
    }

    async fn create_challenge(
        &self,
        challenge: &ChallengeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.retrying(
            "create_challenge",
            Replay::OnlyIfNothingWritten,
            || async move {
                sqlx::query(
                    "INSERT INTO auth_challenges (session_hash, pool_id, client_id, user_sub, \
                 challenge_name, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&challenge.session_hash)
                .bind(challenge.pool_id.as_str())
                .bind(challenge.client_id.as_str())
                .bind(challenge.user_sub.to_string())
                .bind(&challenge.challenge_name)
                .bind(challenge.expires_at)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
                Ok(())
            },
        )
        .await
    }

    async fn challenge(&self, session_hash: &str) -> Result<Option<ChallengeRecord>, StoreError> {
        self.retrying("challenge", Replay::Safe, || async move {
            let sql =
                format!("SELECT {CHALLENGE_COLUMNS} FROM auth_challenges WHERE session_hash = $1");
            self.find_one(sql, session_hash, challenge_from_row).await
        })
        .await
    }

    async fn take_challenge(
        &self,
        session_hash: &str,
        now: UnixSeconds,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        self.retrying("take_challenge", Replay::OnlyIfNothingWritten, || async move {
            // DELETE … RETURNING is one atomic step on both backends: of two concurrent answers
            // to one session, exactly one gets the row.
            let sql = format!(
                "DELETE FROM auth_challenges WHERE session_hash = $1 RETURNING {CHALLENGE_COLUMNS}"
            );
            let challenge = self.find_one(sql, session_hash, challenge_from_row).await?;
            Ok(challenge.filter(|c| now < c.expires_at))
        })
        .await
    }
}

#[async_trait]
impl LockoutStore for SqlStore {
    async fn failures(
        &self,
        scope: &str,
        username_key: &str,
    ) -> Result<Option<FailureRecord>, StoreError> {
        self.retrying("failures", Replay::Safe, || async move {
            let row = sqlx::query(
                "SELECT failure_count, locked_until, last_failure_at FROM login_failures \
                 WHERE scope = $1 AND username_key = $2",
            )
            .bind(scope)
            .bind(username_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
            row.as_ref().map(failure_from_row).transpose()
        })
        .await
    }

    async fn reserve_attempt(
        &self,
        scope: &str,
        username_key: &str,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Reservation, StoreError> {
        self.retrying(
            "reserve_attempt",
            Replay::OnlyIfNothingWritten,
            || async move {
                let quiet_since = now - policy.reset_after_seconds;
                // Connection first, then the turn: a turn held while queueing for a connection
                // behind the readers would stall every writer.
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let _turn = self.write_turn().await;
                // The check and the count are one upsert: its WHERE sees the row as the last
                // committed attempt left it (Postgres re-reads it under the row lock; SQLite
                // runs one writer at a time), so no attempt passes a lock another one set.
                // A counter quiet for the reset window starts again at one.
                let row = sqlx::query(
                    "INSERT INTO login_failures (scope, username_key, failure_count, \
                     locked_until, last_failure_at) VALUES ($1, $2, 1, NULL, $3) \
                     ON CONFLICT (scope, username_key) DO UPDATE SET \
                     failure_count = CASE WHEN login_failures.last_failure_at <= $4 THEN 1 \
                                          ELSE login_failures.failure_count + 1 END, \
                     locked_until = CASE WHEN login_failures.last_failure_at <= $4 THEN NULL \
                                         ELSE login_failures.locked_until END, \
                     last_failure_at = $3 \
                     WHERE login_failures.locked_until IS NULL \
                        OR login_failures.locked_until <= $3 \
                     RETURNING failure_count, locked_until, last_failure_at",
                )
                .bind(scope)
                .bind(username_key)
                .bind(now)
                .bind(quiet_since)
                .fetch_optional(&mut *tx)
                .await
                .map_err(before_commit)?;
                let Some(row) = row else {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(Reservation::Locked);
                };
                let mut record = failure_from_row(&row)?;
                // Still under the row lock: the attempt that reaches the threshold locks the
                // key before any other attempt can read it.
                if let Some(until) = policy.lock_after(record.count, now) {
                    sqlx::query(
                        "UPDATE login_failures SET locked_until = $1 \
                         WHERE scope = $2 AND username_key = $3",
                    )
                    .bind(until)
                    .bind(scope)
                    .bind(username_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                    record.locked_until = Some(until);
                }
                tx.commit().await.map_err(classify)?;
                Ok(Reservation::Granted(record))
            },
        )
        .await
    }

    async fn clear_failures(&self, scope: &str, username_key: &str) -> Result<(), StoreError> {
        self.retrying("clear_failures", Replay::Safe, || async move {
            sqlx::query("DELETE FROM login_failures WHERE scope = $1 AND username_key = $2")
                .bind(scope)
                .bind(username_key)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn record_failure(
        &self,
        scope: &str,
        username_key: &str,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<FailureRecord, StoreError> {
        self.retrying(
            "record_failure",
            Replay::OnlyIfNothingWritten,
            || async move {
                let quiet_since = now - policy.reset_after_seconds;
                // Connection first, then the turn: a turn held while queueing for a connection
                // behind the readers would stall every writer.
                let mut tx = self.pool.begin().await.map_err(before_commit)?;
                let _turn = self.write_turn().await;
                // One upsert: concurrent failures each add exactly one, whichever replica sees them.
                let row = sqlx::query(
                    "INSERT INTO login_failures (scope, username_key, failure_count, locked_until, \
                 last_failure_at) VALUES ($1, $2, 1, NULL, $3) \
                 ON CONFLICT (scope, username_key) DO UPDATE SET \
                 failure_count = CASE WHEN login_failures.last_failure_at <= $4 THEN 1 \
                                      ELSE login_failures.failure_count + 1 END, \
                 locked_until = CASE WHEN login_failures.last_failure_at <= $4 THEN NULL \
                                     ELSE login_failures.locked_until END, \
                 last_failure_at = $3 \
                 RETURNING failure_count, locked_until, last_failure_at",
                )
                .bind(scope)
                .bind(username_key)
                .bind(now)
                .bind(quiet_since)
                .fetch_one(&mut *tx)
                .await
                .map_err(before_commit)?;
                let mut record = failure_from_row(&row)?;
                if let Some(until) = policy.lock_after(record.count, now) {
                    sqlx::query(
                        "UPDATE login_failures SET locked_until = CASE \
                     WHEN locked_until IS NULL OR locked_until < $1 THEN $1 ELSE locked_until END \
                     WHERE scope = $2 AND username_key = $3",
                    )
                    .bind(until)
                    .bind(scope)
                    .bind(username_key)
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
                    record.locked_until = Some(record.locked_until.map_or(until, |u| u.max(until)));
                }
                tx.commit().await.map_err(classify)?;
                Ok(record)
            },
        )
        .await
    }
}

fn confirmation_code_from_row(row: &AnyRow) -> Result<ConfirmationCodeRecord, StoreError> {
    let sub: String = get(row, "user_sub")?;
    Ok(ConfirmationCodeRecord {
        user_sub: Sub::parse(&sub).map_err(|e| corrupt("user sub", e))?,
        code_encrypted: get(row, "code_encrypted")?,
        expires_at: get(row, "expires_at")?,
        failed_attempts: get(row, "failed_attempts")?,
    })
}

const REFRESH_COLUMNS: &str = "token_hash, session_id, parent_hash, issued_at, consumed_at, \
     consumed_at_ms, replaced_by, regranted_at, regranted_at_ms";

fn refresh_token_from_row(row: &AnyRow) -> Result<RefreshTokenRecord, StoreError> {
    Ok(RefreshTokenRecord {
        token_hash: get(row, "token_hash")?,
        session_id: get(row, "session_id")?,
        parent_hash: get(row, "parent_hash")?,
        issued_at: get(row, "issued_at")?,
        consumed_at: get(row, "consumed_at")?,
        consumed_at_ms: get(row, "consumed_at_ms")?,
        replaced_by: get(row, "replaced_by")?,
        regranted_at: get(row, "regranted_at")?,
        regranted_at_ms: get(row, "regranted_at_ms")?,
    })
}

/// Stores a rotated token's successor inside an open transaction.
async fn insert_successor(
    tx: &mut sqlx::AnyConnection,
    session_id: &str,
    parent_hash: &str,
    successor_hash: &str,
    now: UnixSeconds,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, issued_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(successor_hash)
    .bind(session_id)
    .bind(parent_hash)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    Ok(())
}

fn failure_from_row(row: &AnyRow) -> Result<FailureRecord, StoreError> {
    Ok(FailureRecord {
        count: get(row, "failure_count")?,
        locked_until: get(row, "locked_until")?,
        last_failure_at: get(row, "last_failure_at")?,
    })
}

#[async_trait]
impl KeyStore for SqlStore {
    async fn signing_keys(&self, pool: &UserPoolId) -> Result<Vec<SigningKeyRecord>, StoreError> {
        self.retrying("signing_keys", Replay::Safe, || async move {
            let sql = format!(
                "SELECT {KEY_COLUMNS} FROM signing_keys WHERE pool_id = $1 ORDER BY created_at, kid"
            );
            self.find_all(sql, pool.as_str(), key_from_row).await
        })
        .await
    }

    async fn promote_signing_key(
        &self,
        pending_kid: &str,
        active_kid: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("promote_signing_key", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            if let Some(active) = active_kid {
                let retired = sqlx::query(
                    "UPDATE signing_keys SET state = 'retired', retired_at = $1 \
                     WHERE kid = $2 AND state = 'active'",
                )
                .bind(now)
                .bind(active)
                .execute(&mut *tx)
                .await
                .map_err(before_commit)?;
                if retired.rows_affected() == 0 {
                    tx.rollback().await.map_err(before_commit)?;
                    return Ok(false);
                }
            }
            let promoted = sqlx::query(
                "UPDATE signing_keys SET state = 'active' WHERE kid = $1 AND state = 'pending'",
            )
            .bind(pending_kid)
            .execute(&mut *tx)
            .await;
            match promoted {
                Ok(result) if result.rows_affected() == 1 => {
                    tx.commit().await.map_err(classify)?;
                    Ok(true)
                }
                // Lost a race (or another active key appeared): nothing changes.
                Ok(_) | Err(_) => {
                    tx.rollback().await.map_err(before_commit)?;
                    Ok(false)
                }
            }
        })
        .await
    }

    async fn reseal_signing_key(
        &self,
        kid: &str,
        expected: &str,
        replacement: &str,
    ) -> Result<bool, StoreError> {
        self.retrying("reseal_signing_key", Replay::Safe, || async move {
            let result = sqlx::query(
                "UPDATE signing_keys SET private_key = $1 WHERE kid = $2 AND private_key = $3",
            )
            .bind(replacement)
            .bind(kid)
            .bind(expected)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<bool, StoreError> {
        self.retrying("insert_signing_key", Replay::Safe, || async move {
            let result = sqlx::query(
                "INSERT INTO signing_keys (kid, pool_id, purpose, alg, private_key, public_jwk, \
                 state, created_at, activates_at, retired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
            )
            .bind(&key.kid)
            .bind(key.pool_id.as_str())
            .bind(key.purpose.as_str())
            .bind(&key.alg)
            .bind(&key.private_key_encrypted)
            .bind(&key.public_jwk)
            .bind(key.state.as_str())
            .bind(key.created_at)
            .bind(key.activates_at)
            .bind(key.retired_at)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(result.rows_affected() == 1)
        })
        .await
    }
}

#[async_trait]
impl HousekeepingStore for SqlStore {
    async fn purge(
        &self,
        now: UnixSeconds,
        revoked_before: UnixSeconds,
        failures_quiet_since: UnixSeconds,
        keys_retired_before: UnixSeconds,
        batch: u32,
    ) -> Result<Purged, StoreError> {
        self.retrying("purge", Replay::Safe, || async move {
            let batch = i64::from(batch);
            // `IN (SELECT … LIMIT n)` bounds each delete on both backends, so one pass never
            // holds locks on a large table for long.
            let sessions = sqlx::query(
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions \
                 WHERE expires_at <= $1 OR revoked_at < $2 LIMIT $3)",
            )
            .bind(now)
            .bind(revoked_before)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            let challenges = sqlx::query(
                "DELETE FROM auth_challenges WHERE session_hash IN (SELECT session_hash \
                 FROM auth_challenges WHERE expires_at <= $1 LIMIT $2)",
            )
            .bind(now)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            let failures = sqlx::query(
                "DELETE FROM login_failures WHERE (scope, username_key) IN (SELECT scope, \
                 username_key FROM login_failures WHERE last_failure_at <= $1 \
                 AND (locked_until IS NULL OR locked_until <= $2) LIMIT $3)",
            )
            .bind(failures_quiet_since)
            .bind(now)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            let keys = sqlx::query(
                "DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys \
                 WHERE state = 'retired' AND retired_at < $1 LIMIT $2)",
            )
            .bind(keys_retired_before)
            .bind(batch)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(Purged {
                sessions: sessions.rows_affected(),
                challenges: challenges.rows_affected(),
                failures: failures.rows_affected(),
                keys: keys.rows_affected(),
            })
        })
        .await
    }
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
