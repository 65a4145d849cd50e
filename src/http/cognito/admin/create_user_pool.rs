//! `CreateUserPool`: a pool as Cognito makes it, with no app client and a name other pools
//! may share. The login API serves it only if the `gatehouse:tenant` tag in `UserPoolTags`
//! gives it a login name (its `TenantName`). Settings left out take Cognito's defaults,
//! self-registration allowed included; the settings both this and `UpdateUserPool` take are
//! read in [`super::pool_config`].

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolType};
use super::super::{failed, input, output, required};
use super::pool_config::{OtherMembers, refused};
use super::schema_error;
use crate::auth::Services;
use crate::domain::pool::{PoolName, PoolSettings, PoolTags};
use crate::domain::pool_declaration::{Omitted, PoolConfig};
use crate::domain::schema::{Schema, SchemaAttributeSpec};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    pool_name: Option<String>,
    username_attributes: Option<Vec<String>>,
    alias_attributes: Option<Vec<String>>,
    username_configuration: Option<crate::domain::sign_in_names::UsernameConfiguration>,
    /// The attribute schema (domain/schema.rs); `UpdateUserPool` cannot change it.
    schema: Option<Vec<SchemaAttributeSpec>>,
    /// The settings [`PoolConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
    user_pool_tags: Option<BTreeMap<String, String>>,
}

/// `UserPoolTags` (or `TagResource`'s `Tags`) checked, the login name split out.
pub(super) fn pool_tags(
    member: &str,
    tags: Option<BTreeMap<String, String>>,
) -> Result<PoolTags, ApiError> {
    PoolTags::parse(tags.unwrap_or_default()).map_err(|e| super::super::constraint(member, &e))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool: UserPoolType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: PoolConfig = input.config.read()?;
    let name = required("poolName", input.pool_name)?;
    let name = PoolName::parse(&name).map_err(|e| super::super::constraint("poolName", &e))?;
    // Without `Schema` the pool has the standard attributes and no custom one, as in Cognito.
    let schema = match input.schema {
        Some(entries) => Schema::declare(&entries).map_err(schema_error)?,
        None => Schema::standard(),
    };
    let settings = config
        .apply_to(
            PoolSettings {
                schema: Some(schema),
                sign_in_names: super::sign_in_names::parse(
                    input.username_attributes,
                    input.alias_attributes,
                    input.username_configuration,
                )?,
                ..PoolSettings::default()
            },
            Omitted::CognitoDefault,
        )
        .map_err(refused)?;
    let tags = pool_tags("userPoolTags", input.user_pool_tags)?;
    let pool = services
        .create_user_pool(&name, settings, tags)
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool: shapes::pool(&pool, Some(0)),
    }))
}
