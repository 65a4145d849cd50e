//! What `SetUICustomization` and `GetUICustomization` share: the client the request names
//! (left out or `ALL`: the pool-wide branding) and Cognito's `UICustomizationType`, whose
//! `ImageUrl` is the Gatehouse route that serves the logo (there is no CDN).

use actix_web::HttpResponse;
use serde::Serialize;

use super::super::{client_id, output};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::ui_customization::ALL_CLIENTS;
use crate::http::error::ApiError;
use crate::manage::branding::UiCustomizationRecord;

/// The client a request names: None for the pool-wide branding.
pub(super) fn named_client(raw: Option<String>) -> Result<Option<ClientId>, ApiError> {
    match raw.as_deref() {
        None | Some(ALL_CLIENTS) => Ok(None),
        Some(raw) => client_id(raw).map(Some),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UiCustomizationType {
    user_pool_id: String,
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_url: Option<String>,
    #[serde(rename = "CSS", skip_serializing_if = "Option::is_none")]
    css: Option<String>,
    #[serde(rename = "CSSVersion", skip_serializing_if = "Option::is_none")]
    css_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_date: Option<i64>,
}

/// Where the logo stored under `client_key` is served. The version changes with every
/// setting, so a browser never shows a replaced logo from its cache.
fn logo_url(public_url: &str, pool: &UserPoolId, client_key: &str, version: i64) -> String {
    format!(
        "{}/{pool}/hosted/logo/{client_key}?v={version}",
        public_url.trim_end_matches('/')
    )
}

/// `{"UICustomization": ...}` of a stored branding, or of none (only the pool and client).
pub(super) fn answer(
    public_url: &str,
    pool: &UserPoolId,
    asked: Option<&ClientId>,
    record: Option<&UiCustomizationRecord>,
) -> HttpResponse {
    #[derive(Serialize)]
    struct Output {
        #[serde(rename = "UICustomization")]
        ui_customization: UiCustomizationType,
    }
    let shape = match record {
        Some(record) => UiCustomizationType {
            user_pool_id: record.pool_id.to_string(),
            client_id: record.client_key.clone(),
            image_url: record
                .image
                .as_ref()
                .map(|_| logo_url(public_url, pool, &record.client_key, record.updated_at)),
            css: record.css.clone(),
            css_version: record.css.as_ref().map(|_| record.updated_at.to_string()),
            last_modified_date: Some(record.updated_at),
            creation_date: Some(record.created_at),
        },
        None => UiCustomizationType {
            user_pool_id: pool.to_string(),
            client_id: asked.map_or_else(|| ALL_CLIENTS.to_owned(), ToString::to_string),
            image_url: None,
            css: None,
            css_version: None,
            last_modified_date: None,
            creation_date: None,
        },
    };
    output(&Output {
        ui_customization: shape,
    })
}
