//! App clients: who a token is for. Pools made by the CLI and seed files have a default
//! client, the one `/Login` uses; pools made by `CreateUserPool` have only the clients
//! created for them (see [`login_api_client`]).

use serde::{Deserialize, Serialize};

use super::client_oauth::OAuthSettings;
use super::clock::UnixSeconds;
use super::ids::{ClientId, UserPoolId};

/// The sign-in flows Cognito lets a client enable (`ExplicitAuthFlows`).
pub const USER_PASSWORD_AUTH: &str = "ALLOW_USER_PASSWORD_AUTH";
pub const ADMIN_USER_PASSWORD_AUTH: &str = "ALLOW_ADMIN_USER_PASSWORD_AUTH";
pub const REFRESH_TOKEN_AUTH: &str = "ALLOW_REFRESH_TOKEN_AUTH";
pub const USER_SRP_AUTH: &str = "ALLOW_USER_SRP_AUTH";
pub const CUSTOM_AUTH: &str = "ALLOW_CUSTOM_AUTH";
pub const USER_AUTH: &str = "ALLOW_USER_AUTH";
const FLOWS: &[&str] = &[
    USER_PASSWORD_AUTH,
    ADMIN_USER_PASSWORD_AUTH,
    REFRESH_TOKEN_AUTH,
    USER_SRP_AUTH,
    CUSTOM_AUTH,
    USER_AUTH,
];
/// The pre-2019 names, which Cognito still accepts (never mixed with `ALLOW_*`).
const LEGACY_FLOWS: &[(&str, &str)] = &[
    ("USER_PASSWORD_AUTH", USER_PASSWORD_AUTH),
    ("ADMIN_NO_SRP_AUTH", ADMIN_USER_PASSWORD_AUTH),
    ("CUSTOM_AUTH_FLOW_ONLY", CUSTOM_AUTH),
];

/// Per-client behaviour beyond lifetimes, stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientSettings {
    /// Enabled flows, normalised to the `ALLOW_*` names.
    pub explicit_auth_flows: Vec<String>,
    /// ENABLED (true): an unknown user looks like a wrong password. LEGACY (false):
    /// `UserNotFoundException`.
    pub prevent_user_existence_errors: bool,
    /// Whether GetTokensFromRefreshToken issues a new refresh token each time.
    pub refresh_token_rotation: bool,
    pub enable_token_revocation: bool,
    /// The units the client's lifetimes were given in, echoed back by Describe.
    pub token_validity_units: TokenValidityUnits,
    /// `ReadAttributes`: what this client's users see of their own attributes (GetUser, ID
    /// token). None is Cognito's default; see [`super::attribute_access`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_attributes: Option<Vec<String>>,
    /// `WriteAttributes`: what this client's users may set on themselves. None is Cognito's
    /// default; see [`super::attribute_access`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_attributes: Option<Vec<String>>,
    /// Callback and sign-out URLs, OAuth flows and scopes, identity providers: stored and
    /// returned as set (see [`super::client_oauth`]).
    #[serde(flatten)]
    pub oauth: OAuthSettings,
    /// `AuthSessionValidity`: minutes a challenge's `Session` lasts (3–15).
    #[serde(rename = "AuthSessionValidity")]
    pub auth_session_validity_minutes: i64,
    /// Stored and returned; Gatehouse has no threat protection to pass the context data to.
    pub enable_propagate_additional_user_context_data: bool,
}

impl Default for ClientSettings {
    /// What a pool's default client allows: password sign-in (user and admin), SRP sign-in
    /// (what Cognito's SDKs use unless told otherwise) and refresh.
    fn default() -> Self {
        Self {
            explicit_auth_flows: vec![
                USER_PASSWORD_AUTH.to_owned(),
                ADMIN_USER_PASSWORD_AUTH.to_owned(),
                USER_SRP_AUTH.to_owned(),
                REFRESH_TOKEN_AUTH.to_owned(),
            ],
            prevent_user_existence_errors: true,
            refresh_token_rotation: false,
            enable_token_revocation: true,
            token_validity_units: TokenValidityUnits::default(),
            read_attributes: None,
            write_attributes: None,
            oauth: OAuthSettings::default(),
            auth_session_validity_minutes: DEFAULT_AUTH_SESSION_MINUTES,
            enable_propagate_additional_user_context_data: false,
        }
    }
}

/// Cognito's default `AuthSessionValidity`, and its range.
pub const DEFAULT_AUTH_SESSION_MINUTES: i64 = 3;
pub const AUTH_SESSION_MINUTES: std::ops::RangeInclusive<i64> = 3..=15;

impl ClientSettings {
    /// How long a challenge `Session` this client starts stays usable.
    pub fn auth_session_seconds(&self) -> i64 {
        self.auth_session_validity_minutes
            .clamp(*AUTH_SESSION_MINUTES.start(), *AUTH_SESSION_MINUTES.end())
            * 60
    }

    pub fn allows(&self, flow: &str) -> bool {
        self.explicit_auth_flows.iter().any(|f| f == flow)
    }

    /// Parses `ExplicitAuthFlows` as Cognito does: `ALLOW_*` or legacy names, not mixed; an
    /// absent list means refresh, SRP and custom auth.
    pub fn parse_flows(raw: Option<&[String]>) -> Result<Vec<String>, String> {
        let Some(raw) = raw else {
            return Ok(vec![
                REFRESH_TOKEN_AUTH.to_owned(),
                USER_SRP_AUTH.to_owned(),
                CUSTOM_AUTH.to_owned(),
            ]);
        };
        let legacy = raw.iter().filter(|f| !f.starts_with("ALLOW_")).count();
        if legacy > 0 && legacy < raw.len() {
            return Err("ExplicitAuthFlows cannot mix ALLOW_ values with legacy values".into());
        }
        let mut flows = Vec::new();
        for flow in raw {
            let normalised = if FLOWS.contains(&flow.as_str()) {
                flow.as_str()
            } else {
                LEGACY_FLOWS
                    .iter()
                    .find(|(old, _)| old == flow)
                    .map(|(_, new)| *new)
                    .ok_or_else(|| format!("{flow:?} is not an ExplicitAuthFlows value"))?
            };
            if !flows.iter().any(|f| f == normalised) {
                flows.push(normalised.to_owned());
            }
        }
        Ok(flows)
    }
}

/// Cognito's `TokenValidityUnits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TokenValidityUnits {
    pub access_token: TimeUnit,
    pub id_token: TimeUnit,
    pub refresh_token: TimeUnit,
}

impl Default for TokenValidityUnits {
    /// Cognito's defaults: hours for ID and access tokens, days for refresh tokens.
    fn default() -> Self {
        Self {
            access_token: TimeUnit::Hours,
            id_token: TimeUnit::Hours,
            refresh_token: TimeUnit::Days,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub fn seconds(self) -> i64 {
        match self {
            Self::Seconds => 1,
            Self::Minutes => 60,
            Self::Hours => 3_600,
            Self::Days => 86_400,
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "seconds" => Ok(Self::Seconds),
            "minutes" => Ok(Self::Minutes),
            "hours" => Ok(Self::Hours),
            "days" => Ok(Self::Days),
            other => Err(format!(
                "{other:?} is not a time unit (seconds, minutes, hours, days)"
            )),
        }
    }
}

/// Token lifetimes in seconds, within Cognito's ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenValidity {
    pub id_token_seconds: i64,
    pub access_token_seconds: i64,
    pub refresh_token_seconds: i64,
}

impl Default for TokenValidity {
    fn default() -> Self {
        Self {
            id_token_seconds: 3_600,
            access_token_seconds: 3_600,
            refresh_token_seconds: 30 * 86_400,
        }
    }
}

impl TokenValidity {
    /// Cognito's ranges: ID and access tokens 5 minutes to 1 day, refresh 1 hour to 3650 days.
    pub fn validate(&self) -> Result<(), String> {
        let short = 300..=86_400;
        if !short.contains(&self.id_token_seconds) {
            return Err("ID token validity must be between 5 minutes and 1 day".into());
        }
        if !short.contains(&self.access_token_seconds) {
            return Err("access token validity must be between 5 minutes and 1 day".into());
        }
        if !(3_600..=3_650 * 86_400).contains(&self.refresh_token_seconds) {
            return Err("refresh token validity must be between 1 hour and 3650 days".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppClient {
    pub id: ClientId,
    pub pool_id: UserPoolId,
    pub name: String,
    pub is_default: bool,
    pub validity: TokenValidity,
    /// Seconds a rotated refresh token's immediate predecessor stays usable (0–60).
    pub refresh_grace_seconds: i64,
    pub settings: ClientSettings,
    /// The client secret, encrypted under the key-encryption key; None for public clients.
    pub secret_encrypted: Option<String>,
    pub created_at: UnixSeconds,
    /// When its settings last changed (Cognito's `LastModifiedDate`).
    pub updated_at: UnixSeconds,
}

impl AppClient {
    /// Whether a caller that cannot prove the client secret may use this client for `flow`,
    /// as the Cognito API would let it: only a client without a secret that enables the
    /// flow. The login API has no place for a `SECRET_HASH`, so this is the whole test it
    /// applies to sessions of clients other than the pool's default one.
    pub fn usable_without_secret_for(&self, flow: &str) -> bool {
        self.secret_encrypted.is_none() && self.settings.allows(flow)
    }

    /// Whether the login API, which serves a pool's default client, may continue a session
    /// (a refresh token family or a challenge) that this client started with `flow`.
    pub fn serves_login_api(&self, flow: &str) -> bool {
        self.is_default || self.usable_without_secret_for(flow)
    }

    /// Whether the Cognito API may refresh tokens for this client through `operation`.
    /// `REFRESH_TOKEN_AUTH` needs `ALLOW_REFRESH_TOKEN_AUTH`. GetTokensFromRefreshToken needs
    /// it too, unless the client rotates refresh tokens: Cognito completes rotation only
    /// through that operation, and its console clears the flow when rotation is turned on.
    pub fn allows_refresh(&self, operation: RefreshOperation) -> bool {
        self.settings.allows(REFRESH_TOKEN_AUTH)
            || (operation == RefreshOperation::GetTokensFromRefreshToken
                && self.settings.refresh_token_rotation)
    }

    /// Whether `RevokeToken` may revoke this client's tokens (`EnableTokenRevocation`).
    pub fn allows_revocation(&self) -> bool {
        self.settings.enable_token_revocation
    }
}

/// The client the login API acts for in a pool, of the pool's clients (oldest first): the
/// default client, else the oldest client the Cognito API would let anyone sign in with by
/// password without a secret (no secret, `ALLOW_USER_PASSWORD_AUTH`). None: the login API
/// cannot sign in to the pool (docs/api.md, "Which app client").
pub fn login_api_client(clients: Vec<AppClient>) -> Option<AppClient> {
    let mut eligible = None;
    for client in clients {
        if client.is_default {
            return Some(client);
        }
        if eligible.is_none() && client.usable_without_secret_for(USER_PASSWORD_AUTH) {
            eligible = Some(client);
        }
    }
    eligible
}

/// The Cognito API's two ways to refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOperation {
    /// `GetTokensFromRefreshToken`, proven with the client secret itself.
    GetTokensFromRefreshToken,
    /// `REFRESH_TOKEN_AUTH` in (Admin)InitiateAuth, proven with a `SECRET_HASH`.
    RefreshTokenAuth,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_cognitos_and_valid() {
        let v = TokenValidity::default();
        assert_eq!(v.access_token_seconds, 3600);
        assert_eq!(v.refresh_token_seconds, 2_592_000);
        assert!(v.validate().is_ok());
    }

    #[test]
    fn explicit_auth_flows_parse_like_cognito() {
        assert_eq!(
            ClientSettings::parse_flows(None).unwrap(),
            [REFRESH_TOKEN_AUTH, USER_SRP_AUTH, CUSTOM_AUTH]
        );
        let legacy = [
            "USER_PASSWORD_AUTH".to_owned(),
            "ADMIN_NO_SRP_AUTH".to_owned(),
        ];
        assert_eq!(
            ClientSettings::parse_flows(Some(&legacy)).unwrap(),
            [USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH]
        );
        let mixed = [
            "USER_PASSWORD_AUTH".to_owned(),
            REFRESH_TOKEN_AUTH.to_owned(),
        ];
        assert!(ClientSettings::parse_flows(Some(&mixed)).is_err());
        assert!(ClientSettings::parse_flows(Some(&["BOGUS".to_owned()])).is_err());
        assert!(ClientSettings::default().allows(USER_PASSWORD_AUTH));
    }

    fn client(is_default: bool, secret: bool, flows: &[&str]) -> AppClient {
        AppClient {
            id: ClientId::parse("abcdefghijklmnopqrstuvwxyz").unwrap(),
            pool_id: UserPoolId::parse("us-east-1_abcdefghi").unwrap(),
            name: "c".into(),
            is_default,
            validity: TokenValidity::default(),
            refresh_grace_seconds: 0,
            settings: ClientSettings {
                explicit_auth_flows: flows.iter().map(|f| (*f).to_owned()).collect(),
                ..ClientSettings::default()
            },
            secret_encrypted: secret.then(|| "sealed".to_owned()),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_login_api_serves_the_default_client_and_public_clients_that_allow_the_flow() {
        assert!(client(true, false, &[USER_PASSWORD_AUTH]).serves_login_api(REFRESH_TOKEN_AUTH));
        assert!(client(false, false, &[REFRESH_TOKEN_AUTH]).serves_login_api(REFRESH_TOKEN_AUTH));
        assert!(!client(false, true, &[REFRESH_TOKEN_AUTH]).serves_login_api(REFRESH_TOKEN_AUTH));
        assert!(!client(false, false, &[USER_PASSWORD_AUTH]).serves_login_api(REFRESH_TOKEN_AUTH));
    }

    #[test]
    fn the_login_api_acts_for_the_default_client_else_the_oldest_public_password_client() {
        let named = |name: &str, mut c: AppClient| {
            c.name = name.into();
            c
        };
        let pick = |clients: Vec<AppClient>| login_api_client(clients).map(|c| c.name);
        let secret = named("secret", client(false, true, &[USER_PASSWORD_AUTH]));
        let srp_only = named("srp", client(false, false, &[USER_SRP_AUTH]));
        let public = named("public", client(false, false, &[USER_PASSWORD_AUTH]));
        let later = named("later", client(false, false, &[USER_PASSWORD_AUTH]));
        let default = named("default", client(true, true, &[]));
        assert_eq!(pick(vec![]), None);
        assert_eq!(pick(vec![secret.clone(), srp_only.clone()]), None);
        assert_eq!(
            pick(vec![secret.clone(), public.clone(), later.clone()]).as_deref(),
            Some("public")
        );
        assert_eq!(
            pick(vec![public, later, default]).as_deref(),
            Some("default")
        );
    }

    #[test]
    fn refresh_needs_the_flow_except_for_rotation_through_get_tokens() {
        use RefreshOperation::{GetTokensFromRefreshToken, RefreshTokenAuth};
        let with_flow = client(false, false, &[REFRESH_TOKEN_AUTH]);
        assert!(with_flow.allows_refresh(RefreshTokenAuth));
        assert!(with_flow.allows_refresh(GetTokensFromRefreshToken));
        let mut without = client(false, false, &[USER_PASSWORD_AUTH]);
        assert!(!without.allows_refresh(RefreshTokenAuth));
        assert!(!without.allows_refresh(GetTokensFromRefreshToken));
        without.settings.refresh_token_rotation = true;
        assert!(!without.allows_refresh(RefreshTokenAuth));
        assert!(without.allows_refresh(GetTokensFromRefreshToken));
    }

    #[test]
    fn time_units_convert() {
        assert_eq!(TimeUnit::parse("days").unwrap().seconds(), 86_400);
        assert!(TimeUnit::parse("weeks").is_err());
    }

    #[test]
    fn out_of_range_lifetimes_are_refused() {
        let mut v = TokenValidity {
            id_token_seconds: 299,
            ..TokenValidity::default()
        };
        assert!(v.validate().is_err());
        v.id_token_seconds = 3600;
        v.access_token_seconds = 86_401;
        assert!(v.validate().is_err());
        v.access_token_seconds = 3600;
        v.refresh_token_seconds = 3_599;
        assert!(v.validate().is_err());
    }
}
