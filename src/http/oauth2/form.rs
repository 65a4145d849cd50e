//! The form-encoded bodies of `/oauth2/token` and `/oauth2/revoke`
//! (`application/x-www-form-urlencoded`, RFC 6749 appendix B): capped and read within the
//! body deadline like every other body, a parameter sent twice refused (RFC 6749 section
//! 3.1), an empty one treated as absent.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, web};

use super::error::OAuthError;
use crate::domain::secret::{SecretString, secret};
use crate::http::body::{AUTH_BODY_LIMIT, read_capped};
use crate::http::error::Surface;

pub struct Form(BTreeMap<String, String>);

impl Form {
    pub async fn read(request: &HttpRequest, payload: web::Payload) -> Result<Self, OAuthError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(
                "Content-Type must be application/x-www-form-urlencoded",
            ));
        }
        let body = read_capped(request, payload, AUTH_BODY_LIMIT, Surface::Plain)
            .await
            .map_err(|e| OAuthError::invalid_request(e.message))?;
        Self::parse(&body)
    }

    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if params
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                let name: String = name.chars().take(64).collect();
                return Err(OAuthError::invalid_request(format!(
                    "The parameter {name} was sent more than once"
                )));
            }
        }
        Ok(Self(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn required(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("{name} is required")))
    }

    /// A parameter that is a credential (a secret, a token): typed so it is never logged.
    pub fn secret(&self, name: &str) -> Option<SecretString> {
        self.get(name).map(|v| secret(v.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_and_empty_values_are_absent() {
        let form = Form::parse(b"grant_type=refresh_token&scope=&a=%2B+b").unwrap();
        assert_eq!(form.get("grant_type"), Some("refresh_token"));
        assert_eq!(form.get("scope"), None);
        assert_eq!(form.get("a"), Some("+ b"));
        let twice = Form::parse(b"client_id=a&client_id=b").err().unwrap();
        assert_eq!(twice.code.as_str(), "invalid_request");
    }
}
