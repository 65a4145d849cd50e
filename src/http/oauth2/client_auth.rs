//! Client authentication at `/oauth2/token` and `/oauth2/revoke` (RFC 6749 section 2.3):
//! HTTP Basic (`client_secret_basic`), `client_id` and `client_secret` in the body
//! (`client_secret_post`), or `client_id` alone for a client without a secret. The checks
//! themselves (the client exists, in the pool addressed, the secret compared in constant
//! time) are [`Services::authenticate_oauth_client`]'s; this file reads the request.

use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::OAuthError;
use super::form::Form;
use crate::auth::Services;
use crate::auth::oauth_client::AuthenticatedClient;
use crate::domain::ids::UserPoolId;
use crate::domain::secret::{SecretString, secret};

/// What the request presented, before it is checked.
struct Presented {
    client_id: String,
    secret: Option<SecretString>,
    /// Presented with HTTP Basic, so a refusal carries a `WWW-Authenticate: Basic` challenge.
    basic: bool,
}

/// `Authorization: Basic base64(client_id:client_secret)`. Cognito's client ids and secrets
/// are letters and digits, so they are taken as sent (docs/oauth2.md, "Client authentication").
fn basic(request: &HttpRequest) -> Result<Option<(String, SecretString)>, OAuthError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || OAuthError::invalid_client("Malformed Authorization header").with_basic_challenge(true);
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| malformed())
        .and_then(|bytes| String::from_utf8(bytes).map_err(|_| malformed()))?;
    let (id, client_secret) = decoded.split_once(':').ok_or_else(malformed)?;
    if id.is_empty() {
        return Err(malformed());
    }
    Ok(Some((id.to_owned(), secret(client_secret.to_owned()))))
}

fn presented(request: &HttpRequest, form: &Form) -> Result<Presented, OAuthError> {
    let body_id = form.get("client_id");
    match basic(request)? {
        Some((client_id, client_secret)) => {
            // RFC 6749 section 2.3: one authentication method per request.
            if form.get("client_secret").is_some() {
                return Err(OAuthError::invalid_request(
                    "Use one client authentication method: HTTP Basic or client_secret, not both",
                ));
            }
            if body_id.is_some_and(|id| id != client_id) {
                return Err(OAuthError::invalid_client(
                    "client_id does not match the Authorization header",
                )
                .with_basic_challenge(true));
            }
            Ok(Presented {
                client_id,
                secret: Some(client_secret),
                basic: true,
            })
        }
        None => Ok(Presented {
            client_id: body_id
                .ok_or_else(|| OAuthError::invalid_client("Client authentication is required"))?
                .to_owned(),
            secret: form.secret("client_secret"),
            basic: false,
        }),
    }
}

/// The client the request authenticates as, in `pool` when the request was addressed to one.
/// Every refusal is `invalid_client` (401).
pub async fn authenticate(
    services: &Services,
    request: &HttpRequest,
    form: &Form,
    pool: Option<&UserPoolId>,
) -> Result<AuthenticatedClient, OAuthError> {
    let presented = presented(request, form)?;
    services
        .authenticate_oauth_client(&presented.client_id, pool, presented.secret.as_ref())
        .await
        .map_err(|error| {
            let refusal = OAuthError::from_auth(error);
            if refusal.code == super::error::OAuthErrorCode::InvalidClient {
                OAuthError::invalid_client("Client authentication failed")
                    .with_basic_challenge(presented.basic)
            } else {
                refusal
            }
        })
}
