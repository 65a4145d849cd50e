//! The claims of Cognito's ID and access tokens, field for field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::UnixSeconds;

/// The only scope API-issued Cognito access tokens carry.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenUse {
    Id,
    Access,
}

impl TokenUse {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub sub: String,
    /// The app client id: ID tokens are for the client.
    pub aud: String,
    pub iss: String,
    pub token_use: TokenUse,
    pub auth_time: UnixSeconds,
    pub iat: UnixSeconds,
    pub exp: UnixSeconds,
    pub jti: String,
    pub origin_jti: String,
    pub event_id: String,
    #[serde(rename = "cognito:username")]
    pub cognito_username: String,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    pub cognito_groups: Option<Vec<String>>,
    /// The IAM roles of the user's groups (only when a group has one).
    #[serde(
        rename = "cognito:roles",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cognito_roles: Option<Vec<String>>,
    /// The role of the group that takes precedence (docs/cognito-compatibility.md, "Groups").
    #[serde(
        rename = "cognito:preferred_role",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cognito_preferred_role: Option<String>,
    /// The `nonce` of the authorization request the token answers (OpenID Connect Core
    /// 3.1.2.1); absent on tokens of the API's sign-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The user's attributes (`email`, `email_verified`, `custom:*`, …).
    #[serde(flatten)]
    pub attributes: BTreeMap<String, Value>,
}

/// Access tokens have `client_id` and, like Cognito's, no `aud`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub sub: String,
    pub client_id: String,
    pub iss: String,
    pub token_use: TokenUse,
    pub scope: String,
    pub auth_time: UnixSeconds,
    pub iat: UnixSeconds,
    pub exp: UnixSeconds,
    pub jti: String,
    pub origin_jti: String,
    pub event_id: String,
    pub username: String,
    #[serde(rename = "cognito:groups", skip_serializing_if = "Option::is_none")]
    pub cognito_groups: Option<Vec<String>>,
    /// Not among Cognito's claims and never issued, but honoured when a token carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<UnixSeconds>,
}

/// The access token of the `client_credentials` grant: issued to an app client, not a user,
/// so `sub` is the client id and there is no username, session or group (docs/oauth2.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAccessTokenClaims {
    pub sub: String,
    pub token_use: TokenUse,
    pub scope: String,
    pub auth_time: UnixSeconds,
    pub iss: String,
    pub exp: UnixSeconds,
    pub iat: UnixSeconds,
    pub version: u8,
    pub jti: String,
    pub client_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_serialise_without_aud_and_with_cognito_names() {
        let claims = AccessTokenClaims {
            sub: "s".into(),
            client_id: "c".into(),
            iss: "i".into(),
            token_use: TokenUse::Access,
            scope: ADMIN_SCOPE.into(),
            auth_time: 1,
            iat: 1,
            exp: 2,
            jti: "j".into(),
            origin_jti: "o".into(),
            event_id: "e".into(),
            username: "alice".into(),
            cognito_groups: None,
            nbf: None,
        };
        let json = serde_json::to_value(&claims).unwrap();
        assert!(json.get("aud").is_none());
        assert!(json.get("cognito:groups").is_none());
        assert_eq!(json["token_use"], "access");
    }

    #[test]
    fn id_token_attributes_are_flattened() {
        let claims = IdTokenClaims {
            sub: "s".into(),
            aud: "c".into(),
            iss: "i".into(),
            token_use: TokenUse::Id,
            auth_time: 1,
            iat: 1,
            exp: 2,
            jti: "j".into(),
            origin_jti: "o".into(),
            event_id: "e".into(),
            cognito_username: "alice".into(),
            cognito_groups: Some(vec!["admin".into()]),
            cognito_roles: None,
            cognito_preferred_role: None,
            nonce: None,
            attributes: BTreeMap::from([("email".into(), Value::String("a@b.c".into()))]),
        };
        let json = serde_json::to_value(&claims).unwrap();
        assert_eq!(json["email"], "a@b.c");
        assert_eq!(json["cognito:username"], "alice");
        assert_eq!(json["cognito:groups"][0], "admin");
        assert_eq!(json["token_use"], "id");
    }
}
