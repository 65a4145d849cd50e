//! The `client_credentials` grant: an access token for the client itself, with custom scopes
//! ([`Services::client_credentials`]); no ID or refresh token. `aws_client_metadata`, a JSON
//! object of strings, goes to the pool's `PreTokenGeneration` function as Cognito passes it
//! (docs/triggers.md).

use std::collections::BTreeMap;

use actix_web::HttpResponse;

use super::error::OAuthError;
use super::form::Form;
use super::token::client_token;
use crate::auth::Services;
use crate::auth::oauth_client::AuthenticatedClient;

pub async fn client_credentials(
    services: &Services,
    client: &AuthenticatedClient,
    form: &Form,
) -> Result<HttpResponse, OAuthError> {
    let client_metadata = client_metadata(form.get("aws_client_metadata"))?;
    let token = services
        .client_credentials(client, form.get("scope"), &client_metadata)
        .await
        .map_err(OAuthError::from_auth)?;
    Ok(client_token(&token))
}

/// `aws_client_metadata`: absent is `{}`; anything but a JSON object of strings is refused.
fn client_metadata(raw: Option<&str>) -> Result<BTreeMap<String, String>, OAuthError> {
    let Some(raw) = raw else {
        return Ok(BTreeMap::new());
    };
    serde_json::from_str(raw).map_err(|_| {
        OAuthError::invalid_request("aws_client_metadata must be a JSON object of strings")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_metadata_is_a_json_object_of_strings() {
        assert_eq!(client_metadata(None).unwrap(), BTreeMap::new());
        assert_eq!(
            client_metadata(Some(r#"{"plan":"gold"}"#)).unwrap(),
            BTreeMap::from([("plan".to_owned(), "gold".to_owned())])
        );
        for refused in [r#"{"n":1}"#, "[]", "plan=gold", r#""x""#] {
            assert!(client_metadata(Some(refused)).is_err(), "{refused}");
        }
    }
}
