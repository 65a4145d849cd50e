//! `AdminSetUserPassword`: permanent (`CONFIRMED`) or temporary (`FORCE_CHANGE_PASSWORD`);
//! either way the user's sessions are revoked.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, password, required, username};
use super::pool;
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    password: Option<SecretString>,
    #[serde(default)]
    permanent: bool,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = username("username", &required("username", input.username)?)?;
    let new_password = password("password", &required("password", input.password)?)?;
    services
        .set_user_password(&pool, &name, &new_password, !input.permanent)
        .await
        .map_err(failed)?;
    Ok(empty())
}
