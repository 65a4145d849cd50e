//! `AddCustomAttributes`: extends a pool's schema with up to 25 custom attributes at a time
//! (50 in all). Custom attributes cannot be removed or changed afterwards, as in Cognito.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::{pool, schema_error};
use crate::auth::Services;
use crate::domain::schema::{Schema, SchemaAttributeSpec};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    custom_attributes: Option<Vec<SchemaAttributeSpec>>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let entries = required("customAttributes", input.custom_attributes)?;
    // The request is checked on its own before the pool is looked up, as AWS validates
    // members first.
    let attributes = Schema::custom_attributes(&entries).map_err(schema_error)?;
    let pool = pool(services, input.user_pool_id).await?;
    services
        .add_custom_attributes(&pool, attributes)
        .await
        .map_err(failed)?;
    Ok(empty())
}
