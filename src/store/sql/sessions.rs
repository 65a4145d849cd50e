//! Sign-in sessions, their refresh-token chains, and pending authentication challenges.

use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::aliases::sync_aliases;
use super::pools::{CLIENT_COLUMNS, client_from};
use super::users::{USER_COLUMNS, attributes_json, user_from};
use super::{Columns, SqlStore, Statement, aliased, corrupt, get};
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::{UnixMillis, UnixSeconds, seconds_of};
use crate::domain::ids::{ClientId, SessionId, Sub, TokenHash, UserPoolId};
use crate::domain::secret::ExposeSecret;
use crate::domain::user::{StoredPasswordHash, UserStatus};
use crate::domain::username::UsernameKey;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{
    Backend, ChallengeRecord, NewSession, RefreshContext, RefreshTokenRecord, Revocation, Rotation,
    SessionRecord, SessionStore, StoreError,
};

impl SqlStore {
    /// Whether a session and its first refresh token are already stored: a retried
    /// sign-in whose earlier attempt committed (the reply was lost) must not insert twice.
    /// The token hash is of 256 fresh random bits, so finding it proves it is ours.
    async fn session_committed(&self, session: &NewSession) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT session_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(session.refresh_token_hash.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        Ok(match row {
            Some(row) => get::<String>(&row, "session_id")? == session.id.to_string(),
            None => false,
        })
    }
}

fn session_id(stored: &str) -> Result<SessionId, StoreError> {
    SessionId::parse(stored).map_err(|e| corrupt("session id", e))
}

const SESSION_COLUMNS: &str =
    "id, pool_id, client_id, user_sub, auth_time, expires_at, revoked_at, scope";

fn session_from_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    session_from(Columns::plain(row))
}

pub(super) fn session_from(c: Columns<'_>) -> Result<SessionRecord, StoreError> {
    let pool_id: String = c.get("pool_id")?;
    let client_id: String = c.get("client_id")?;
    let user_sub: String = c.get("user_sub")?;
    Ok(SessionRecord {
        id: session_id(&c.get::<String>("id")?)?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        user_sub: Sub::parse(&user_sub).map_err(|e| corrupt("user sub", e))?,
        auth_time: c.get("auth_time")?,
        expires_at: c.get("expires_at")?,
        revoked_at: c.get("revoked_at")?,
        scope: c.get("scope")?,
    })
}

const CHALLENGE_COLUMNS: &str =
    "session_hash, pool_id, client_id, user_sub, challenge_name, expires_at";

fn challenge_from_row(row: &AnyRow) -> Result<ChallengeRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let client_id: String = get(row, "client_id")?;
    let user_sub: String = get(row, "user_sub")?;
    Ok(ChallengeRecord {
        session_hash: TokenHash::new(get::<String>(row, "session_hash")?),
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        user_sub: Sub::parse(&user_sub).map_err(|e| corrupt("user sub", e))?,
        challenge_name: get(row, "challenge_name")?,
        expires_at: get(row, "expires_at")?,
    })
}

const REFRESH_COLUMNS: &str = "token_hash, session_id, parent_hash, issued_at, consumed_at, \
     consumed_at_ms, replaced_by, regranted_at, regranted_at_ms";

fn refresh_token_from_row(row: &AnyRow) -> Result<RefreshTokenRecord, StoreError> {
    refresh_token_from(Columns::plain(row))
}

pub(super) fn refresh_token_from(c: Columns<'_>) -> Result<RefreshTokenRecord, StoreError> {
    Ok(RefreshTokenRecord {
        token_hash: TokenHash::new(c.get::<String>("token_hash")?),
        session_id: session_id(&c.get::<String>("session_id")?)?,
        parent_hash: c.get::<Option<String>>("parent_hash")?.map(TokenHash::new),
        issued_at: c.get("issued_at")?,
        consumed_at: c.get("consumed_at")?,
        consumed_at_ms: c.get("consumed_at_ms")?,
        replaced_by: c.get::<Option<String>>("replaced_by")?.map(TokenHash::new),
        regranted_at: c.get("regranted_at")?,
        regranted_at_ms: c.get("regranted_at_ms")?,
    })
}

/// The refresh context's statement: the token and, joined by key, its session, user, client
/// and pool, with the user's groups aggregated into one JSON array (the one clause the two
/// backends spell differently).
fn refresh_context_sql(backend: Backend) -> &'static str {
    fn build(groups_json: &str) -> String {
        format!(
            "SELECT {}, {}, {}, {}, p.login_name AS p_login_name, p.settings AS p_settings, ({groups_json} \
             FROM user_groups ug JOIN groups g ON g.pool_id = ug.pool_id \
             AND g.name = ug.group_name WHERE ug.user_sub = s.user_sub) AS user_groups \
             FROM refresh_tokens t \
             JOIN sessions s ON s.id = t.session_id \
             JOIN users u ON u.sub = s.user_sub \
             JOIN app_clients c ON c.id = s.client_id \
             JOIN user_pools p ON p.id = s.pool_id \
             WHERE t.token_hash = $1",
            aliased("t", REFRESH_COLUMNS, "t_"),
            aliased("s", SESSION_COLUMNS, "s_"),
            aliased("u", USER_COLUMNS, "u_"),
            aliased("c", CLIENT_COLUMNS, "c_"),
        )
    }
    // The order of `groups_of_user`: precedence (none last), then name.
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        build(
            "SELECT COALESCE(json_agg(json_build_object('name', g.name, 'precedence', \
             g.precedence, 'role_arn', g.role_arn) ORDER BY \
             COALESCE(g.precedence, 9223372036854775807), g.name), '[]')::text",
        )
    });
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        build(
            "SELECT json_group_array(json_object('name', g.name, 'precedence', g.precedence, \
             'role_arn', g.role_arn) ORDER BY COALESCE(g.precedence, 9223372036854775807), \
             g.name)",
        )
    });
    match backend {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    }
}

/// The one member of a pool's settings a refresh needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PoolTriggers {
    #[serde(default)]
    lambda_config: crate::domain::pool_config::LambdaConfig,
}

fn refresh_context_from_row(row: &AnyRow) -> Result<RefreshContext, StoreError> {
    let groups: String = get(row, "user_groups")?;
    let settings: String = get(row, "p_settings")?;
    let triggers: PoolTriggers =
        serde_json::from_str(&settings).map_err(|e| corrupt("pool settings", e))?;
    Ok(RefreshContext {
        token: refresh_token_from(Columns::prefixed(row, "t_"))?,
        session: session_from(Columns::prefixed(row, "s_"))?,
        pool_login_name: get(row, "p_login_name")?,
        pool_triggers: triggers.lambda_config,
        user: user_from(Columns::prefixed(row, "u_"))?,
        client: client_from(Columns::prefixed(row, "c_"))?,
        groups: serde_json::from_str(&groups).map_err(|e| corrupt("user groups", e))?,
    })
}

/// Stores a rotated token's successor inside an open transaction.
async fn insert_successor(
    tx: &mut sqlx::AnyConnection,
    session_id: &SessionId,
    parent_hash: &TokenHash,
    successor_hash: &TokenHash,
    now: UnixSeconds,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, issued_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(successor_hash.as_str())
    .bind(session_id.to_string())
    .bind(parent_hash.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    Ok(())
}

/// Inserts a session row and its first refresh token inside an open transaction.
async fn insert_session(
    tx: &mut sqlx::AnyConnection,
    session: &NewSession,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO sessions (id, pool_id, client_id, user_sub, auth_time, expires_at, \
         revoked_at, created_at, scope) VALUES ($1, $2, $3, $4, $5, $6, NULL, $5, $7)",
    )
    .bind(session.id.to_string())
    .bind(session.pool_id.as_str())
    .bind(session.client_id.as_str())
    .bind(session.user_sub.to_string())
    .bind(session.auth_time)
    .bind(session.expires_at)
    .bind(session.scope.as_deref())
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, consumed_at, replaced_by) \
         VALUES ($1, $2, $3, NULL, NULL)",
    )
    .bind(session.refresh_token_hash.as_str())
    .bind(session.id.to_string())
    .bind(session.auth_time)
    .execute(&mut *tx)
    .await
    .map_err(before_commit)?;
    Ok(())
}

/// Revokes a user's live sessions as asked, inside a transaction. Revoking all of them also
/// refuses every token issued before `now`.
pub(super) async fn revoke_sessions(
    tx: &mut sqlx::AnyConnection,
    sub: &Sub,
    revocation: &Revocation,
    now: UnixSeconds,
) -> Result<(), StoreError> {
    let keep = match revocation {
        Revocation::None => return Ok(()),
        Revocation::All => None,
        Revocation::AllExcept(session) => Some(session.to_string()),
    };
    sqlx::query(
        "UPDATE sessions SET revoked_at = $1 WHERE user_sub = $2 AND revoked_at IS NULL \
         AND ($3 IS NULL OR id <> $3)",
    )
    .bind(now)
    .bind(sub.to_string())
    .bind(keep.as_deref())
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

/// The single statement that decides a race: only one caller can move `consumed_at` from
/// NULL, and only while the session is live. The session is checked by key (EXISTS): SQLite
/// ran an `IN (SELECT …)` over every live session for each refresh, which took refresh from
/// hundreds per second to single digits at 100 000 sessions.
const CONSUME_TOKEN: &str = "UPDATE refresh_tokens SET consumed_at = $1, consumed_at_ms = $4, \
     replaced_by = $2 \
     WHERE token_hash = $3 AND consumed_at IS NULL AND EXISTS \
     (SELECT 1 FROM sessions WHERE sessions.id = refresh_tokens.session_id \
     AND sessions.revoked_at IS NULL AND sessions.expires_at > $1)";

impl SqlStore {
    /// One attempt to consume a live token and store its successor; whether it did. One
    /// round trip on both backends, atomic on its own. Postgres: one statement (the
    /// consumption, and the insert fed by what it returned). SQLite cannot write inside a
    /// `WITH`, so there it is a transaction of the same two statements sent as one batch: a
    /// single hand-over to the connection's worker thread where `BEGIN`, the two statements
    /// and `COMMIT` took four, and the write lock (and this process's turn, `writers`) is held
    /// for that one batch only.
    async fn consume_and_replace(
        &self,
        presented_hash: &TokenHash,
        successor_hash: &TokenHash,
        now_ms: UnixMillis,
    ) -> Result<bool, StoreError> {
        let now = seconds_of(now_ms);
        let bind = |statement: Statement| {
            statement
                .bind(now)
                .bind(successor_hash.as_str())
                .bind(presented_hash.as_str())
                .bind(now_ms)
        };
        if self.backend == Backend::Postgres {
            static CONSUME_AND_INSERT: LazyLock<String> = LazyLock::new(|| {
                format!(
                    "WITH consumed AS ({CONSUME_TOKEN} RETURNING session_id) \
                     INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, issued_at) \
                     SELECT $2, session_id, $3, $1 FROM consumed RETURNING session_id"
                )
            });
            // A lost connection may have committed it (`classify`, not `before_commit`): the
            // caller's retry recognises its own successor.
            let inserted = bind(sqlx::query(AssertSqlSafe(CONSUME_AND_INSERT.as_str())))
                .fetch_optional(&self.pool)
                .await
                .map_err(classify)?;
            return Ok(inserted.is_some());
        }
        // `changes()` is what the UPDATE just before it changed: the successor is stored only
        // when this batch consumed the token (a retry whose first attempt committed inserts
        // nothing and is recognised by the caller). `IMMEDIATE` takes the write lock at once.
        static BATCH: LazyLock<String> = LazyLock::new(|| {
            format!(
                "BEGIN IMMEDIATE; {CONSUME_TOKEN}; \
                 INSERT INTO refresh_tokens (token_hash, session_id, parent_hash, issued_at) \
                 SELECT $2, session_id, $3, $1 FROM refresh_tokens \
                 WHERE token_hash = $3 AND replaced_by = $2 AND changes() = 1; COMMIT"
            )
        });
        // Connection first, then the turn (SQLite; see `writers`): a turn held while
        // queueing for a connection behind the readers would stall every writer.
        let mut conn = self.pool.acquire().await.map_err(classify)?;
        let turn = self.write_turn().await;
        let result = bind(sqlx::query(AssertSqlSafe(BATCH.as_str())))
            .execute(&mut *conn)
            .await;
        drop(turn);
        match result {
            // The consumption and the insert each changed one row, or neither ran.
            Ok(done) => Ok(done.rows_affected() == 2),
            Err(error) => {
                // A batch that failed part-way may have left its transaction open on the
                // connection; closing it rolls that back, and nothing of it committed.
                conn.close_on_drop();
                Err(before_commit(error))
            }
        }
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn start_session(
        &self,
        session: &NewSession,
        failure_scope: &str,
        username_key: &UsernameKey,
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
                    .bind(username_key.as_str())
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
                 temporary_password_expires_at = NULL, updated_at = $5, srp_verifier = $8 \
                 WHERE sub = $6 AND attributes = $7",
            )
            .bind(hash.phc.expose_secret())
            .bind(hash.pepper_id.as_deref())
            .bind(UserStatus::Confirmed.as_str())
            .bind(attributes_json(attributes)?)
            .bind(now)
            .bind(session.user_sub.to_string())
            .bind(attributes_json(expected)?)
            .bind(hash.srp_verifier.as_ref().map(|v| v.expose_secret()))
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                // Dropping the transaction rolls it back.
                return Ok(false);
            }
            sync_aliases(&mut tx, &session.pool_id, &session.user_sub, Some(expected), attributes)
                .await?;
            insert_session(&mut tx, session).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        }})
        .await
    }

    async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        self.fetch_optional(
            "session",
            AssertSqlSafe(sql),
            |q| q.bind(id.to_string()),
            session_from_row,
        )
        .await
    }

    async fn refresh_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
        self.fetch_optional(
            "refresh_token",
            AssertSqlSafe(sql),
            |q| q.bind(token_hash.as_str()),
            refresh_token_from_row,
        )
        .await
    }

    async fn refresh_context(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<RefreshContext>, StoreError> {
        self.fetch_optional(
            "refresh_context",
            AssertSqlSafe(refresh_context_sql(self.backend)),
            |q| q.bind(token_hash.as_str()),
            refresh_context_from_row,
        )
        .await
    }

    async fn rotate_refresh_token(
        &self,
        presented_hash: &TokenHash,
        successor_hash: &TokenHash,
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
            if self
                .consume_and_replace(presented_hash, successor_hash, now_ms)
                .await?
            {
                return Ok(Rotation::Rotated);
            }
            let Some(token) = self.refresh_token(presented_hash).await? else {
                return Ok(Rotation::Invalid);
            };
            // Only this call knows `successor_hash`: finding it as the replacement means an
            // earlier attempt of this very call committed and its reply was lost.
            if token.replaced_by.as_ref() == Some(successor_hash) {
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
        predecessor_hash: &TokenHash,
        head_hash: &TokenHash,
        successor_hash: &TokenHash,
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
            .bind(predecessor_hash.as_str())
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
            .bind(predecessor_hash.as_str())
            .bind(window_start)
            .bind(head_hash.as_str())
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
            .bind(successor_hash.as_str())
            .bind(head_hash.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(before_commit)?;
            match (session.rows_affected(), marked.rows_affected(), head) {
                (1, 1, Some(row)) => {
                    let session_id = session_id(&get::<String>(&row, "session_id")?)?;
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
                    Ok(head.and_then(|h| h.replaced_by).as_ref() == Some(successor_hash))
                }
            }
        })
        .await
    }

    async fn revoke_session(&self, id: &SessionId, now: UnixSeconds) -> Result<bool, StoreError> {
        self.execute_one(
            "revoke_session",
            Replay::Safe,
            "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            |q| q.bind(now).bind(id.to_string()),
        )
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
        self.execute(
            "create_challenge",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO auth_challenges (session_hash, pool_id, client_id, user_sub, \
             challenge_name, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            |q| {
                q.bind(challenge.session_hash.as_str())
                    .bind(challenge.pool_id.as_str())
                    .bind(challenge.client_id.as_str())
                    .bind(challenge.user_sub.to_string())
                    .bind(&challenge.challenge_name)
                    .bind(challenge.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn challenge(
        &self,
        session_hash: &TokenHash,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        let sql =
            format!("SELECT {CHALLENGE_COLUMNS} FROM auth_challenges WHERE session_hash = $1");
        self.fetch_optional(
            "challenge",
            AssertSqlSafe(sql),
            |q| q.bind(session_hash.as_str()),
            challenge_from_row,
        )
        .await
    }

    async fn take_challenge(
        &self,
        session_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<ChallengeRecord>, StoreError> {
        // DELETE … RETURNING is one atomic step on both backends: of two concurrent answers
        // to one session, exactly one gets the row.
        let sql = format!(
            "DELETE FROM auth_challenges WHERE session_hash = $1 RETURNING {CHALLENGE_COLUMNS}"
        );
        let challenge = self
            .fetch_optional_with(
                "take_challenge",
                Replay::OnlyIfNothingWritten,
                AssertSqlSafe(sql),
                |q| q.bind(session_hash.as_str()),
                challenge_from_row,
            )
            .await?;
        Ok(challenge.filter(|c| now < c.expires_at))
    }
}
