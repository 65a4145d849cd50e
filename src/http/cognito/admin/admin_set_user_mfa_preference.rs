//! `AdminSetUserMFAPreference`: an operator turns a user's factors (TOTP, e-mailed codes,
//! texted codes) on or off (how a user who lost their authenticator app is let back in:
//! disable it, and in a pool where MFA is `ON` they set up a new one at the next sign-in)
//! and marks one preferred.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::set_user_mfa_preference::MfaPreferences;
use super::super::{empty, failed, input};
use super::UserInPool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    #[serde(flatten)]
    user: UserInPool,
    #[serde(flatten)]
    preferences: MfaPreferences,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let preferences = input.preferences.preferences();
    let (pool, name) = input.user.resolve(services).await?;
    let user = services.find_user(&pool, &name).await.map_err(failed)?;
    services
        .set_mfa_preferences(&user, preferences, true)
        .await
        .map_err(failed)?;
    Ok(empty())
}
