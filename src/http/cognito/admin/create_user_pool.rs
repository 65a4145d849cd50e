//! `CreateUserPool`: the pool's name is the `TenantName` `/Login` uses, so it must be unique.
//! Settings left out take Cognito's defaults, self-registration allowed included; the
//! settings both this and `UpdateUserPool` take are read in [`super::pool_config`].

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolType};
use super::super::{failed, input, output, required};
use super::pool_config::{OtherMembers, PoolConfig};
use crate::auth::Services;
use crate::domain::pool::{PoolName, PoolSettings};
use crate::http::error::ApiError;
use crate::manage::pools::FixedIds;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    pool_name: Option<String>,
    /// The settings [`PoolConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
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
    let settings = config.apply_to(PoolSettings::default())?;
    let (pool, _) = services
        .create_pool(&name, settings, FixedIds::default())
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool: shapes::pool(&pool, Some(0)),
    }))
}
