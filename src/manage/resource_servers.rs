//! OAuth 2.0 resource servers: created, read, replaced and deleted per pool, listed a page at
//! a time; their scopes are the custom scopes app clients may be allowed and the
//! `client_credentials` grant issues (docs/oauth2.md, "Resource servers and custom scopes").

use std::collections::BTreeSet;

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::client_oauth::OAuthSettings;
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;
use crate::domain::resource_server::{
    ResourceServer, ResourceServerScope, check_identifier, check_name, check_scopes,
};
use crate::manage::paging::{Listing, Page, PageRequest, key_part};
use crate::store::StoreError;

/// What `CreateResourceServer` and `UpdateResourceServer` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServerSpec {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ResourceServerScope>,
}

impl ResourceServerSpec {
    fn check(&self) -> Result<(), AuthError> {
        check_identifier(&self.identifier)
            .and_then(|()| check_name(&self.name))
            .and_then(|()| check_scopes(&self.scopes))
            .map_err(AuthError::InvalidParameter)
    }
}

fn not_found(pool: &UserPool, identifier: &str) -> AuthError {
    let identifier: String = identifier.chars().take(256).collect();
    AuthError::ResourceNotFound(format!(
        "Resource server {identifier} does not exist in user pool {}.",
        pool.id
    ))
}

impl Services {
    pub async fn create_resource_server(
        &self,
        pool: &UserPool,
        spec: ResourceServerSpec,
    ) -> Result<ResourceServer, AuthError> {
        spec.check()?;
        let now = self.clock.now();
        let server = ResourceServer {
            pool_id: pool.id.clone(),
            identifier: spec.identifier,
            name: spec.name,
            scopes: spec.scopes,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_resource_server(&server).await {
            Ok(()) => {
                AuditEvent::new(
                    "resource_server_created",
                    pool.id.as_str(),
                    Outcome::Success,
                )
                .emit();
                Ok(server)
            }
            Err(StoreError::Conflict(_)) => Err(AuthError::InvalidParameter(format!(
                "A resource server with identifier {} already exists in user pool {}.",
                server.identifier, pool.id
            ))),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn resource_server(
        &self,
        pool: &UserPool,
        identifier: &str,
    ) -> Result<ResourceServer, AuthError> {
        check_identifier(identifier).map_err(AuthError::InvalidParameter)?;
        self.store
            .resource_server(&pool.id, identifier)
            .await?
            .ok_or_else(|| not_found(pool, identifier))
    }

    /// `UpdateResourceServer`: the name and scopes are replaced (scopes left out: none).
    pub async fn update_resource_server(
        &self,
        pool: &UserPool,
        spec: ResourceServerSpec,
    ) -> Result<ResourceServer, AuthError> {
        spec.check()?;
        let mut server = self.resource_server(pool, &spec.identifier).await?;
        server.name = spec.name;
        server.scopes = spec.scopes;
        server.updated_at = self.clock.now();
        if !self.store.update_resource_server(&server).await? {
            return Err(not_found(pool, &server.identifier));
        }
        AuditEvent::new(
            "resource_server_updated",
            pool.id.as_str(),
            Outcome::Success,
        )
        .emit();
        Ok(server)
    }

    /// `DeleteResourceServer`. Clients that were allowed its scopes keep them in their
    /// settings, as Cognito does, but no token carries a scope that no longer exists.
    pub async fn delete_resource_server(
        &self,
        pool: &UserPool,
        identifier: &str,
    ) -> Result<(), AuthError> {
        check_identifier(identifier).map_err(AuthError::InvalidParameter)?;
        if !self
            .store
            .delete_resource_server(&pool.id, identifier)
            .await?
        {
            return Err(not_found(pool, identifier));
        }
        AuditEvent::new(
            "resource_server_deleted",
            pool.id.as_str(),
            Outcome::Success,
        )
        .emit();
        Ok(())
    }

    /// `ListResourceServers`: one page of the pool's resource servers by identifier.
    pub async fn list_resource_servers_page(
        &self,
        pool: &UserPool,
        request: &PageRequest,
    ) -> Result<Page<ResourceServer>, AuthError> {
        let listing = Listing::new("ListResourceServers", pool.id.as_str(), "");
        self.page(
            &listing,
            request,
            |server: &ResourceServer| vec![server.identifier.clone()],
            |after, limit| async move {
                let after = after.as_deref().map(|key| key_part(key, 0)).transpose()?;
                Ok(self
                    .store
                    .resource_servers_page(&pool.id, after, limit)
                    .await?)
            },
        )
        .await
    }

    /// Every custom scope the pool has now, as `identifier/scope_name`.
    pub async fn custom_scopes(&self, pool: &UserPoolId) -> Result<BTreeSet<String>, AuthError> {
        Ok(self
            .store
            .resource_servers(pool)
            .await?
            .iter()
            .flat_map(ResourceServer::full_scope_names)
            .collect())
    }

    /// Refuses a client's `AllowedOAuthScopes` that names a custom scope the pool does not
    /// have, as Cognito does (`ScopeDoesNotExistException`).
    pub(crate) async fn check_client_scopes(
        &self,
        pool: &UserPoolId,
        oauth: &OAuthSettings,
    ) -> Result<(), AuthError> {
        if oauth.custom_scopes().next().is_none() {
            return Ok(());
        }
        let existing = self.custom_scopes(pool).await?;
        if let Some(missing) = oauth.custom_scopes().find(|s| !existing.contains(*s)) {
            return Err(AuthError::ScopeDoesNotExist(format!(
                "Invalid scope requested: {missing}"
            )));
        }
        Ok(())
    }
}
