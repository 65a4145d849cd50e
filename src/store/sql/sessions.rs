//! Sign-in sessions, their refresh-token chains, and pending authentication challenges.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::users::attributes_json;
use super::{SqlStore, corrupt, get};
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::{UnixMillis, UnixSeconds, seconds_of};
use crate::domain::ids::{ClientId, Sub, UserPoolId};
use crate::domain::secret::ExposeSecret;
use crate::domain::user::{StoredPasswordHash, UserStatus};
use crate::domain::username::UsernameKey;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{
    ChallengeRecord, NewSession, RefreshTokenRecord, Revocation, Rotation, SessionRecord,
    SessionStore, StoreError,
};

impl SqlStore {
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
pub(super) async fn revoke_sessions(
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
            insert_session(&mut tx, session).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        }})
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
        self.fetch_optional(
            "session",
            AssertSqlSafe(sql),
            |q| q.bind(id),
            session_from_row,
        )
        .await
    }

    async fn refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshTokenRecord>, StoreError> {
        let sql = format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1");
        self.fetch_optional(
            "refresh_token",
            AssertSqlSafe(sql),
            |q| q.bind(token_hash),
            refresh_token_from_row,
        )
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
        self.execute_one(
            "revoke_session",
            Replay::Safe,
            "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            |q| q.bind(now).bind(id),
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
                q.bind(&challenge.session_hash)
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

    async fn challenge(&self, session_hash: &str) -> Result<Option<ChallengeRecord>, StoreError> {
        let sql =
            format!("SELECT {CHALLENGE_COLUMNS} FROM auth_challenges WHERE session_hash = $1");
        self.fetch_optional(
            "challenge",
            AssertSqlSafe(sql),
            |q| q.bind(session_hash),
            challenge_from_row,
        )
        .await
    }

    async fn take_challenge(
        &self,
        session_hash: &str,
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
                |q| q.bind(session_hash),
                challenge_from_row,
            )
            .await?;
        Ok(challenge.filter(|c| now < c.expires_at))
    }
}
