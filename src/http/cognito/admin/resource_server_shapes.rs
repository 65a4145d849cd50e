//! What the five resource-server operations share: the input naming one resource server in
//! a pool, its `Scopes` list, and Cognito's `ResourceServerType`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::{output, required};
use super::pool;
use crate::auth::Services;
use crate::domain::pool::UserPool;
use crate::domain::resource_server::{ResourceServer, ResourceServerScope};
use crate::http::error::ApiError;
use crate::manage::resource_servers::ResourceServerSpec;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ScopeInput {
    scope_name: Option<String>,
    scope_description: Option<String>,
}

/// `CreateResourceServer` and `UpdateResourceServer`'s input.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServerInput {
    user_pool_id: Option<String>,
    identifier: Option<String>,
    name: Option<String>,
    scopes: Option<Vec<ScopeInput>>,
}

impl ServerInput {
    pub(super) async fn resolve(
        self,
        services: &Services,
    ) -> Result<(UserPool, ResourceServerSpec), ApiError> {
        let identifier = required("identifier", self.identifier)?;
        let name = required("name", self.name)?;
        let scopes = self
            .scopes
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(index, scope)| {
                let member = |field: &str| format!("scopes.{}.member.{field}", index + 1);
                Ok(ResourceServerScope {
                    scope_name: required(&member("scopeName"), scope.scope_name)?,
                    scope_description: required(
                        &member("scopeDescription"),
                        scope.scope_description,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let pool = pool(services, self.user_pool_id).await?;
        Ok((
            pool,
            ResourceServerSpec {
                identifier,
                name,
                scopes,
            },
        ))
    }
}

/// `DescribeResourceServer` and `DeleteResourceServer`'s input.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServerInPool {
    user_pool_id: Option<String>,
    identifier: Option<String>,
}

impl ServerInPool {
    pub(super) async fn resolve(self, services: &Services) -> Result<(UserPool, String), ApiError> {
        let identifier = required("identifier", self.identifier)?;
        let pool = pool(services, self.user_pool_id).await?;
        Ok((pool, identifier))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResourceServerType {
    user_pool_id: String,
    identifier: String,
    name: String,
    scopes: Vec<ResourceServerScope>,
}

pub(super) fn shape(server: &ResourceServer) -> ResourceServerType {
    ResourceServerType {
        user_pool_id: server.pool_id.to_string(),
        identifier: server.identifier.clone(),
        name: server.name.clone(),
        scopes: server.scopes.clone(),
    }
}

/// The answer of the operations that return one resource server.
pub(super) fn one(server: &ResourceServer) -> HttpResponse {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        resource_server: ResourceServerType,
    }
    output(&Output {
        resource_server: shape(server),
    })
}
