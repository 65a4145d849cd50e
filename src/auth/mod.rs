//! Use cases, one file per flow. Each takes what it needs from [`Services`] and speaks in
//! domain types; none of them knows about HTTP or SQL.

pub mod access;
pub mod audit;
mod authentication_triggers;
pub mod authorization_code;
pub mod change_password;
pub mod client_credentials;
pub mod client_secret;
pub mod codes;
pub mod custom_auth;
pub mod delete_user;
mod error;
pub mod forgot_password;
pub mod hosted_csrf;
pub mod hosted_password_reset;
pub mod hosted_sign_up;
pub mod housekeeping;
pub mod issue;
pub mod keys;
pub mod messages;
pub mod mfa_challenge;
pub mod mfa_preference;
pub mod new_password;
pub mod oauth_client;
pub mod operator_mfa;
pub mod otp_mfa;
pub mod password_credential;
pub mod refresh;
pub mod select_mfa_type;
pub mod sign_in;
pub mod sign_in_names;
pub mod sign_out;
pub mod sign_up;
pub mod software_token;
pub mod srp_sign_in;
pub mod update_attributes;
mod user_migration;
pub mod verify_attribute;

use std::sync::Arc;

use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::password::PasswordHasher;
use crate::domain::clock::Clock;
use crate::domain::ids::{Region, UserPoolId};
use crate::domain::telemetry::Telemetry;
use crate::store::Store;

pub use error::{AuthError, Cause, NotAuthorized};
pub use keys::SigningKeys;

/// How token issuers are spelled (docs/api.md, "Verifying tokens").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerStyle {
    /// `<public url>/<pool id>`: honest OIDC, discovery works against Gatehouse itself.
    Gatehouse { public_url: String },
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`, so code written for Cognito
    /// (aws-jwt-verify's `CognitoJwtVerifier`) accepts the tokens unchanged.
    Aws,
}

impl IssuerStyle {
    /// The pool an issuer string names, if it is one of ours.
    pub fn pool_of(&self, issuer: &str) -> Option<UserPoolId> {
        let (_, pool) = issuer.rsplit_once('/')?;
        let pool = UserPoolId::parse(pool).ok()?;
        (self.issuer(&pool) == issuer).then_some(pool)
    }

    pub fn issuer(&self, pool: &UserPoolId) -> String {
        match self {
            Self::Gatehouse { public_url } => {
                format!("{}/{pool}", public_url.trim_end_matches('/'))
            }
            Self::Aws => format!("https://cognito-idp.{}.amazonaws.com/{pool}", pool.region()),
        }
    }
}

/// What the use cases share.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub keys: SigningKeys,
    pub issuer: IssuerStyle,
    /// The region new pool ids are minted in.
    pub region: Region,
    /// Encrypts what must be stored but never in plaintext: signing keys, client secrets.
    pub kek: Arc<KeyEncryptionKey>,
    /// Counts sign-ins, refreshes and lockouts (the server's metrics; nothing in the CLI).
    pub telemetry: Arc<dyn Telemetry>,
    /// Whether mail leaves the outbox, and the default sender.
    pub mail: messages::MailSettings,
    /// Calls the pools' Lambda trigger functions (docs/triggers.md).
    pub triggers: crate::triggers::Triggers,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_in_both_styles() {
        let pool = UserPoolId::parse("eu-west-1_AbCdEf123").unwrap();
        let own = IssuerStyle::Gatehouse {
            public_url: "https://id.example.com/".into(),
        };
        assert_eq!(
            own.issuer(&pool),
            "https://id.example.com/eu-west-1_AbCdEf123"
        );
        assert_eq!(
            IssuerStyle::Aws.issuer(&pool),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
        );
        assert_eq!(
            own.pool_of("https://id.example.com/eu-west-1_AbCdEf123"),
            Some(pool.clone())
        );
        assert_eq!(
            own.pool_of("https://evil.example.com/eu-west-1_AbCdEf123"),
            None
        );
        assert_eq!(
            IssuerStyle::Aws.pool_of(&IssuerStyle::Aws.issuer(&pool)),
            Some(pool)
        );
        assert_eq!(own.pool_of("garbage"), None);
    }
}
