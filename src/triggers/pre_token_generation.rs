//! `PreTokenGeneration`: before every ID and access token pair is signed (sign-in, hosted
//! sign-in, the new-password challenge, refresh), and in version `V3_0` before a
//! client-credentials access token too (`TokenGeneration_ClientCredentials`). The version is
//! `LambdaConfig.PreTokenGenerationConfig.LambdaVersion`:
//!
//! - `V1_0` (`claimsOverrideDetails`): claims added to, overridden in or suppressed from the
//!   ID token (string values), and the groups, roles and preferred role overridden.
//! - `V2_0` and `V3_0` (`claimsAndScopeOverrideDetails`): the same for the ID token
//!   (`idTokenGeneration`) and the access token (`accessTokenGeneration`), with any JSON
//!   value, and scopes added to or suppressed from the access token.
//!
//! Cognito's reserved claims are never added, overridden or suppressed ([`RESERVED_CLAIMS`]).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Caller, TriggerError, Triggers, event, invalid_response, string_map, user_attributes};
use crate::domain::group::GroupClaims;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::user::User;

pub const KIND: &str = "PreTokenGeneration";

/// Claims a function can neither add, override nor suppress: the token's own fields and the
/// identity it is about (docs/triggers.md, "PreTokenGeneration"). Groups and roles change only
/// through `groupOverrideDetails`, scopes only through `scopesToAdd`/`scopesToSuppress`.
pub const RESERVED_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "at_hash",
    "aud",
    "auth_time",
    "azp",
    "client_id",
    "cognito:groups",
    "cognito:preferred_role",
    "cognito:roles",
    "cognito:username",
    "device_key",
    "event_id",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "scope",
    "sub",
    "token_use",
    "username",
    "version",
];

fn reserved(claim: &str) -> bool {
    RESERVED_CLAIMS.contains(&claim)
}

/// Why tokens are being made (`triggerSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// Signed in through the hosted pages or an OAuth 2.0 grant.
    HostedAuth,
    /// Signed in with a password, SRP, or a second factor after one.
    Authentication,
    NewPasswordChallenge,
    RefreshTokens,
    /// An app client's own access token (the `client_credentials` grant): `V3_0` only.
    ClientCredentials,
}

impl TokenSource {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::HostedAuth => "TokenGeneration_HostedAuth",
            Self::Authentication => "TokenGeneration_Authentication",
            Self::NewPasswordChallenge => "TokenGeneration_NewPasswordChallenge",
            Self::RefreshTokens => "TokenGeneration_RefreshTokens",
            Self::ClientCredentials => "TokenGeneration_ClientCredentials",
        }
    }
}

/// The event version (`LambdaVersion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventVersion {
    V1,
    V2,
    V3,
}

impl EventVersion {
    pub fn parse(raw: &str) -> Self {
        match raw {
            "V2_0" => Self::V2,
            "V3_0" => Self::V3,
            _ => Self::V1,
        }
    }
}

pub struct TokenRequest<'a> {
    pub source: TokenSource,
    pub version: EventVersion,
    pub caller: Caller<'a>,
    pub user: &'a User,
    pub groups: &'a GroupClaims,
    /// The scopes the access token is about to carry.
    pub scopes: &'a [String],
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// A `client_credentials` grant's token, about to be signed: no user, so the event's
/// `userName` is the client id (the token's `sub`), its `userAttributes` empty and its
/// `groupConfiguration` that of a user in no group.
pub struct ClientTokenRequest<'a> {
    pub pool: &'a UserPoolId,
    pub client: &'a ClientId,
    /// The scopes the access token is about to carry.
    pub scopes: &'a [String],
    /// The grant's `aws_client_metadata`.
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// Changes to one token's claims.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimChanges {
    pub add_or_override: Map<String, Value>,
    pub suppress: Vec<String>,
}

impl ClaimChanges {
    /// Applies the changes to `claims`, leaving reserved claims as they are.
    pub fn apply(&self, claims: &mut Map<String, Value>) {
        for name in &self.suppress {
            if !reserved(name) {
                claims.remove(name);
            }
        }
        for (name, value) in &self.add_or_override {
            if !reserved(name) {
                claims.insert(name.clone(), value.clone());
            }
        }
    }
}

/// `groupOverrideDetails`: each member given replaces the claim (an empty list removes it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupOverride {
    pub groups_to_override: Option<Vec<String>>,
    pub iam_roles_to_override: Option<Vec<String>>,
    pub preferred_role: Option<String>,
}

impl GroupOverride {
    /// Applies the override to a token; `id_token` tokens carry roles too.
    fn apply(&self, claims: &mut Map<String, Value>, id_token: bool) {
        let set = |claims: &mut Map<String, Value>, name: &str, values: &Vec<String>| {
            if values.is_empty() {
                claims.remove(name);
            } else {
                claims.insert(name.to_owned(), json!(values));
            }
        };
        if let Some(groups) = &self.groups_to_override {
            set(claims, "cognito:groups", groups);
        }
        if id_token {
            if let Some(roles) = &self.iam_roles_to_override {
                set(claims, "cognito:roles", roles);
            }
            if let Some(role) = &self.preferred_role {
                claims.insert("cognito:preferred_role".into(), json!(role));
            }
        }
    }
}

/// Everything the function asked for, ready to apply to the two tokens.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenOverrides {
    pub id_token: ClaimChanges,
    pub access_token: ClaimChanges,
    pub scopes_to_add: Vec<String>,
    pub scopes_to_suppress: Vec<String>,
    pub groups: Option<GroupOverride>,
}

impl TokenOverrides {
    pub fn apply_to_id_token(&self, claims: &mut Map<String, Value>) {
        self.id_token.apply(claims);
        if let Some(groups) = &self.groups {
            groups.apply(claims, true);
        }
    }

    pub fn apply_to_access_token(&self, claims: &mut Map<String, Value>) {
        self.apply_to_client_access_token(claims);
        if let Some(groups) = &self.groups {
            groups.apply(claims, false);
        }
    }

    /// Applies the access token's changes to a `client_credentials` token: its claims and
    /// scopes. There is no ID token to change, and no user whose groups could be overridden.
    pub fn apply_to_client_access_token(&self, claims: &mut Map<String, Value>) {
        self.access_token.apply(claims);
        if let Some(Value::String(scope)) = claims.get("scope") {
            let scope = self.scope(scope);
            claims.insert("scope".into(), Value::String(scope));
        }
    }

    /// The access token's space-separated scopes with the function's changes.
    pub fn scope(&self, scope: &str) -> String {
        let mut scopes: Vec<&str> = scope
            .split(' ')
            .filter(|s| !s.is_empty() && !self.scopes_to_suppress.iter().any(|x| x == s))
            .collect();
        for added in &self.scopes_to_add {
            if !added.is_empty() && !added.contains(' ') && !scopes.contains(&added.as_str()) {
                scopes.push(added);
            }
        }
        scopes.join(" ")
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Response {
    claims_override_details: Option<V1Details>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Details {
    claims_to_add_or_override: Option<BTreeMap<String, String>>,
    claims_to_suppress: Option<Vec<String>>,
    group_override_details: Option<GroupOverride>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Response {
    claims_and_scope_override_details: Option<V2Details>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Details {
    id_token_generation: Option<TokenGeneration>,
    access_token_generation: Option<TokenGeneration>,
    group_override_details: Option<GroupOverride>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenGeneration {
    claims_to_add_or_override: Option<Map<String, Value>>,
    claims_to_suppress: Option<Vec<String>>,
    scopes_to_add: Option<Vec<String>>,
    scopes_to_suppress: Option<Vec<String>>,
}

fn read_v1(response: Value) -> Result<TokenOverrides, TriggerError> {
    let response: V1Response = serde_json::from_value(response).map_err(|_| invalid_response())?;
    let Some(details) = response.claims_override_details else {
        return Ok(TokenOverrides::default());
    };
    Ok(TokenOverrides {
        id_token: ClaimChanges {
            add_or_override: details
                .claims_to_add_or_override
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name, Value::String(value)))
                .collect(),
            suppress: details.claims_to_suppress.unwrap_or_default(),
        },
        groups: details.group_override_details,
        ..TokenOverrides::default()
    })
}

fn read_v2(response: Value) -> Result<TokenOverrides, TriggerError> {
    let response: V2Response = serde_json::from_value(response).map_err(|_| invalid_response())?;
    let Some(details) = response.claims_and_scope_override_details else {
        return Ok(TokenOverrides::default());
    };
    let changes = |generation: &mut Option<TokenGeneration>| ClaimChanges {
        add_or_override: generation
            .as_mut()
            .and_then(|g| g.claims_to_add_or_override.take())
            .unwrap_or_default(),
        suppress: generation
            .as_mut()
            .and_then(|g| g.claims_to_suppress.take())
            .unwrap_or_default(),
    };
    let mut id = details.id_token_generation;
    let mut access = details.access_token_generation;
    Ok(TokenOverrides {
        id_token: changes(&mut id),
        access_token: changes(&mut access),
        scopes_to_add: access
            .as_mut()
            .and_then(|g| g.scopes_to_add.take())
            .unwrap_or_default(),
        scopes_to_suppress: access
            .as_mut()
            .and_then(|g| g.scopes_to_suppress.take())
            .unwrap_or_default(),
        groups: details.group_override_details,
    })
}

/// What a token event is made of, whoever the tokens are for.
struct TokenEvent<'a> {
    source: TokenSource,
    version: EventVersion,
    caller: Caller<'a>,
    user_attributes: Value,
    group_configuration: Value,
    scopes: &'a [String],
    client_metadata: &'a BTreeMap<String, String>,
}

impl Triggers {
    pub async fn pre_token_generation(
        &self,
        function: &str,
        request: TokenRequest<'_>,
    ) -> Result<TokenOverrides, TriggerError> {
        let event = TokenEvent {
            source: request.source,
            version: request.version,
            caller: request.caller,
            user_attributes: user_attributes(request.user),
            group_configuration: json!({
                "groupsToOverride": request.groups.groups,
                "iamRolesToOverride": request.groups.roles,
                "preferredRole": request.groups.preferred_role,
            }),
            scopes: request.scopes,
            client_metadata: request.client_metadata,
        };
        self.token_generation(function, event).await
    }

    /// `TokenGeneration_ClientCredentials`, a `V3_0` event: only a `V3_0` function is
    /// called for these tokens, as in Cognito (the caller checks the version).
    pub async fn client_token_generation(
        &self,
        function: &str,
        request: ClientTokenRequest<'_>,
    ) -> Result<TokenOverrides, TriggerError> {
        let event = TokenEvent {
            source: TokenSource::ClientCredentials,
            version: EventVersion::V3,
            caller: Caller {
                pool: request.pool,
                client: Some(request.client),
                user_name: request.client.as_str(),
            },
            user_attributes: json!({}),
            group_configuration: json!({
                "groupsToOverride": [],
                "iamRolesToOverride": [],
                "preferredRole": null,
            }),
            scopes: request.scopes,
            client_metadata: request.client_metadata,
        };
        self.token_generation(function, event).await
    }

    async fn token_generation(
        &self,
        function: &str,
        request: TokenEvent<'_>,
    ) -> Result<TokenOverrides, TriggerError> {
        let mut payload = json!({
            "userAttributes": request.user_attributes,
            "groupConfiguration": request.group_configuration,
            "clientMetadata": string_map(request.client_metadata),
        });
        let response = if request.version == EventVersion::V1 {
            json!({"claimsOverrideDetails": null})
        } else {
            payload["scopes"] = json!(request.scopes);
            json!({"claimsAndScopeOverrideDetails": null})
        };
        let mut event = event(
            request.source.trigger_source(),
            &request.caller,
            payload,
            response,
        );
        if request.version != EventVersion::V1 {
            event["version"] = json!(match request.version {
                EventVersion::V3 => "3",
                _ => "2",
            });
        }
        let response = self.call(KIND, function, event).await?;
        let response = if response.is_null() {
            json!({})
        } else {
            response
        };
        match request.version {
            EventVersion::V1 => read_v1(response),
            EventVersion::V2 | EventVersion::V3 => read_v2(response),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_claims_stay_whatever_the_function_says() {
        let overrides = read_v2(json!({"claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"sub": "evil", "tier": {"level": 3}, "email": "x@y"},
                "claimsToSuppress": ["iss", "phone_number"]
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"scope": "admin", "org": ["a", "b"]},
                "scopesToAdd": ["api/read"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"]
            }
        }}))
        .unwrap();
        let mut id = json!({"sub": "s", "iss": "i", "email": "a@b", "phone_number": "+1"})
            .as_object()
            .unwrap()
            .clone();
        overrides.apply_to_id_token(&mut id);
        assert_eq!(
            Value::Object(id),
            json!({"sub": "s", "iss": "i", "email": "x@y", "tier": {"level": 3}})
        );
        let mut access = json!({"sub": "s", "scope": "openid aws.cognito.signin.user.admin"})
            .as_object()
            .unwrap()
            .clone();
        overrides.apply_to_access_token(&mut access);
        assert_eq!(
            Value::Object(access),
            json!({"sub": "s", "scope": "openid api/read", "org": ["a", "b"]})
        );
    }

    #[test]
    fn a_client_token_takes_the_access_token_changes_but_no_groups() {
        let overrides = read_v2(json!({"claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"ignored": true}},
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme", "client_id": "forged",
                                          "version": 9, "sub": "forged"},
                "claimsToSuppress": ["jti", "iss"],
                "scopesToAdd": ["api/extra"],
                "scopesToSuppress": ["api/write"]
            },
            "groupOverrideDetails": {"groupsToOverride": ["admins"]}
        }}))
        .unwrap();
        let mut access = json!({"sub": "c", "client_id": "c", "version": 2, "jti": "j",
                                "iss": "i", "scope": "api/read api/write"})
        .as_object()
        .unwrap()
        .clone();
        overrides.apply_to_client_access_token(&mut access);
        assert_eq!(
            Value::Object(access),
            json!({"sub": "c", "client_id": "c", "version": 2, "jti": "j", "iss": "i",
                   "scope": "api/read api/extra", "tenant": "acme"})
        );
    }

    #[test]
    fn version_one_answers_take_strings_only() {
        assert!(
            read_v1(json!({"claimsOverrideDetails": {"claimsToAddOrOverride": {"a": 1}}})).is_err()
        );
        let overrides = read_v1(json!({"claimsOverrideDetails": {
            "claimsToAddOrOverride": {"a": "1"},
            "groupOverrideDetails": {"groupsToOverride": ["admins"]}
        }}))
        .unwrap();
        let mut id = Map::new();
        overrides.apply_to_id_token(&mut id);
        assert_eq!(
            Value::Object(id),
            json!({"a": "1", "cognito:groups": ["admins"]})
        );
        assert_eq!(read_v1(json!({})).unwrap(), TokenOverrides::default());
    }
}
