//! `CreateUserPoolClient`: lifetimes with their units, flows, secret, existence-error
//! prevention (ENABLED unless LEGACY is asked for), refresh-token rotation, the attribute
//! permissions, the challenge session's lifetime (`AuthSessionValidity`) and the OAuth
//! settings (stored and returned; domain/client_oauth.rs). `UpdateUserPoolClient` reads the
//! same settings ([`ClientConfig`]). Members the operation does not define are refused.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolClientType};
use super::super::{constraint, failed, input, output, required};
use super::pool;
use super::pool_config::OtherMembers;
use crate::auth::{AuthError, Services};
use crate::domain::app_client::{
    AUTH_SESSION_MINUTES, ClientSettings, DEFAULT_AUTH_SESSION_MINUTES, TimeUnit, TokenValidity,
    TokenValidityUnits,
};
use crate::domain::attribute_access::{InvalidAttributeList, parse_attribute_lists};
use crate::domain::client_oauth::{OAuthRefusal, OAuthSettings};
use crate::domain::secret::ExposeSecret;
use crate::http::error::ApiError;
use crate::manage::clients::NewAppClient;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Input {
    user_pool_id: Option<String>,
    client_name: Option<String>,
    #[serde(default)]
    generate_secret: bool,
    /// The settings [`ClientConfig`] reads; anything else is refused there.
    #[serde(flatten)]
    config: OtherMembers,
}

/// Every client setting Create and UpdateUserPoolClient take; an absent one is Cognito's
/// default (for Update too: Cognito resets what a request leaves out).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(in crate::http::cognito) struct ClientConfig {
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
pub(in crate::http::cognito) struct ParsedConfig {
    pub validity: TokenValidity,
    pub refresh_grace_seconds: i64,
    pub settings: ClientSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Units {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Rotation {
    feature: Option<String>,
    retry_grace_period_seconds: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    user_pool_client: UserPoolClientType,
}

fn unit(member: &str, raw: Option<String>, default: TimeUnit) -> Result<TimeUnit, ApiError> {
    raw.map_or(Ok(default), |u| {
        TimeUnit::parse(&u).map_err(|e| constraint(member, &e))
    })
}

/// A lifetime member within its model range (`AccessTokenValidity` and `IdTokenValidity`
/// 1–86400, `RefreshTokenValidity` 0–315360000), before its unit is applied.
fn lifetime(member: &str, value: Option<i64>, max: i64) -> Result<Option<i64>, ApiError> {
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

fn refused(refusal: OAuthRefusal) -> ApiError {
    failed(match refusal {
        OAuthRefusal::InvalidParameter(message) => AuthError::InvalidParameter(message),
        OAuthRefusal::InvalidOAuthFlow(message) => AuthError::InvalidOAuthFlow(message),
    })
}

impl ClientConfig {
    /// `verb` is "creating" or "updating", as Cognito words its attribute-list errors; the
    /// OAuth settings are checked for a client of `pool_id` with (or without) a secret.
    pub(in crate::http::cognito) fn parse(
        self,
        verb: &str,
        pool_id: &str,
        has_secret: bool,
    ) -> Result<ParsedConfig, ApiError> {
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
        .checked(pool_id, has_secret)
        .map_err(refused)?;
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
            return Err(failed(AuthError::InvalidParameter(
                "Invalid range for token validity.".into(),
            )));
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
            self.read_attributes.as_deref(),
            self.write_attributes.as_deref(),
        )
        .map_err(|invalid| {
            let list = match invalid {
                InvalidAttributeList::Read => "read",
                InvalidAttributeList::Write => "write",
            };
            failed(AuthError::InvalidParameter(format!(
                "Invalid {list} attributes specified while {verb} a client"
            )))
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

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let config: ClientConfig = input.config.read()?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = required("clientName", input.client_name)?;
    let config = config.parse("creating", pool.id.as_str(), input.generate_secret)?;
    let (client, secret) = services
        .create_app_client(
            &pool,
            NewAppClient {
                name,
                generate_secret: input.generate_secret,
                validity: config.validity,
                refresh_grace_seconds: config.refresh_grace_seconds,
                settings: config.settings,
            },
        )
        .await
        .map_err(failed)?;
    Ok(output(&Output {
        user_pool_client: shapes::client(&client, secret.map(|s| s.expose_secret().to_owned())),
    }))
}
