//! The parameters of `GET /oauth2/authorize` (RFC 6749 4.1.1, RFC 7636, OpenID Connect Core
//! 3.1.2.1), checked against the app client they name. Which failures may be sent back to the
//! `redirect_uri` and which must be shown on the page is the heart of it: until the client
//! and its redirect_uri are proven, nothing is redirected (docs/oauth2.md, "Authorization endpoint, hosted pages and logout").

use std::collections::BTreeMap;

use super::app_client::AppClient;
use super::ids::{ClientId, UserPoolId};

/// The only PKCE method accepted: `plain` gives no protection against a stolen code.
pub const S256: &str = "S256";
/// The longest `state` and `nonce` kept (they are echoed, so they are bounded).
const MAX_ECHO_CHARS: usize = 2048;

/// An authorization request whose client and redirect_uri are proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub client_id: ClientId,
    pub pool_id: UserPoolId,
    pub redirect_uri: String,
    pub state: Option<String>,
    /// Granted scopes, in the order asked, space-separated.
    pub scope: String,
    pub nonce: Option<String>,
    /// The `S256` challenge, when the client sent one.
    pub code_challenge: Option<String>,
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizationRefusal {
    /// The client or redirect_uri is not proven: shown on an error page, never redirected.
    Page(String),
    /// Sent back to the proven redirect_uri as `error` and `error_description` (with `state`).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: &'static str,
        description: String,
    },
}

/// The raw query, one value per name (a repeated parameter is refused, RFC 6749 3.1).
pub type RawParameters = BTreeMap<String, String>;

/// Parses a query string, refusing repeated parameters.
pub fn parse_query(query: &str) -> Result<RawParameters, AuthorizationRefusal> {
    let mut parameters = RawParameters::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if parameters
            .insert(name.clone().into_owned(), value.into_owned())
            .is_some()
        {
            let name: String = name.chars().take(40).collect();
            return Err(AuthorizationRefusal::Page(format!(
                "The parameter {name} is repeated."
            )));
        }
    }
    Ok(parameters)
}

/// Checks the request against `client` (found by its `client_id`, or None when no such client
/// exists) and, under a pool's path, against that pool.
pub fn check(
    parameters: &RawParameters,
    client: Option<&AppClient>,
    path_pool: Option<&UserPoolId>,
) -> Result<AuthorizationRequest, AuthorizationRefusal> {
    let page = |message: &str| AuthorizationRefusal::Page(message.to_owned());
    let client = client.ok_or_else(|| page("The client_id is missing or unknown."))?;
    if path_pool.is_some_and(|pool| *pool != client.pool_id) {
        return Err(page("The client_id is missing or unknown."));
    }
    let oauth = &client.settings.oauth;
    let redirect_uri = parameters
        .get("redirect_uri")
        .ok_or_else(|| page("The redirect_uri is missing."))?;
    // Byte for byte: no normalisation of case, path, trailing slash or query.
    if !oauth.callback_urls.iter().any(|url| url == redirect_uri) {
        return Err(page(
            "The redirect_uri is not one of the app client's callback URLs.",
        ));
    }
    if !oauth.allowed_oauth_flows_user_pool_client {
        return Err(page("The app client is not allowed to use OAuth flows."));
    }
    let state = parameters.get("state").cloned();
    if state
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_ECHO_CHARS)
    {
        return Err(page("The state parameter is too long."));
    }
    let redirect = |error: &'static str, description: &str| AuthorizationRefusal::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description: description.to_owned(),
    };
    match parameters.get("response_type").map(String::as_str) {
        Some("code") => {}
        None => return Err(redirect("invalid_request", "response_type is missing")),
        Some(_) => {
            return Err(redirect(
                "unsupported_response_type",
                "only response_type=code is served",
            ));
        }
    }
    if !oauth.allowed_oauth_flows.iter().any(|flow| flow == "code") {
        return Err(redirect(
            "unauthorized_client",
            "the app client does not allow the code flow",
        ));
    }
    let scope = match parameters.get("scope") {
        // Cognito grants every allowed scope when none is asked for.
        None => oauth.allowed_oauth_scopes.join(" "),
        Some(asked) => {
            let mut granted: Vec<&str> = Vec::new();
            for scope in asked.split(' ').filter(|s| !s.is_empty()) {
                if !oauth.allowed_oauth_scopes.iter().any(|s| s == scope) {
                    return Err(redirect(
                        "invalid_scope",
                        "a requested scope is not allowed for the app client",
                    ));
                }
                if !granted.contains(&scope) {
                    granted.push(scope);
                }
            }
            if granted.is_empty() {
                return Err(redirect("invalid_scope", "scope is empty"));
            }
            granted.join(" ")
        }
    };
    let nonce = parameters.get("nonce").cloned();
    if nonce
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_ECHO_CHARS)
    {
        return Err(redirect("invalid_request", "nonce is too long"));
    }
    let code_challenge = match (
        parameters.get("code_challenge"),
        parameters.get("code_challenge_method").map(String::as_str),
    ) {
        (None, None) => None,
        (Some(challenge), Some(S256)) => {
            if !is_s256_challenge(challenge) {
                return Err(redirect(
                    "invalid_request",
                    "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
                ));
            }
            Some(challenge.clone())
        }
        (Some(_), None | Some("plain")) | (None, Some("plain")) => {
            return Err(redirect(
                "invalid_request",
                "code_challenge_method must be S256; plain is not accepted",
            ));
        }
        _ => {
            return Err(redirect(
                "invalid_request",
                "code_challenge and code_challenge_method S256 go together",
            ));
        }
    };
    // A public client cannot authenticate at the token endpoint: only PKCE binds the code
    // to the party that asked for it.
    if client.secret_encrypted.is_none() && code_challenge.is_none() {
        return Err(redirect(
            "invalid_request",
            "PKCE (code_challenge with code_challenge_method=S256) is required for public clients",
        ));
    }
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        pool_id: client.pool_id.clone(),
        redirect_uri: redirect_uri.clone(),
        state,
        scope,
        nonce,
        code_challenge,
    })
}

/// A base64url SHA-256 without padding is 43 characters of the base64url alphabet.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// RFC 7636 4.1: 43 to 128 unreserved characters.
pub fn is_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The redirect_uri with `extra` appended to its query (`code`/`error` and `state`).
pub fn redirect_with(redirect_uri: &str, extra: &[(&str, &str)]) -> String {
    let mut url = redirect_uri.to_owned();
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in extra {
        serializer.append_pair(name, value);
    }
    let query = serializer.finish();
    url.push(if redirect_uri.contains('?') { '&' } else { '?' });
    url.push_str(&query);
    url
}

impl AuthorizationRefusal {
    /// Where the browser is sent for a `Redirect` refusal.
    pub fn location(&self) -> Option<String> {
        match self {
            Self::Page(_) => None,
            Self::Redirect {
                redirect_uri,
                state,
                error,
                description,
            } => {
                let mut extra = vec![("error", *error), ("error_description", description)];
                if let Some(state) = state {
                    extra.push(("state", state));
                }
                Some(redirect_with(redirect_uri, &extra))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifiers_and_challenges_have_their_rfc_shapes() {
        assert!(is_code_verifier(&"a".repeat(43)));
        assert!(!is_code_verifier(&"a".repeat(42)));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&format!("{}+", "a".repeat(43))));
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c="
        ));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_query("a=1&b=2").is_ok());
        assert!(matches!(
            parse_query("a=1&a=2"),
            Err(AuthorizationRefusal::Page(_))
        ));
    }

    #[test]
    fn redirects_keep_an_existing_query() {
        assert_eq!(
            redirect_with("https://a.example/cb", &[("code", "x y")]),
            "https://a.example/cb?code=x+y"
        );
        assert_eq!(
            redirect_with(
                "https://a.example/cb?v=1",
                &[("code", "c"), ("state", "s&")]
            ),
            "https://a.example/cb?v=1&code=c&state=s%26"
        );
    }
}
