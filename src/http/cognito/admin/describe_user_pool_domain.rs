//! `DescribeUserPoolDomain`: the domain's pool and status (always `ACTIVE`: nothing is
//! provisioned), or an empty `DomainDescription` for a name no pool has, as Cognito answers.
//! There is no CloudFront distribution or S3 bucket, so those members are left out.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::{failed, input, output, required};
use crate::auth::Services;
use crate::http::error::ApiError;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    domain: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CustomDomainConfigType {
    certificate_arn: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct DomainDescriptionType {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_pool_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_domain_config: Option<CustomDomainConfigType>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    domain_description: DomainDescriptionType,
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let domain = required("domain", input.domain)?;
    let found = services.describe_domain(&domain).await.map_err(failed)?;
    let description = found.map_or_else(DomainDescriptionType::default, |record| {
        DomainDescriptionType {
            user_pool_id: Some(record.pool_id.to_string()),
            domain: Some(record.domain),
            status: Some("ACTIVE"),
            version: Some(record.created_at.to_string()),
            custom_domain_config: record
                .certificate_arn
                .map(|certificate_arn| CustomDomainConfigType { certificate_arn }),
        }
    });
    Ok(output(&Output {
        domain_description: description,
    }))
}
