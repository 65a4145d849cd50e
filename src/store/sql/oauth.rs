//! OAuth 2.0 resource servers and pool domains.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{SqlStore, Statement, corrupt, get, get_flag};
use crate::domain::ids::UserPoolId;
use crate::domain::resource_server::ResourceServer;
use crate::store::retry::Replay;
use crate::store::{DomainRecord, OAuthStore, StoreError};

const SERVER_COLUMNS: &str = "pool_id, identifier, name, scopes, created_at, updated_at";
const DOMAIN_COLUMNS: &str = "domain, pool_id, is_custom, certificate_arn, created_at";

fn server_from(row: &AnyRow) -> Result<ResourceServer, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let scopes: String = get(row, "scopes")?;
    Ok(ResourceServer {
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        identifier: get(row, "identifier")?,
        name: get(row, "name")?,
        scopes: serde_json::from_str(&scopes).map_err(|e| corrupt("resource server scopes", e))?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}

fn domain_from(row: &AnyRow) -> Result<DomainRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    Ok(DomainRecord {
        domain: get(row, "domain")?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        is_custom: get_flag(row, "is_custom")?,
        certificate_arn: get(row, "certificate_arn")?,
        created_at: get(row, "created_at")?,
    })
}

fn scopes_json(server: &ResourceServer) -> Result<String, StoreError> {
    serde_json::to_string(&server.scopes).map_err(StoreError::internal)
}

fn bind_server(q: Statement, server: &ResourceServer, scopes: String) -> Statement {
    q.bind(server.pool_id.as_str().to_owned())
        .bind(server.identifier.clone())
        .bind(server.name.clone())
        .bind(scopes)
        .bind(server.created_at)
        .bind(server.updated_at)
}

#[async_trait]
impl OAuthStore for SqlStore {
    async fn resource_servers(&self, pool: &UserPoolId) -> Result<Vec<ResourceServer>, StoreError> {
        let sql = format!(
            "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = $1 ORDER BY identifier"
        );
        self.fetch_all(
            "resource_servers",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            server_from,
        )
        .await
    }

    async fn resource_server(
        &self,
        pool: &UserPoolId,
        identifier: &str,
    ) -> Result<Option<ResourceServer>, StoreError> {
        let sql = format!(
            "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = $1 AND identifier = $2"
        );
        self.fetch_optional(
            "resource_server",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(identifier),
            server_from,
        )
        .await
    }

    async fn resource_servers_page(
        &self,
        pool: &UserPoolId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ResourceServer>, StoreError> {
        let sql = format!(
            "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = $1 \
             AND ($2 IS NULL OR identifier > $2) ORDER BY identifier LIMIT $3"
        );
        self.fetch_all(
            "resource_servers_page",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(after).bind(i64::from(limit)),
            server_from,
        )
        .await
    }

    async fn create_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let scopes = scopes_json(server)?;
        self.execute(
            "create_resource_server",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO resource_servers (pool_id, identifier, name, scopes, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            |q| bind_server(q, server, scopes.clone()),
        )
        .await?;
        Ok(())
    }

    async fn update_resource_server(&self, server: &ResourceServer) -> Result<bool, StoreError> {
        let scopes = scopes_json(server)?;
        self.execute_one(
            "update_resource_server",
            Replay::Safe,
            "UPDATE resource_servers SET name = $3, scopes = $4, updated_at = $5 \
             WHERE pool_id = $1 AND identifier = $2",
            |q| {
                q.bind(server.pool_id.as_str())
                    .bind(server.identifier.as_str())
                    .bind(server.name.as_str())
                    .bind(scopes.clone())
                    .bind(server.updated_at)
            },
        )
        .await
    }

    async fn delete_resource_server(
        &self,
        pool: &UserPoolId,
        identifier: &str,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "delete_resource_server",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2",
            |q| q.bind(pool.as_str()).bind(identifier),
        )
        .await
    }

    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError> {
        self.execute(
            "create_domain",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO user_pool_domains (domain, pool_id, is_custom, certificate_arn, \
             created_at) VALUES ($1, $2, $3, $4, $5)",
            |q| {
                q.bind(domain.domain.clone())
                    .bind(domain.pool_id.as_str().to_owned())
                    .bind(domain.is_custom)
                    .bind(domain.certificate_arn.clone())
                    .bind(domain.created_at)
            },
        )
        .await?;
        Ok(())
    }

    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE domain = $1");
        self.fetch_optional(
            "domain",
            AssertSqlSafe(sql),
            |q| q.bind(domain),
            domain_from,
        )
        .await
    }

    async fn domain_of_pool(&self, pool: &UserPoolId) -> Result<Option<DomainRecord>, StoreError> {
        let sql = format!("SELECT {DOMAIN_COLUMNS} FROM user_pool_domains WHERE pool_id = $1");
        self.fetch_optional(
            "domain_of_pool",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            domain_from,
        )
        .await
    }

    async fn update_domain(&self, domain: &DomainRecord) -> Result<bool, StoreError> {
        self.execute_one(
            "update_domain",
            Replay::Safe,
            "UPDATE user_pool_domains SET certificate_arn = $3 WHERE domain = $1 AND pool_id = $2",
            |q| {
                q.bind(domain.domain.clone())
                    .bind(domain.pool_id.as_str().to_owned())
                    .bind(domain.certificate_arn.clone())
            },
        )
        .await
    }

    async fn delete_domain(&self, pool: &UserPoolId, domain: &str) -> Result<bool, StoreError> {
        self.execute_one(
            "delete_domain",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM user_pool_domains WHERE domain = $1 AND pool_id = $2",
            |q| q.bind(domain).bind(pool.as_str()),
        )
        .await
    }
}
