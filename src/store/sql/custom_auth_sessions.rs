//! `CUSTOM_AUTH` sign-ins between two steps: created by each step that asks for an answer,
//! taken by the answer.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, TokenHash, UserPoolId};
use crate::domain::username::UsernameKey;
use crate::store::retry::Replay;
use crate::store::{CustomAuthRecord, CustomAuthStore, StoreError};

const COLUMNS: &str =
    "session_hash, pool_id, client_id, username, username_key, challenge_name, state, expires_at";

fn from_row(row: &AnyRow) -> Result<CustomAuthRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let client_id: String = get(row, "client_id")?;
    Ok(CustomAuthRecord {
        session_hash: TokenHash::new(get::<String>(row, "session_hash")?),
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        username: get(row, "username")?,
        username_key: UsernameKey::from_stored(get(row, "username_key")?),
        challenge_name: get(row, "challenge_name")?,
        state: get(row, "state")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl CustomAuthStore for SqlStore {
    async fn create_custom_auth(
        &self,
        session: &CustomAuthRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "create_custom_auth",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO custom_auth_sessions (session_hash, pool_id, client_id, username, \
             username_key, challenge_name, state, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            |q| {
                q.bind(session.session_hash.as_str())
                    .bind(session.pool_id.as_str())
                    .bind(session.client_id.as_str())
                    .bind(&session.username)
                    .bind(session.username_key.as_str())
                    .bind(&session.challenge_name)
                    .bind(&session.state)
                    .bind(session.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn take_custom_auth(
        &self,
        session_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<CustomAuthRecord>, StoreError> {
        // DELETE … RETURNING is one atomic step on both backends.
        let sql =
            format!("DELETE FROM custom_auth_sessions WHERE session_hash = $1 RETURNING {COLUMNS}");
        let session = self
            .fetch_optional_with(
                "take_custom_auth",
                Replay::OnlyIfNothingWritten,
                AssertSqlSafe(sql),
                |q| q.bind(session_hash.as_str()),
                from_row,
            )
            .await?;
        Ok(session.filter(|s| now < s.expires_at))
    }
}
