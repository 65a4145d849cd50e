//! CORS, so browser SDKs (amazon-cognito-identity-js, the JS SDK v3) can call the Cognito
//! API, the login API and discovery from a web page. Preflights allow exactly the headers
//! those SDKs send; the AWS response headers they read are exposed.

use actix_cors::Cors;

/// Headers the AWS SDKs and amazon-cognito-identity-js send from browsers.
const ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "cache-control",
    "content-type",
    "x-amz-target",
    "x-amz-user-agent",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
];

/// What real Cognito exposes to scripts. Set by `middleware::observe` on every CORS response
/// in this fixed order: actix-cors would order them by a per-worker hash, and responses that
/// must be byte-identical would then differ between workers.
pub const EXPOSED_HEADERS: &str = "x-amzn-requestid, x-amzn-errortype, x-amzn-errormessage, date";

#[derive(Debug, Clone)]
pub enum AllowedOrigins {
    Any,
    Only(Vec<String>),
}

impl AllowedOrigins {
    pub fn parse(raw: &str) -> Self {
        if raw.trim() == "*" {
            return Self::Any;
        }
        Self::Only(
            raw.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        )
    }
}

pub fn middleware(origins: &AllowedOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "POST", "OPTIONS"])
        .allowed_headers(ALLOWED_HEADERS.iter().copied())
        .max_age(600);
    match origins {
        AllowedOrigins::Any => cors.allow_any_origin(),
        AllowedOrigins::Only(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_lists_parse() {
        assert!(matches!(AllowedOrigins::parse("*"), AllowedOrigins::Any));
        match AllowedOrigins::parse("https://a.example/, https://b.example") {
            AllowedOrigins::Only(list) => {
                assert_eq!(list, ["https://a.example", "https://b.example"])
            }
            AllowedOrigins::Any => panic!("not any"),
        }
        assert!(matches!(AllowedOrigins::parse(""), AllowedOrigins::Only(list) if list.is_empty()));
    }
}
