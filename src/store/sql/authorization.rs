//! The OAuth 2.0 front channel: authorization codes (issued after a hosted sign-in, spent
//! once at the token endpoint) and hosted sign-in sessions (the browser's cookie).

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, SessionId, Sub, TokenHash, UserPoolId};
use crate::store::retry::Replay;
use crate::store::{
    AuthorizationCodeRecord, AuthorizationStore, CodeRedemption, HostedSessionRecord, StoreError,
};

const CODE_COLUMNS: &str = "code_hash, pool_id, client_id, user_sub, redirect_uri, scopes, \
    nonce, code_challenge, auth_time, expires_at";

const HOSTED_COLUMNS: &str = "id_hash, pool_id, user_sub, session_id, auth_time, expires_at";

fn pool_id(row: &AnyRow) -> Result<UserPoolId, StoreError> {
    UserPoolId::parse(&get::<String>(row, "pool_id")?).map_err(|e| corrupt("pool id", e))
}

fn user_sub(row: &AnyRow) -> Result<Sub, StoreError> {
    Sub::parse(&get::<String>(row, "user_sub")?).map_err(|e| corrupt("sub", e))
}

fn session_id(stored: &str) -> Result<SessionId, StoreError> {
    SessionId::parse(stored).map_err(|e| corrupt("session id", e))
}

fn code_from_row(row: &AnyRow) -> Result<AuthorizationCodeRecord, StoreError> {
    let client_id: String = get(row, "client_id")?;
    Ok(AuthorizationCodeRecord {
        code_hash: TokenHash::new(get::<String>(row, "code_hash")?),
        pool_id: pool_id(row)?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        user_sub: user_sub(row)?,
        redirect_uri: get(row, "redirect_uri")?,
        scopes: get(row, "scopes")?,
        nonce: get(row, "nonce")?,
        code_challenge: get(row, "code_challenge")?,
        auth_time: get(row, "auth_time")?,
        expires_at: get(row, "expires_at")?,
    })
}

fn hosted_from_row(row: &AnyRow) -> Result<HostedSessionRecord, StoreError> {
    Ok(HostedSessionRecord {
        id_hash: TokenHash::new(get::<String>(row, "id_hash")?),
        pool_id: pool_id(row)?,
        user_sub: user_sub(row)?,
        session_id: session_id(&get::<String>(row, "session_id")?)?,
        auth_time: get(row, "auth_time")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl AuthorizationStore for SqlStore {
    async fn create_authorization_code(
        &self,
        code: &AuthorizationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "create_authorization_code",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO authorization_codes (code_hash, pool_id, client_id, user_sub, \
             redirect_uri, scopes, nonce, code_challenge, auth_time, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            |q| {
                q.bind(code.code_hash.as_str())
                    .bind(code.pool_id.as_str())
                    .bind(code.client_id.as_str())
                    .bind(code.user_sub.to_string())
                    .bind(&code.redirect_uri)
                    .bind(&code.scopes)
                    .bind(code.nonce.as_deref())
                    .bind(code.code_challenge.as_deref())
                    .bind(code.auth_time)
                    .bind(code.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn redeem_authorization_code(
        &self,
        code_hash: &TokenHash,
        session: &SessionId,
        now: UnixSeconds,
    ) -> Result<CodeRedemption, StoreError> {
        // One conditional UPDATE: concurrent presentations queue on the row (Postgres) or the
        // database (SQLite) and re-check `consumed_at IS NULL`; exactly one finds it unset.
        let spend = format!(
            "UPDATE authorization_codes SET consumed_at = $1, session_id = $2 \
             WHERE code_hash = $3 AND consumed_at IS NULL AND expires_at > $1 \
             RETURNING {CODE_COLUMNS}"
        );
        let spent = self
            .fetch_optional_with(
                "redeem_authorization_code",
                Replay::OnlyIfNothingWritten,
                AssertSqlSafe(spend),
                |q| {
                    q.bind(now)
                        .bind(session.to_string())
                        .bind(code_hash.as_str())
                },
                code_from_row,
            )
            .await?;
        if let Some(code) = spent {
            return Ok(CodeRedemption::Spent(code));
        }
        let replayed = self
            .fetch_optional_with(
                "replay_authorization_code",
                Replay::Safe,
                "UPDATE authorization_codes SET replayed_at = $1 \
                 WHERE code_hash = $2 AND consumed_at IS NOT NULL RETURNING session_id",
                |q| q.bind(now).bind(code_hash.as_str()),
                |row| get::<Option<String>>(row, "session_id"),
            )
            .await?;
        match replayed {
            Some(stored) => Ok(CodeRedemption::Replayed {
                session: stored.as_deref().map(session_id).transpose()?,
            }),
            None => Ok(CodeRedemption::Unknown),
        }
    }

    async fn authorization_code_replayed(&self, code_hash: &TokenHash) -> Result<bool, StoreError> {
        let replayed = self
            .fetch_optional_with(
                "authorization_code_replayed",
                Replay::Safe,
                "SELECT replayed_at FROM authorization_codes WHERE code_hash = $1",
                |q| q.bind(code_hash.as_str()),
                |row| get::<Option<i64>>(row, "replayed_at"),
            )
            .await?;
        Ok(replayed.flatten().is_some())
    }

    async fn create_hosted_session(
        &self,
        session: &HostedSessionRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "create_hosted_session",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO hosted_sessions (id_hash, pool_id, user_sub, session_id, auth_time, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            |q| {
                q.bind(session.id_hash.as_str())
                    .bind(session.pool_id.as_str())
                    .bind(session.user_sub.to_string())
                    .bind(session.session_id.to_string())
                    .bind(session.auth_time)
                    .bind(session.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn hosted_session(
        &self,
        id_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<HostedSessionRecord>, StoreError> {
        let sql = format!(
            "SELECT {HOSTED_COLUMNS} FROM hosted_sessions WHERE id_hash = $1 AND expires_at > $2"
        );
        self.fetch_optional_with(
            "hosted_session",
            Replay::Safe,
            AssertSqlSafe(sql),
            |q| q.bind(id_hash.as_str()).bind(now),
            hosted_from_row,
        )
        .await
    }

    async fn end_hosted_session(
        &self,
        id_hash: &TokenHash,
    ) -> Result<Option<HostedSessionRecord>, StoreError> {
        let sql =
            format!("DELETE FROM hosted_sessions WHERE id_hash = $1 RETURNING {HOSTED_COLUMNS}");
        self.fetch_optional_with(
            "end_hosted_session",
            Replay::Safe,
            AssertSqlSafe(sql),
            |q| q.bind(id_hash.as_str()),
            hosted_from_row,
        )
        .await
    }
}
