//! Users of a pool and their sign-in status.

use super::attributes::UserAttributes;
use super::clock::UnixSeconds;
use super::ids::{Sub, UserPoolId};
use super::secret::SecretString;
use super::username::UsernameKey;

/// Cognito's `UserStatusType` values that Gatehouse uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Confirmed,
    /// Created with a temporary password: the first sign-in must choose a new one.
    ForceChangePassword,
    /// An administrator demanded a password reset.
    ResetRequired,
    /// Signed up but not yet confirmed.
    Unconfirmed,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            Self::ResetRequired => "RESET_REQUIRED",
            Self::Unconfirmed => "UNCONFIRMED",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "CONFIRMED" => Ok(Self::Confirmed),
            "FORCE_CHANGE_PASSWORD" => Ok(Self::ForceChangePassword),
            "RESET_REQUIRED" => Ok(Self::ResetRequired),
            "UNCONFIRMED" => Ok(Self::Unconfirmed),
            other => Err(format!("unknown user status {other:?}")),
        }
    }
}

/// What is stored about a password: the Argon2 hash in PHC form, the id of the pepper it was
/// made with, and the SRP salt and verifier sealed under the key-encryption key (bound to
/// the pool and user). All of it is kept secret: it is what an offline attacker would want.
/// Written together, always: a verifier never outlives the password it was made from.
#[derive(Debug, Clone)]
pub struct StoredPasswordHash {
    pub phc: SecretString,
    pub pepper_id: Option<String>,
    /// `None` for passwords set before SRP existed; made at the next password sign-in.
    pub srp_verifier: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub sub: Sub,
    pub pool_id: UserPoolId,
    /// As created; the `cognito:username` claim.
    pub username: String,
    /// The normalised lookup key, unique per pool.
    pub username_key: UsernameKey,
    pub password: Option<StoredPasswordHash>,
    pub status: UserStatus,
    pub enabled: bool,
    pub attributes: UserAttributes,
    /// Tokens issued before this instant are refused (global sign-out, password change).
    pub tokens_valid_after: UnixSeconds,
    /// When a temporary password stops working.
    pub temporary_password_expires_at: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [
            UserStatus::Confirmed,
            UserStatus::ForceChangePassword,
            UserStatus::ResetRequired,
            UserStatus::Unconfirmed,
        ] {
            assert_eq!(UserStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(UserStatus::parse("confirmed").is_err());
    }
}
