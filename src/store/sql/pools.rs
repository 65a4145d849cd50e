//! User pools and their app clients.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{Columns, SqlStore, corrupt, get};
use crate::domain::app_client::{AppClient, TokenValidity};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::pool::{PoolSettings, UserPool};
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{PoolStore, StoreError};

const POOL_COLUMNS: &str = "id, name, login_name, settings, created_at, updated_at";

fn pool_from_row(row: &AnyRow) -> Result<UserPool, StoreError> {
    let id: String = get(row, "id")?;
    let settings: String = get(row, "settings")?;
    Ok(UserPool {
        id: UserPoolId::parse(&id).map_err(|e| corrupt("pool id", e))?,
        name: get(row, "name")?,
        login_name: get(row, "login_name")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("pool settings", e))?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

pub(super) const CLIENT_COLUMNS: &str = "id, pool_id, name, is_default, secret_encrypted, id_token_seconds, \
    access_token_seconds, refresh_token_seconds, refresh_grace_seconds, settings, created_at, updated_at";

fn client_from_row(row: &AnyRow) -> Result<AppClient, StoreError> {
    client_from(Columns::plain(row))
}

pub(super) fn client_from(c: Columns<'_>) -> Result<AppClient, StoreError> {
    let id: String = c.get("id")?;
    let pool_id: String = c.get("pool_id")?;
    let settings: String = c.get("settings")?;
    Ok(AppClient {
        id: ClientId::parse(&id).map_err(|e| corrupt("client id", e))?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        name: c.get("name")?,
        is_default: c.flag("is_default")?,
        validity: TokenValidity {
            id_token_seconds: c.get("id_token_seconds")?,
            access_token_seconds: c.get("access_token_seconds")?,
            refresh_token_seconds: c.get("refresh_token_seconds")?,
        },
        refresh_grace_seconds: c.get("refresh_grace_seconds")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("client settings", e))?,
        secret_encrypted: c.get("secret_encrypted")?,
        created_at: c.get("created_at")?,
        updated_at: c.get("updated_at")?,
    })
}

#[async_trait]
impl PoolStore for SqlStore {
    async fn create_pool(
        &self,
        pool: &UserPool,
        default_client: Option<&AppClient>,
    ) -> Result<(), StoreError> {
        self.retrying("create_pool", Replay::OnlyIfNothingWritten, || async move {
            let settings = serde_json::to_string(&pool.settings).map_err(StoreError::internal)?;
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            sqlx::query(
                "INSERT INTO user_pools (id, name, login_name, settings, created_at, updated_at) \
                 VALUES ($1, $2, $5, $3, $4, $4)",
            )
            .bind(pool.id.as_str())
            .bind(&pool.name)
            .bind(settings)
            .bind(pool.created_at)
            .bind(pool.login_name.as_deref())
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            if let Some(client) = default_client {
                insert_client(&mut tx, client).await?;
            }
            tx.commit().await.map_err(classify)
        })
        .await
    }

    async fn pool_by_login_name(&self, login_name: &str) -> Result<Option<UserPool>, StoreError> {
        let sql = format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE login_name = $1");
        self.fetch_optional(
            "pool_by_login_name",
            AssertSqlSafe(sql),
            |q| q.bind(login_name),
            pool_from_row,
        )
        .await
    }

    async fn set_pool_login_name(
        &self,
        id: &UserPoolId,
        login_name: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "set_pool_login_name",
            Replay::Safe,
            "UPDATE user_pools SET login_name = $1, updated_at = $2 WHERE id = $3",
            |q| q.bind(login_name).bind(now).bind(id.as_str()),
        )
        .await
    }

    async fn pool_by_id(&self, id: &UserPoolId) -> Result<Option<UserPool>, StoreError> {
        let sql = format!("SELECT {POOL_COLUMNS} FROM user_pools WHERE id = $1");
        self.fetch_optional(
            "pool_by_id",
            AssertSqlSafe(sql),
            |q| q.bind(id.as_str()),
            pool_from_row,
        )
        .await
    }

    async fn list_pools(&self) -> Result<Vec<UserPool>, StoreError> {
        let sql = format!("SELECT {POOL_COLUMNS} FROM user_pools ORDER BY name, id");
        self.fetch_all("list_pools", AssertSqlSafe(sql), |q| q, pool_from_row)
            .await
    }

    async fn delete_pool(&self, id: &UserPoolId) -> Result<bool, StoreError> {
        self.execute_one(
            "delete_pool",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM user_pools WHERE id = $1",
            |q| q.bind(id.as_str()),
        )
        .await
    }

    async fn update_pool_settings(
        &self,
        id: &UserPoolId,
        settings: &PoolSettings,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let settings = serde_json::to_string(settings).map_err(StoreError::internal)?;
        self.execute_one(
            "update_pool_settings",
            Replay::Safe,
            "UPDATE user_pools SET settings = $1, updated_at = $2 WHERE id = $3",
            |q| q.bind(settings.as_str()).bind(now).bind(id.as_str()),
        )
        .await
    }

    async fn replace_pool_settings(
        &self,
        id: &UserPoolId,
        expected: &PoolSettings,
        settings: &PoolSettings,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Settings are written by one serialiser, so equal settings have equal text; a row
        // written in another spelling fails the comparison and the caller decides again.
        let settings = serde_json::to_string(settings).map_err(StoreError::internal)?;
        let expected = serde_json::to_string(expected).map_err(StoreError::internal)?;
        self.execute_one(
            "replace_pool_settings",
            Replay::Safe,
            "UPDATE user_pools SET settings = $1, updated_at = $2 WHERE id = $3 AND settings = $4",
            |q| {
                q.bind(settings.as_str())
                    .bind(now)
                    .bind(id.as_str())
                    .bind(expected.as_str())
            },
        )
        .await
    }

    async fn default_client(&self, pool: &UserPoolId) -> Result<Option<AppClient>, StoreError> {
        let sql =
            format!("SELECT {CLIENT_COLUMNS} FROM app_clients WHERE pool_id = $1 AND is_default");
        self.fetch_optional(
            "default_client",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            client_from_row,
        )
        .await
    }

    async fn client_by_id(&self, id: &ClientId) -> Result<Option<AppClient>, StoreError> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM app_clients WHERE id = $1");
        self.fetch_optional(
            "client_by_id",
            AssertSqlSafe(sql),
            |q| q.bind(id.as_str()),
            client_from_row,
        )
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
        let settings = client_settings_json(client)?;
        self.execute_one(
            "update_client",
            Replay::Safe,
            "UPDATE app_clients SET name = $1, id_token_seconds = $2, access_token_seconds = $3, \
                 refresh_token_seconds = $4, refresh_grace_seconds = $5, updated_at = $6, \
                 settings = $8 WHERE id = $7",
            |q| {
                q.bind(&client.name)
                    .bind(client.validity.id_token_seconds)
                    .bind(client.validity.access_token_seconds)
                    .bind(client.validity.refresh_token_seconds)
                    .bind(client.refresh_grace_seconds)
                    .bind(now)
                    .bind(client.id.as_str())
                    .bind(settings.as_str())
            },
        )
        .await
    }

    async fn delete_client(&self, pool: &UserPoolId, id: &ClientId) -> Result<bool, StoreError> {
        // Sessions, refresh tokens and challenges go with it (ON DELETE CASCADE).
        self.execute_one(
            "delete_client",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM app_clients WHERE id = $1 AND pool_id = $2",
            |q| q.bind(id.as_str()).bind(pool.as_str()),
        )
        .await
    }

    async fn list_clients(&self, pool: &UserPoolId) -> Result<Vec<AppClient>, StoreError> {
        let sql = format!(
            "SELECT {CLIENT_COLUMNS} FROM app_clients WHERE pool_id = $1 ORDER BY created_at, id"
        );
        self.fetch_all(
            "list_clients",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            client_from_row,
        )
        .await
    }
}

fn client_settings_json(client: &AppClient) -> Result<String, StoreError> {
    serde_json::to_string(&client.settings).map_err(StoreError::internal)
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
