//! Use cases, one file per flow. Each takes what it needs from [`Services`] and speaks in
//! domain types; none of them knows about HTTP or SQL.

pub mod access;
pub mod audit;
pub mod change_password;
pub mod client_secret;
pub mod codes;
pub mod delete_user;
pub mod forgot_password;
pub mod housekeeping;
pub mod issue;
pub mod keys;
pub mod messages;
pub mod new_password;
pub mod password_credential;
pub mod refresh;
pub mod sign_in;
pub mod sign_out;
pub mod sign_up;
pub mod srp_sign_in;
pub mod update_attributes;
pub mod verify_attribute;

use std::sync::Arc;

use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::password::{HashError, PasswordHasher};
use crate::domain::attribute_access::WriteRefused;
use crate::domain::clock::Clock;
use crate::domain::ids::{Region, UserPoolId};
use crate::domain::telemetry::Telemetry;
use crate::store::{Store, StoreError};

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
}

/// Why a sign-in was refused, in the words Cognito uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAuthorized {
    /// Wrong password, unknown user and unknown pool alike.
    IncorrectCredentials,
    UserDisabled,
    AttemptsExceeded,
    InvalidSession,
    TemporaryPasswordExpired,
    /// Unknown, expired, revoked or foreign refresh token.
    InvalidRefreshToken,
    /// Malformed, forged, expired or foreign access token.
    InvalidAccessToken,
    /// A well-formed access token whose session or user was signed out since.
    AccessTokenRevoked,
    /// Any other refusal, with Cognito's message (client secrets, confirmation state).
    Other(String),
}

impl NotAuthorized {
    pub fn message(&self) -> &str {
        match self {
            Self::IncorrectCredentials => "Incorrect username or password.",
            Self::UserDisabled => "User is disabled.",
            Self::AttemptsExceeded => "Password attempts exceeded",
            Self::InvalidSession => "Invalid session for the user.",
            Self::TemporaryPasswordExpired => {
                "Temporary password has expired and must be reset by an administrator."
            }
            Self::InvalidRefreshToken => "Invalid Refresh Token",
            Self::InvalidAccessToken => "Invalid Access Token",
            Self::AccessTokenRevoked => "Access Token has been revoked",
            Self::Other(message) => message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{}", .0.message())]
    NotAuthorized(NotAuthorized),
    #[error("Password reset required for the user")]
    PasswordResetRequired,
    /// A consumed refresh token came back after the grace window: its session is revoked.
    #[error("Refresh token has been reused; the session has been revoked")]
    RefreshTokenReuse,
    #[error("User is not confirmed.")]
    UserNotConfirmed,
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("User already exists")]
    UsernameExists,
    #[error("User does not exist.")]
    UserNotFound,
    #[error("A group with the name already exists.")]
    GroupExists,
    #[error("Invalid verification code provided, please try again.")]
    CodeMismatch,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    #[error("Attempt limit exceeded, please try after some time.")]
    LimitExceeded,
    #[error("{0}")]
    AlreadyExists(String),
    /// The app client has the operation switched off (RevokeToken without token revocation).
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("Too many requests")]
    TooManyRequests,
    /// The database is unreachable: fail closed, tell the client to retry.
    #[error("Service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) | StoreError::Transient(detail) => {
                Self::Unavailable(detail)
            }
            StoreError::Conflict(detail) | StoreError::Internal(detail) => Self::Internal(detail),
        }
    }
}

impl From<WriteRefused> for AuthError {
    fn from(refused: WriteRefused) -> Self {
        Self::NotAuthorized(NotAuthorized::Other(refused.message()))
    }
}

impl From<HashError> for AuthError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Overloaded => Self::TooManyRequests,
            HashError::Internal(detail) => Self::Internal(detail),
        }
    }
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
