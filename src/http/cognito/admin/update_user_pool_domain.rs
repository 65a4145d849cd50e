//! `UpdateUserPoolDomain`: a custom domain's certificate. Without `CustomDomainConfig`
//! (only `ManagedLoginVersion`) there is nothing to change, once the domain is the pool's.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::create_user_pool_domain::CustomDomainConfig;
use super::pool;
use crate::auth::{AuthError, Services};
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    domain: Option<String>,
    user_pool_id: Option<String>,
    custom_domain_config: Option<CustomDomainConfig>,
    #[serde(rename = "ManagedLoginVersion")]
    _managed_login_version: Option<i64>,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let domain = required("domain", input.domain)?;
    let certificate = input
        .custom_domain_config
        .map(|config| required("customDomainConfig.certificateArn", config.certificate_arn))
        .transpose()?;
    let pool = pool(services, input.user_pool_id).await?;
    match certificate {
        Some(arn) => {
            services
                .update_domain(&pool, &domain, arn)
                .await
                .map_err(failed)?;
        }
        None => {
            let found = services.describe_domain(&domain).await.map_err(failed)?;
            if found.is_none_or(|d| d.pool_id != pool.id) {
                return Err(failed(AuthError::InvalidParameter(
                    "No such domain or user pool exists.".into(),
                )));
            }
        }
    }
    Ok(empty())
}
