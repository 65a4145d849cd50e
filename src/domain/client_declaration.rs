//! An app client's settings as they are declared: every member `CreateUserPoolClient` and
//! `UpdateUserPoolClient` take besides the pool, the client and its name (lifetimes with
//! their units, flows, existence-error prevention, refresh-token rotation, the attribute
//! permissions, the challenge session's lifetime and the OAuth settings), checked as Cognito
//! checks them. Seed files declare clients with the same members, read by the same type, so
//! a client declared in a file is described exactly as the same client created through the
//! API (docs/operations.md, "Seed files").

use serde::Deserialize;

use super::app_client::{
    AUTH_SESSION_MINUTES, AppClient, ClientSettings, DEFAULT_AUTH_SESSION_MINUTES, TimeUnit,
    TokenValidity, TokenValidityUnits,
};
use super::attribute_access::{InvalidAttributeList, parse_attribute_lists};
use super::client_oauth::{OAuthRefusal, OAuthSettings};
use super::message_template::SettingError;
use super::pool::UserPool;

/// Why a client declaration is refused: a setting (a malformed member, or Cognito's
/// `InvalidParameterException` message), or the OAuth settings, each refusal of which is its
/// own Cognito exception.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientRefusal {
    Setting(SettingError),
    OAuth(OAuthRefusal),
}

impl std::fmt::Display for ClientRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Setting(error) => error.fmt(f),
            Self::OAuth(
                OAuthRefusal::InvalidParameter(message) | OAuthRefusal::InvalidOAuthFlow(message),
            ) => f.write_str(message),
        }
    }
}

fn constraint(member: &str, rule: &str) -> ClientRefusal {
    ClientRefusal::Setting(SettingError::constraint(member, rule))
}

fn invalid(message: String) -> ClientRefusal {
    ClientRefusal::Setting(SettingError::Invalid(message))
}

fn required<T>(member: &str, value: Option<T>) -> Result<T, ClientRefusal> {
    value.ok_or_else(|| constraint(member, "Member must not be null"))
}

/// Every client setting Create and UpdateUserPoolClient take; an absent one is Cognito's
/// default (for Update too: Cognito resets what a request leaves out), or, for a seed file,
/// what the client has ([`ClientConfig::or_current`]).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ClientConfig {
    refresh_token_validity: Option<i64>,
    access_token_validity: Option<i64>,
    id_token_validity: Option<i64>,
    token_validity_units: Option<Units>,
    explicit_auth_flows: Option<Vec<String>>,
    prevent_user_existence_errors: Option<String>,
    enable_token_revocation: Option<bool>,
    refresh_token_rotation: Option<Rotation>,
    read_attributes: Option<Vec<String>>,
    write_attributes: Option<Vec<String>>,
    #[serde(rename = "CallbackURLs")]
    callback_urls: Option<Vec<String>>,
    #[serde(rename = "LogoutURLs")]
    logout_urls: Option<Vec<String>>,
    #[serde(rename = "DefaultRedirectURI")]
    default_redirect_uri: Option<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    allowed_oauth_flows: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthScopes")]
    allowed_oauth_scopes: Option<Vec<String>>,
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    allowed_oauth_flows_user_pool_client: Option<bool>,
    supported_identity_providers: Option<Vec<String>>,
    auth_session_validity: Option<i64>,
    enable_propagate_additional_user_context_data: Option<bool>,
}

/// A [`ClientConfig`] checked and in domain terms.
pub struct ParsedConfig {
    pub validity: TokenValidity,
    pub refresh_grace_seconds: i64,
    pub settings: ClientSettings,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Units {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Rotation {
    feature: Option<String>,
    retry_grace_period_seconds: Option<i64>,
}

fn unit(member: &str, raw: Option<String>, default: TimeUnit) -> Result<TimeUnit, ClientRefusal> {
    raw.map_or(Ok(default), |u| {
        TimeUnit::parse(&u).map_err(|e| constraint(member, &e))
    })
}

/// A lifetime member within its model range (`AccessTokenValidity` and `IdTokenValidity`
/// 1–86400, `RefreshTokenValidity` 0–315360000), before its unit is applied.
fn lifetime(member: &str, value: Option<i64>, max: i64) -> Result<Option<i64>, ClientRefusal> {
    let min = i64::from(member != "refreshTokenValidity");
    match value {
        Some(v) if v < min => Err(constraint(
            member,
            &format!("Member must have value greater than or equal to {min}"),
        )),
        Some(v) if v > max => Err(constraint(
            member,
            &format!("Member must have value less than or equal to {max}"),
        )),
        // Cognito reads a refresh validity of 0 as "the default".
        Some(0) => Ok(None),
        other => Ok(other),
    }
}

impl ClientConfig {
    /// This declaration with every member it leaves out taken from `current`, as the client
    /// is now (seed files: what a file does not say stays). The lifetimes and their units
    /// count as one member: given in part, the rest takes Cognito's defaults.
    pub fn or_current(self, current: &AppClient) -> Self {
        let units = &current.settings.token_validity_units;
        let unit_name = |unit: TimeUnit| {
            serde_json::to_value(unit)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
        };
        let lifetimes_given = self.refresh_token_validity.is_some()
            || self.access_token_validity.is_some()
            || self.id_token_validity.is_some()
            || self.token_validity_units.is_some();
        let (refresh, access, id, token_units) = if lifetimes_given {
            (
                self.refresh_token_validity,
                self.access_token_validity,
                self.id_token_validity,
                self.token_validity_units,
            )
        } else {
            // Each lifetime in its unit, or in seconds where it is no whole number of it.
            let in_unit = |seconds: i64, unit: TimeUnit| {
                let unit = if seconds % unit.seconds() == 0 {
                    unit
                } else {
                    TimeUnit::Seconds
                };
                (Some(seconds / unit.seconds()), unit_name(unit))
            };
            let (refresh, refresh_unit) =
                in_unit(current.validity.refresh_token_seconds, units.refresh_token);
            let (access, access_unit) =
                in_unit(current.validity.access_token_seconds, units.access_token);
            let (id, id_unit) = in_unit(current.validity.id_token_seconds, units.id_token);
            (
                refresh,
                access,
                id,
                Some(Units {
                    access_token: access_unit,
                    id_token: id_unit,
                    refresh_token: refresh_unit,
                }),
            )
        };
        let settings = &current.settings;
        let oauth = &settings.oauth;
        let enabled = |on: bool, yes: &str, no: &str| Some(if on { yes } else { no }.to_owned());
        Self {
            refresh_token_validity: refresh,
            access_token_validity: access,
            id_token_validity: id,
            token_validity_units: token_units,
            explicit_auth_flows: self
                .explicit_auth_flows
                .or_else(|| Some(settings.explicit_auth_flows.clone())),
            prevent_user_existence_errors: self
                .prevent_user_existence_errors
                .or_else(|| enabled(settings.prevent_user_existence_errors, "ENABLED", "LEGACY")),
            enable_token_revocation: self
                .enable_token_revocation
                .or(Some(settings.enable_token_revocation)),
            refresh_token_rotation: self.refresh_token_rotation.or_else(|| {
                Some(Rotation {
                    feature: enabled(settings.refresh_token_rotation, "ENABLED", "DISABLED"),
                    retry_grace_period_seconds: Some(current.refresh_grace_seconds),
                })
            }),
            read_attributes: self
                .read_attributes
                .or_else(|| settings.read_attributes.clone()),
            write_attributes: self
                .write_attributes
                .or_else(|| settings.write_attributes.clone()),
            callback_urls: self
                .callback_urls
                .or_else(|| Some(oauth.callback_urls.clone())),
            logout_urls: self.logout_urls.or_else(|| Some(oauth.logout_urls.clone())),
            default_redirect_uri: self
                .default_redirect_uri
                .or_else(|| oauth.default_redirect_uri.clone()),
            allowed_oauth_flows: self
                .allowed_oauth_flows
                .or_else(|| Some(oauth.allowed_oauth_flows.clone())),
            allowed_oauth_scopes: self
                .allowed_oauth_scopes
                .or_else(|| Some(oauth.allowed_oauth_scopes.clone())),
            allowed_oauth_flows_user_pool_client: self
                .allowed_oauth_flows_user_pool_client
                .or(Some(oauth.allowed_oauth_flows_user_pool_client)),
            supported_identity_providers: self
                .supported_identity_providers
                .or_else(|| Some(oauth.supported_identity_providers.clone())),
            auth_session_validity: self
                .auth_session_validity
                .or(Some(settings.auth_session_validity_minutes)),
            enable_propagate_additional_user_context_data: self
                .enable_propagate_additional_user_context_data
                .or(Some(settings.enable_propagate_additional_user_context_data)),
        }
    }

    /// `verb` is "creating" or "updating", as Cognito words its attribute-list errors; the
    /// attribute lists are checked against `pool`'s schema, the OAuth settings for a client
    /// of `pool` with (or without) a secret.
    pub fn parse(
        self,
        verb: &str,
        pool: &UserPool,
        has_secret: bool,
    ) -> Result<ParsedConfig, ClientRefusal> {
        let refresh_token_validity = lifetime(
            "refreshTokenValidity",
            self.refresh_token_validity,
            315_360_000,
        )?;
        let access_token_validity =
            lifetime("accessTokenValidity", self.access_token_validity, 86_400)?;
        let id_token_validity = lifetime("idTokenValidity", self.id_token_validity, 86_400)?;
        let auth_session_validity_minutes = match self.auth_session_validity {
            None => DEFAULT_AUTH_SESSION_MINUTES,
            Some(m) if m < *AUTH_SESSION_MINUTES.start() => {
                return Err(constraint(
                    "authSessionValidity",
                    "Member must have value greater than or equal to 3",
                ));
            }
            Some(m) if m > *AUTH_SESSION_MINUTES.end() => {
                return Err(constraint(
                    "authSessionValidity",
                    "Member must have value less than or equal to 15",
                ));
            }
            Some(m) => m,
        };
        let oauth = OAuthSettings {
            callback_urls: self.callback_urls.unwrap_or_default(),
            logout_urls: self.logout_urls.unwrap_or_default(),
            default_redirect_uri: self.default_redirect_uri,
            allowed_oauth_flows: self.allowed_oauth_flows.unwrap_or_default(),
            allowed_oauth_scopes: self.allowed_oauth_scopes.unwrap_or_default(),
            allowed_oauth_flows_user_pool_client: self
                .allowed_oauth_flows_user_pool_client
                .unwrap_or(false),
            supported_identity_providers: self.supported_identity_providers.unwrap_or_default(),
        }
        .checked(pool.id.as_str(), has_secret)
        .map_err(ClientRefusal::OAuth)?;
        let defaults = TokenValidityUnits::default();
        let units = match self.token_validity_units {
            Some(u) => TokenValidityUnits {
                access_token: unit(
                    "tokenValidityUnits.accessToken",
                    u.access_token,
                    defaults.access_token,
                )?,
                id_token: unit("tokenValidityUnits.idToken", u.id_token, defaults.id_token)?,
                refresh_token: unit(
                    "tokenValidityUnits.refreshToken",
                    u.refresh_token,
                    defaults.refresh_token,
                )?,
            },
            None => defaults,
        };
        let fallback = TokenValidity::default();
        let seconds = |value: Option<i64>, unit: TimeUnit, default: i64| {
            value.map_or(default, |v| v.saturating_mul(unit.seconds()))
        };
        let validity = TokenValidity {
            id_token_seconds: seconds(id_token_validity, units.id_token, fallback.id_token_seconds),
            access_token_seconds: seconds(
                access_token_validity,
                units.access_token,
                fallback.access_token_seconds,
            ),
            refresh_token_seconds: seconds(
                refresh_token_validity,
                units.refresh_token,
                fallback.refresh_token_seconds,
            ),
        };
        // Each lifetime in its unit must fall in Cognito's range (5 minutes to a day for ID
        // and access tokens, an hour to 10 years for refresh tokens).
        if validity.validate().is_err() {
            return Err(invalid("Invalid range for token validity.".into()));
        }
        let flows = ClientSettings::parse_flows(self.explicit_auth_flows.as_deref())
            .map_err(|e| constraint("explicitAuthFlows", &e))?;
        let prevent = match self.prevent_user_existence_errors.as_deref() {
            None | Some("ENABLED") => true,
            Some("LEGACY") => false,
            Some(_) => {
                return Err(constraint(
                    "preventUserExistenceErrors",
                    "Member must satisfy enum value set: [LEGACY, ENABLED]",
                ));
            }
        };
        let (rotation, grace) = match self.refresh_token_rotation {
            None => (false, 0),
            Some(r) => {
                let enabled = match required("refreshTokenRotation.feature", r.feature)?.as_str() {
                    "ENABLED" => true,
                    "DISABLED" => false,
                    _ => {
                        return Err(constraint(
                            "refreshTokenRotation.feature",
                            "Member must satisfy enum value set: [ENABLED, DISABLED]",
                        ));
                    }
                };
                (enabled, r.retry_grace_period_seconds.unwrap_or(0))
            }
        };
        let lists = parse_attribute_lists(
            &pool.settings.schema(),
            self.read_attributes.as_deref(),
            self.write_attributes.as_deref(),
        )
        .map_err(|refused| {
            let list = match refused {
                InvalidAttributeList::Read => "read",
                InvalidAttributeList::Write => "write",
            };
            invalid(format!(
                "Invalid {list} attributes specified while {verb} a client"
            ))
        })?;
        Ok(ParsedConfig {
            validity,
            refresh_grace_seconds: grace,
            settings: ClientSettings {
                explicit_auth_flows: flows,
                prevent_user_existence_errors: prevent,
                refresh_token_rotation: rotation,
                enable_token_revocation: self.enable_token_revocation.unwrap_or(true),
                token_validity_units: units,
                read_attributes: lists.read,
                write_attributes: lists.write,
                oauth,
                auth_session_validity_minutes,
                enable_propagate_additional_user_context_data: self
                    .enable_propagate_additional_user_context_data
                    .unwrap_or(false),
            },
        })
    }
}
