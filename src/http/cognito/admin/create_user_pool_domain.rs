//! `CreateUserPoolDomain`: a prefix, or a custom domain with its `CustomDomainConfig`
//! (the certificate ARN is stored and returned; Gatehouse terminates TLS itself). One domain
//! per pool, each name one pool's.

use actix_web::HttpResponse;
use serde::Deserialize;

use super::super::{empty, failed, input, required};
use super::pool;
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CustomDomainConfig {
    pub certificate_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    domain: Option<String>,
    user_pool_id: Option<String>,
    custom_domain_config: Option<CustomDomainConfig>,
    /// Accepted and ignored: Gatehouse has one kind of hosted pages.
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
    services
        .create_domain(&pool, &domain, certificate)
        .await
        .map_err(failed)?;
    // Cognito adds the CloudFront name of a custom domain; there is none here.
    Ok(empty())
}
