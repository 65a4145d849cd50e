//! An app client's OAuth settings (`CallbackURLs`, `LogoutURLs`, `DefaultRedirectURI`,
//! `AllowedOAuth*`, `SupportedIdentityProviders`), checked as Cognito checks them and stored
//! as they were set. The token endpoint acts on the flows and scopes (`client_credentials`
//! and the custom scopes of the pool's resource servers, docs/oauth2.md); the rest waits for
//! the hosted pages and is kept so that infrastructure code reads back what it wrote
//! (docs/cognito-compatibility.md).

use serde::{Deserialize, Serialize};

/// The scopes every pool has; custom scopes (`identifier/name`) come from its resource servers
/// and are checked by the use case that stores the client, which can read them.
pub const STANDARD_SCOPES: &[&str] = &[
    "phone",
    "email",
    "openid",
    "profile",
    "aws.cognito.signin.user.admin",
];
pub const OAUTH_FLOWS: &[&str] = &["code", "implicit", "client_credentials"];
/// The only identity provider a Gatehouse pool has: its own users.
pub const COGNITO_PROVIDER: &str = "COGNITO";
const MAX_URLS: usize = 100;
const MAX_URL_CHARS: usize = 1024;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthSettings {
    #[serde(rename = "CallbackURLs", skip_serializing_if = "Vec::is_empty")]
    pub callback_urls: Vec<String>,
    #[serde(rename = "LogoutURLs", skip_serializing_if = "Vec::is_empty")]
    pub logout_urls: Vec<String>,
    #[serde(rename = "DefaultRedirectURI", skip_serializing_if = "Option::is_none")]
    pub default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows", skip_serializing_if = "Vec::is_empty")]
    pub allowed_oauth_flows: Vec<String>,
    #[serde(rename = "AllowedOAuthScopes", skip_serializing_if = "Vec::is_empty")]
    pub allowed_oauth_scopes: Vec<String>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    pub allowed_oauth_flows_user_pool_client: bool,
    #[serde(
        rename = "SupportedIdentityProviders",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub supported_identity_providers: Vec<String>,
}

/// Why Cognito would refuse the settings: each is its own exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthRefusal {
    /// `InvalidParameterException`.
    InvalidParameter(String),
    /// `InvalidOAuthFlowException`.
    InvalidOAuthFlow(String),
}

/// Cognito's rule for callback and sign-out URLs: absolute, no fragment, and HTTPS unless
/// the host is `localhost` (app schemes such as `myapp://callback` are allowed).
pub fn check_url(member: &str, raw: &str) -> Result<(), OAuthRefusal> {
    let invalid = |rule: &str| OAuthRefusal::InvalidParameter(format!("Invalid {member}: {rule}"));
    let length = raw.chars().count();
    if length == 0 || length > MAX_URL_CHARS {
        return Err(invalid(&format!(
            "a URL must be 1-{MAX_URL_CHARS} characters"
        )));
    }
    let url = url::Url::parse(raw)
        .map_err(|_| invalid("URLs must be absolute, with a scheme (https://...)"))?;
    if url.fragment().is_some() || raw.contains('#') {
        return Err(invalid("URLs cannot contain a fragment"));
    }
    if url.scheme() == "http" && url.host_str() != Some("localhost") {
        return Err(invalid(
            "HTTPS is required over HTTP except for http://localhost",
        ));
    }
    Ok(())
}

fn check_urls(member: &str, urls: &[String]) -> Result<(), OAuthRefusal> {
    if urls.len() > MAX_URLS {
        return Err(OAuthRefusal::InvalidParameter(format!(
            "1 validation error detected: Value at '{}' failed to satisfy constraint: Member \
             must have length less than or equal to {MAX_URLS}",
            lower_first(member)
        )));
    }
    urls.iter().try_for_each(|url| check_url(member, url))
}

fn lower_first(member: &str) -> String {
    let mut chars = member.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

impl OAuthSettings {
    /// The allowed scopes that are not standard ones: custom scopes of resource servers,
    /// which must exist in the pool.
    pub fn custom_scopes(&self) -> impl Iterator<Item = &str> {
        self.allowed_oauth_scopes
            .iter()
            .map(String::as_str)
            .filter(|scope| !STANDARD_SCOPES.contains(scope))
    }

    /// Checks the settings as Cognito does for a client of `pool_id` that has (or not) a
    /// secret. Duplicates are dropped, keeping the first.
    pub fn checked(mut self, pool_id: &str, has_secret: bool) -> Result<Self, OAuthRefusal> {
        for list in [
            &mut self.callback_urls,
            &mut self.logout_urls,
            &mut self.allowed_oauth_flows,
            &mut self.allowed_oauth_scopes,
            &mut self.supported_identity_providers,
        ] {
            let mut seen = std::collections::HashSet::new();
            list.retain(|item| seen.insert(item.clone()));
        }
        check_urls("CallbackURLs", &self.callback_urls)?;
        check_urls("LogoutURLs", &self.logout_urls)?;
        if let Some(default) = &self.default_redirect_uri {
            check_url("DefaultRedirectURI", default)?;
            if !self.callback_urls.contains(default) {
                return Err(OAuthRefusal::InvalidParameter(
                    "DefaultRedirectURI must be one of the CallbackURLs".into(),
                ));
            }
        }
        if self
            .allowed_oauth_flows
            .iter()
            .any(|flow| !OAUTH_FLOWS.contains(&flow.as_str()))
        {
            return Err(OAuthRefusal::InvalidParameter(
                "1 validation error detected: Value at 'allowedOAuthFlows' failed to satisfy \
                 constraint: Member must satisfy constraint: [Member must satisfy enum value \
                 set: [implicit, client_credentials, code]]"
                    .into(),
            ));
        }
        if self.allowed_oauth_scopes.len() > 50 {
            return Err(OAuthRefusal::InvalidParameter(
                "1 validation error detected: Value at 'allowedOAuthScopes' failed to satisfy \
                 constraint: Member must have length less than or equal to 50"
                    .into(),
            ));
        }
        for scope in &self.allowed_oauth_scopes {
            let well_formed = (1..=256).contains(&scope.chars().count())
                && scope
                    .chars()
                    .all(|c| matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E'));
            if !well_formed {
                return Err(OAuthRefusal::InvalidParameter(
                    "1 validation error detected: Value at 'allowedOAuthScopes' failed to \
                     satisfy constraint: Member must satisfy constraint: [Member must have \
                     length between 1 and 256, Member must satisfy regular expression \
                     pattern: [\\x21\\x23-\\x5B\\x5D-\\x7E]+]"
                        .into(),
                ));
            }
        }
        if let Some(provider) = self
            .supported_identity_providers
            .iter()
            .find(|p| p.as_str() != COGNITO_PROVIDER)
        {
            let name: String = provider.chars().take(64).collect();
            return Err(OAuthRefusal::InvalidParameter(format!(
                "The provider {name} does not exist for User Pool {pool_id}"
            )));
        }
        let flows = &self.allowed_oauth_flows;
        let has = |flow: &str| flows.iter().any(|f| f == flow);
        if has("client_credentials") && (has("code") || has("implicit")) {
            return Err(OAuthRefusal::InvalidOAuthFlow(
                "client_credentials flow can not be selected along with code flow or implicit \
                 flow."
                    .into(),
            ));
        }
        if has("client_credentials") && !has_secret {
            return Err(OAuthRefusal::InvalidOAuthFlow(
                "client_credentials flow can not be selected if client does not have a client \
                 secret."
                    .into(),
            ));
        }
        if self.allowed_oauth_flows_user_pool_client {
            if flows.is_empty() {
                return Err(OAuthRefusal::InvalidOAuthFlow(
                    "AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true."
                        .into(),
                ));
            }
            if self.allowed_oauth_scopes.is_empty() {
                return Err(OAuthRefusal::InvalidParameter(
                    "AllowedOAuthScopes must be set when AllowedOAuthFlowsUserPoolClient is true."
                        .into(),
                ));
            }
            if (has("code") || has("implicit")) && self.callback_urls.is_empty() {
                return Err(OAuthRefusal::InvalidOAuthFlow(
                    "CallbackUrls can not be empty when code flow or implicit flow is selected"
                        .into(),
                ));
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(flows: &[&str], scopes: &[&str], callbacks: &[&str]) -> OAuthSettings {
        OAuthSettings {
            callback_urls: callbacks.iter().map(|s| (*s).to_owned()).collect(),
            allowed_oauth_flows: flows.iter().map(|s| (*s).to_owned()).collect(),
            allowed_oauth_scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            allowed_oauth_flows_user_pool_client: true,
            supported_identity_providers: vec![COGNITO_PROVIDER.into()],
            ..OAuthSettings::default()
        }
    }

    #[test]
    fn urls_follow_cognitos_rules() {
        for good in [
            "https://app.example/callback",
            "http://localhost:3000/cb",
            "myapp://signed-in",
        ] {
            assert!(check_url("CallbackURLs", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/relative",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "http://127.0.0.1/cb",
        ] {
            assert!(check_url("CallbackURLs", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flows_scopes_and_callbacks_fit_together() {
        let pool = "us-east-1_abc";
        assert!(
            oauth(&["code"], &["openid", "email"], &["https://a.example/cb"])
                .checked(pool, false)
                .is_ok()
        );
        assert!(matches!(
            oauth(&["code"], &["openid"], &[]).checked(pool, false),
            Err(OAuthRefusal::InvalidOAuthFlow(_))
        ));
        assert!(matches!(
            oauth(
                &["code", "client_credentials"],
                &["openid"],
                &["https://a.example"]
            )
            .checked(pool, true),
            Err(OAuthRefusal::InvalidOAuthFlow(_))
        ));
        let custom = oauth(
            &["code"],
            &["openid", "orders/read"],
            &["https://a.example"],
        )
        .checked(pool, false)
        .unwrap();
        assert_eq!(custom.custom_scopes().collect::<Vec<_>>(), ["orders/read"]);
        assert!(matches!(
            oauth(&["token"], &["openid"], &["https://a.example"]).checked(pool, false),
            Err(OAuthRefusal::InvalidParameter(_))
        ));
        let mut other_provider = oauth(&["code"], &["openid"], &["https://a.example"]);
        other_provider.supported_identity_providers = vec!["Google".into()];
        assert_eq!(
            other_provider.checked(pool, false),
            Err(OAuthRefusal::InvalidParameter(
                "The provider Google does not exist for User Pool us-east-1_abc".into()
            ))
        );
        let mut default_elsewhere = oauth(&["code"], &["openid"], &["https://a.example"]);
        default_elsewhere.default_redirect_uri = Some("https://b.example".into());
        assert!(default_elsewhere.checked(pool, false).is_err());
    }
}
