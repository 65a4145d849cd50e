//! `AdminCreateUser`: a user with a temporary password (`FORCE_CHANGE_PASSWORD`). Gatehouse
//! sends no messages, so the caller must supply `TemporaryPassword`.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, AttributeType, UserType};
use super::super::{SURFACE, constraint, failed, input, output, password, required, username};
use super::pool;
use crate::auth::Services;
use crate::domain::secret::SecretString;
use crate::http::error::ApiError;
use crate::manage::users::NewUser;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    username: Option<String>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    temporary_password: Option<SecretString>,
    message_action: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user: UserType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = username("username", &required("username", input.username)?)?;
    if let Some(action) = input.message_action.as_deref()
        && action != "SUPPRESS"
        && action != "RESEND"
    {
        return Err(constraint(
            "messageAction",
            "Member must satisfy enum value set: [RESEND, SUPPRESS]",
        ));
    }
    let temporary = input.temporary_password.ok_or_else(|| {
        ApiError::invalid_parameter(
            "TemporaryPassword is required: Gatehouse sends no messages, so it cannot invent a password and tell the user",
            SURFACE,
        )
    })?;
    let attributes = shapes::parse_attributes(input.user_attributes)?;
    let user = services
        .create_user(
            &pool,
            NewUser {
                username: name,
                password: password("temporaryPassword", &temporary)?,
                temporary: true,
                attributes,
                enabled: true,
            },
        )
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user: shapes::user(&user),
    }))
}
