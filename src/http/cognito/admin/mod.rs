//! The admin operations (SigV4-signed): pools, clients, users and groups. The dispatcher
//! verifies the signature before any of these run.

pub(super) mod add_custom_attributes;
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
pub(super) mod admin_set_user_mfa_preference;
pub(super) mod admin_set_user_password;
pub(super) mod admin_update_user_attributes;
pub(super) mod admin_user_global_sign_out;
pub(super) mod create_group;
pub(super) mod create_resource_server;
pub(super) mod create_user_pool;
pub(super) mod create_user_pool_client;
pub(super) mod create_user_pool_domain;
pub(super) mod delete_group;
pub(super) mod delete_resource_server;
pub(super) mod delete_user_pool;
pub(super) mod delete_user_pool_client;
pub(super) mod delete_user_pool_domain;
pub(super) mod describe_resource_server;
pub(super) mod describe_user_pool;
pub(super) mod describe_user_pool_client;
pub(super) mod describe_user_pool_domain;
pub(super) mod get_group;
pub(super) mod get_ui_customization;
pub(super) mod get_user_pool_mfa_config;
pub(super) mod list_groups;
pub(super) mod list_resource_servers;
pub(super) mod list_tags_for_resource;
pub(super) mod list_user_pool_clients;
pub(super) mod list_user_pools;
pub(super) mod list_users;
pub(super) mod list_users_in_group;
mod pool_config;
mod resource_server_shapes;
pub(super) mod set_ui_customization;
pub(super) mod set_user_pool_mfa_config;
pub(super) mod sign_in_names;
pub(super) mod tag_resource;
mod ui_customization_shapes;
pub(super) mod untag_resource;
pub(super) mod update_group;
pub(super) mod update_resource_server;
pub(super) mod update_user_pool;
pub(super) mod update_user_pool_client;
pub(super) mod update_user_pool_domain;

use serde::Deserialize;

use super::{constraint, failed, required, username};
use crate::auth::{AuthError, Services};
use crate::domain::group::{check_description, check_group_name, check_precedence, check_role_arn};
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;
use crate::domain::schema::SchemaError;
use crate::domain::username::Username;
use crate::http::error::ApiError;
use crate::manage::groups::GroupSettings;
use crate::manage::paging::{DEFAULT_PAGE_SIZE, PageRequest};

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

/// A schema refused: a malformed member in AWS's validation wording, anything else as
/// Cognito words it; both are `InvalidParameterException`.
pub(super) fn schema_error(error: SchemaError) -> ApiError {
    match error {
        SchemaError::Member { member, rule } => constraint(&member, &rule),
        SchemaError::Invalid(message) => failed(AuthError::InvalidParameter(message)),
    }
}

/// The pool a tagging request names by its ARN
/// (`arn:aws:cognito-idp:<region>:<account>:userpool/<id>`); a malformed ARN is
/// `InvalidParameterException`, an unknown pool `ResourceNotFoundException`.
pub(super) async fn pool_by_arn(
    services: &Services,
    raw: Option<String>,
) -> Result<UserPool, ApiError> {
    let raw = required("resourceArn", raw)?;
    let length = raw.chars().count();
    let id = raw
        .strip_prefix("arn:aws:cognito-idp:")
        .and_then(|rest| rest.split_once(":userpool/"))
        .filter(|_| (20..=2048).contains(&length))
        .and_then(|(_, id)| UserPoolId::parse(id).ok())
        .ok_or_else(|| {
            constraint(
                "resourceArn",
                "Member must satisfy regular expression pattern: \
                 arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
            )
        })?;
    services
        .pool_by_id(&id)
        .await
        .map_err(failed)?
        .ok_or_else(|| {
            failed(AuthError::ResourceNotFound(format!(
                "User pool {id} does not exist."
            )))
        })
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
        let group = group_name(self.group_name)?;
        Ok((pool, name, group))
    }
}

/// A list operation's page size (`Limit` or `MaxResults`, within Cognito's `range` for
/// that operation; left out, 60) and its page token, as the one paging type takes them
/// (docs/cognito-compatibility.md, "Lists and paging").
pub(super) fn page_request(
    limit_member: &str,
    limit: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
    token_member: &str,
    token: Option<String>,
) -> Result<PageRequest, ApiError> {
    let limit = limit.unwrap_or(i64::from(DEFAULT_PAGE_SIZE));
    if limit < *range.start() {
        return Err(constraint(
            limit_member,
            &format!(
                "Member must have value greater than or equal to {}",
                range.start()
            ),
        ));
    }
    if limit > *range.end() {
        return Err(constraint(
            limit_member,
            &format!(
                "Member must have value less than or equal to {}",
                range.end()
            ),
        ));
    }
    if let Some(token) = &token
        && (token.is_empty() || token.len() > 131_072 || token.contains(char::is_whitespace))
    {
        return Err(constraint(
            token_member,
            "Member must satisfy regular expression pattern: [\\S]+",
        ));
    }
    Ok(PageRequest {
        limit: u32::try_from(limit).unwrap_or(DEFAULT_PAGE_SIZE),
        token,
    })
}

/// A group name as Cognito's `GroupNameType` allows it.
pub(super) fn group_name(raw: Option<String>) -> Result<String, ApiError> {
    let name = required("groupName", raw)?;
    check_group_name(&name).map_err(|rule| constraint("groupName", rule))?;
    Ok(name)
}

/// Input naming a group of a pool.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupInPool {
    pub user_pool_id: Option<String>,
    pub group_name: Option<String>,
}

impl GroupInPool {
    pub(super) async fn resolve(self, services: &Services) -> Result<(UserPool, String), ApiError> {
        let pool = pool(services, self.user_pool_id).await?;
        Ok((pool, group_name(self.group_name)?))
    }
}

/// The input of `CreateGroup` and `UpdateGroup`, which Cognito shapes alike.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupDefinition {
    group_name: Option<String>,
    user_pool_id: Option<String>,
    description: Option<String>,
    precedence: Option<i64>,
    role_arn: Option<String>,
}

impl GroupDefinition {
    /// The pool, the group's name and its `Description`, `Precedence` and `RoleArn`, each
    /// checked against Cognito's shapes before the pool is looked up.
    pub(super) async fn resolve(
        self,
        services: &Services,
    ) -> Result<(UserPool, String, GroupSettings), ApiError> {
        let name = group_name(self.group_name)?;
        if let Some(description) = &self.description {
            check_description(description).map_err(|rule| constraint("description", rule))?;
        }
        if let Some(precedence) = self.precedence {
            check_precedence(precedence).map_err(|rule| constraint("precedence", rule))?;
        }
        if let Some(role_arn) = &self.role_arn {
            check_role_arn(role_arn).map_err(|rule| constraint("roleArn", rule))?;
        }
        let settings = GroupSettings {
            description: self.description,
            precedence: self.precedence,
            role_arn: self.role_arn,
        };
        let pool = pool(services, self.user_pool_id).await?;
        Ok((pool, name, settings))
    }
}

/// The answer of the operations that return one group (`CreateGroup`, `GetGroup`,
/// `UpdateGroup`).
pub(super) fn one_group(group: &crate::manage::groups::GroupRecord) -> actix_web::HttpResponse {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        group: super::shapes::GroupType,
    }
    super::output(&Output {
        group: super::shapes::group(group),
    })
}
