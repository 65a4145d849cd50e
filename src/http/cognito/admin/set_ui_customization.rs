//! `SetUICustomization`: the hosted pages' logo and CSS for one app client, or for every
//! client without its own (`ClientId` left out or `ALL`). The CSS may use only the classes
//! and properties Cognito documents, and nothing that fetches or scripts; the logo is a PNG
//! or JPEG of at most 100 KB (docs/oauth2.md, "Branding").

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{failed, input};
use super::pool;
use super::ui_customization_shapes::{answer, named_client};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_id: Option<String>,
    #[serde(rename = "CSS")]
    css: Option<String>,
    /// Base64, as the AWS SDKs send a blob.
    image_file: Option<String>,
}

pub(crate) async fn handle(
    services: &Services,
    body: &[u8],
    public_url: &str,
) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let client = named_client(input.client_id)?;
    let stored = services
        .set_ui_customization(
            &pool,
            client.as_ref(),
            input.css.as_deref(),
            input.image_file.as_deref(),
        )
        .await
        .map_err(failed)?;
    Ok(answer(public_url, &pool.id, client.as_ref(), Some(&stored)))
}
