//! `CreateUserPoolClient`: lifetimes with their units, flows, secret, existence-error
//! prevention (ENABLED unless LEGACY is asked for), refresh-token rotation and the attribute
//! permissions. `UpdateUserPoolClient` reads the same settings ([`ClientConfig`]).

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::super::shapes::{self, UserPoolClientType};
use super::super::{constraint, failed, input, output, required};
use super::pool;
use crate::auth::{AuthError, Services};
use crate::domain::app_client::{ClientSettings, TimeUnit, TokenValidity, TokenValidityUnits};
use crate::domain::attribute_access::{InvalidAttributeList, parse_attribute_lists};
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
    #[serde(flatten)]
    config: ClientConfig,
}

/// Every client setting Create and UpdateUserPoolClient take; an absent one is Cognito's
/// default (for Update too: Cognito resets what a request leaves out).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
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
}

/// A [`ClientConfig`] checked and in domain terms.
pub(in crate::http::cognito) struct ParsedConfig {
    pub validity: TokenValidity,
    pub refresh_grace_seconds: i64,
    pub settings: ClientSettings,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Units {
    access_token: Option<String>,
    id_token: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
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

impl ClientConfig {
    /// `verb` is "creating" or "updating", as Cognito words its attribute-list errors.
    pub(in crate::http::cognito) fn parse(self, verb: &str) -> Result<ParsedConfig, ApiError> {
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
            id_token_seconds: seconds(
                self.id_token_validity,
                units.id_token,
                fallback.id_token_seconds,
            ),
            access_token_seconds: seconds(
                self.access_token_validity,
                units.access_token,
                fallback.access_token_seconds,
            ),
            refresh_token_seconds: seconds(
                self.refresh_token_validity,
                units.refresh_token,
                fallback.refresh_token_seconds,
            ),
        };
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
            },
        })
    }
}

pub(crate) async fn handle(services: &Services, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let input: Input = input(body)?;
    let pool = pool(services, input.user_pool_id).await?;
    let name = required("clientName", input.client_name)?;
    let config = input.config.parse("creating")?;
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
