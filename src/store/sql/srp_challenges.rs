//! Open SRP challenges (`PASSWORD_VERIFIER`): created by the first step, taken by the answer.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::username::UsernameKey;
use crate::store::retry::Replay;
use crate::store::{SrpChallengeRecord, SrpChallengeStore, StoreError};

const COLUMNS: &str = "secret_block_hash, pool_id, client_id, username, username_key, \
    client_public, server_secret, expires_at";

fn from_row(row: &AnyRow) -> Result<SrpChallengeRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let client_id: String = get(row, "client_id")?;
    Ok(SrpChallengeRecord {
        secret_block_hash: get(row, "secret_block_hash")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        client_id: ClientId::parse(&client_id).map_err(|e| corrupt("client id", e))?,
        username: get(row, "username")?,
        username_key: UsernameKey::from_stored(get(row, "username_key")?),
        client_public: get(row, "client_public")?,
        server_secret: get(row, "server_secret")?,
        expires_at: get(row, "expires_at")?,
    })
}

#[async_trait]
impl SrpChallengeStore for SqlStore {
    async fn create_srp_challenge(
        &self,
        challenge: &SrpChallengeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.execute(
            "create_srp_challenge",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO srp_challenges (secret_block_hash, pool_id, client_id, username, \
             username_key, client_public, server_secret, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            |q| {
                q.bind(&challenge.secret_block_hash)
                    .bind(challenge.pool_id.as_str())
                    .bind(challenge.client_id.as_str())
                    .bind(&challenge.username)
                    .bind(challenge.username_key.as_str())
                    .bind(&challenge.client_public)
                    .bind(&challenge.server_secret)
                    .bind(challenge.expires_at)
                    .bind(now)
            },
        )
        .await?;
        Ok(())
    }

    async fn take_srp_challenge(
        &self,
        secret_block_hash: &str,
        now: UnixSeconds,
    ) -> Result<Option<SrpChallengeRecord>, StoreError> {
        // DELETE … RETURNING is one atomic step on both backends.
        let sql =
            format!("DELETE FROM srp_challenges WHERE secret_block_hash = $1 RETURNING {COLUMNS}");
        let challenge = self
            .fetch_optional_with(
                "take_srp_challenge",
                Replay::OnlyIfNothingWritten,
                AssertSqlSafe(sql),
                |q| q.bind(secret_block_hash),
                from_row,
            )
            .await?;
        Ok(challenge.filter(|c| now < c.expires_at))
    }
}
