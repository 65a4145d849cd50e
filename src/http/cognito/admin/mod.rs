//! The admin operations (SigV4-signed): pools, clients, users and groups. The dispatcher
//! verifies the signature before any of these run.

pub(super) mod admin_add_user_to_group;
pub(super) mod admin_confirm_sign_up;
pub(super) mod admin_create_user;
pub(super) mod admin_delete_user;
pub(super) mod admin_delete_user_attributes;
pub(super) mod admin_disable_user;
pub(super) mod admin_enable_user;
pub(super) mod admin_get_user;
pub(super) mod admin_initiate_auth;
pub(super) mod admin_list_groups_for_user;
pub(super) mod admin_remove_user_from_group;
pub(super) mod admin_reset_user_password;
pub(super) mod admin_respond_to_auth_challenge;
pub(super) mod admin_set_user_password;
pub(super) mod admin_update_user_attributes;
pub(super) mod admin_user_global_sign_out;
pub(super) mod create_group;
pub(super) mod create_user_pool;
pub(super) mod create_user_pool_client;
pub(super) mod delete_user_pool;
pub(super) mod delete_user_pool_client;
pub(super) mod describe_user_pool;
pub(super) mod describe_user_pool_client;
pub(super) mod list_groups;
pub(super) mod list_user_pool_clients;
pub(super) mod list_user_pools;
pub(super) mod list_users;
mod pool_config;
mod pool_messages;
pub(super) mod update_user_pool;
pub(super) mod update_user_pool_client;

use serde::Deserialize;

use super::{constraint, failed, required, username};
use crate::auth::{AuthError, Services};
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;
use crate::domain::username::Username;
use crate::http::error::ApiError;

/// The pool a request names; a malformed or unknown id is `ResourceNotFoundException`.
pub(super) async fn pool(services: &Services, raw: Option<String>) -> Result<UserPool, ApiError> {
    let raw = required("userPoolId", raw)?;
    let not_found = || {
        failed(AuthError::ResourceNotFound(format!(
            "User pool {raw} does not exist."
        )))
    };
    // A malformed id is refused without a look-up, and never repeated back.
    let id = UserPoolId::parse(&raw).map_err(|_| {
        constraint(
            "userPoolId",
            "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
        )
    })?;
    services
        .pool_by_id(&id)
        .await
        .map_err(failed)?
        .ok_or_else(not_found)
}

/// Input naming a user of a pool.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserInPool {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
}

impl UserInPool {
    pub(super) async fn resolve(
        self,
        services: &Services,
    ) -> Result<(UserPool, Username), ApiError> {
        let pool = pool(services, self.user_pool_id).await?;
        let name = username("username", &required("username", self.username)?)?;
        Ok((pool, name))
    }
}

/// Input of the group-membership operations: a user of a pool and a group name.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupMembership {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub group_name: Option<String>,
}

impl GroupMembership {
    pub(super) async fn resolve(
        self,
        services: &Services,
    ) -> Result<(UserPool, Username, String), ApiError> {
        let user = UserInPool {
            user_pool_id: self.user_pool_id,
            username: self.username,
        };
        let (pool, name) = user.resolve(services).await?;
        let group = required("groupName", self.group_name)?;
        Ok((pool, name, group))
    }
}

/// Opaque pagination tokens: the last key of the previous page, base64url. Never empty.
pub(super) mod page {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use crate::http::cognito::constraint;
    use crate::http::error::ApiError;

    pub fn encode(key: &str) -> String {
        URL_SAFE_NO_PAD.encode(key)
    }

    pub fn decode(member: &str, token: Option<&str>) -> Result<Option<String>, ApiError> {
        token
            .map(|t| {
                URL_SAFE_NO_PAD
                    .decode(t)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        constraint(member, "Member must be a token from a previous page")
                    })
            })
            .transpose()
    }
}
