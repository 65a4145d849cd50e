//! App clients: who a token is for. Each pool has one default client, the one `/Login` uses.

use super::clock::UnixSeconds;
use super::ids::{ClientId, UserPoolId};

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
    pub created_at: UnixSeconds,
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
