//! A pool's password policy, with Cognito's defaults and its wording for violations.

use serde::{Deserialize, Serialize};

/// The longest password Gatehouse accepts anywhere (Cognito's limit). Checked before any
/// hashing so a megabyte "password" costs nothing.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Characters Cognito counts as symbols; a space counts too.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// How long a temporary password may be used for its one sign-in.
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation(pub String);

impl PasswordPolicy {
    /// Cognito's ranges: minimum length 6–99, temporary validity 0–365 days (0 means 7).
    pub fn validate(&self) -> Result<(), String> {
        if !(6..=99).contains(&self.minimum_length) {
            return Err("MinimumLength must be between 6 and 99".into());
        }
        if self.temporary_password_validity_days > 365 {
            return Err("TemporaryPasswordValidityDays must be between 0 and 365".into());
        }
        Ok(())
    }

    pub fn temporary_password_validity_seconds(&self) -> i64 {
        let days = if self.temporary_password_validity_days == 0 {
            7
        } else {
            self.temporary_password_validity_days
        };
        i64::from(days) * 86_400
    }

    /// A fresh temporary password that meets this policy (AdminCreateUser without
    /// `TemporaryPassword`): at least 16 characters, one of each required class, the rest
    /// drawn from all classes, in random order. The generator is the thread-local CSPRNG,
    /// reseeded from the operating system (docs/security.md, "Measures"). Symbols exclude
    /// those that HTML or a shell would mangle, so the mailed password reads as sent.
    pub fn generate_temporary_password(&self) -> String {
        use rand::RngExt;
        use rand::seq::SliceRandom;
        const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
        const DIGITS: &[u8] = b"23456789";
        const SAFE_SYMBOLS: &[u8] = b"!#$%*+-.=?@^_~";
        let length = (self.minimum_length as usize).clamp(16, MAX_PASSWORD_CHARS);
        let mut rng = rand::rng();
        let mut pick = |set: &[u8]| char::from(set[rng.random_range(0..set.len())]);
        let mut chars: Vec<char> = [UPPER, LOWER, DIGITS, SAFE_SYMBOLS]
            .iter()
            .map(|set| pick(set))
            .collect();
        let all: Vec<u8> = [UPPER, LOWER, DIGITS, SAFE_SYMBOLS].concat();
        while chars.len() < length {
            chars.push(pick(&all));
        }
        chars.shuffle(&mut rand::rng());
        chars.into_iter().collect()
    }

    /// Checks a new password; the message names the first rule it breaks, in Cognito's words.
    pub fn check(&self, password: &str) -> Result<(), PolicyViolation> {
        let violation = |rule: &str| {
            Err(PolicyViolation(format!(
                "Password did not conform with password policy: {rule}"
            )))
        };
        let length = password.chars().count();
        if length < self.minimum_length as usize {
            return violation("Password not long enough");
        }
        if length > MAX_PASSWORD_CHARS {
            return violation("Password is too long");
        }
        if password.chars().any(char::is_control) {
            return violation("Password must not contain control characters");
        }
        if self.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
            return violation("Password must have uppercase characters");
        }
        if self.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
            return violation("Password must have lowercase characters");
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            return violation("Password must have numeric characters");
        }
        if self.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
            return violation("Password must have symbol characters");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(policy: &PasswordPolicy, password: &str) -> String {
        policy.check(password).unwrap_err().0
    }

    #[test]
    fn cognito_defaults_require_every_class() {
        let p = PasswordPolicy::default();
        assert!(p.check("Correct-Horse-9").is_ok());
        assert!(message(&p, "Sh0rt!").ends_with("Password not long enough"));
        assert!(message(&p, "nouppercase-9").ends_with("must have uppercase characters"));
        assert!(message(&p, "NOLOWERCASE-9").ends_with("must have lowercase characters"));
        assert!(message(&p, "No-Numbers-Here").ends_with("must have numeric characters"));
        assert!(message(&p, "NoSymbols999").ends_with("must have symbol characters"));
        assert!(
            message(&p, "NoSymbols999")
                .starts_with("Password did not conform with password policy: ")
        );
    }

    #[test]
    fn generated_temporary_passwords_meet_the_policy_and_differ() {
        let strict = PasswordPolicy {
            minimum_length: 99,
            ..PasswordPolicy::default()
        };
        for policy in [PasswordPolicy::default(), strict] {
            let passwords: std::collections::HashSet<String> = (0..200)
                .map(|_| policy.generate_temporary_password())
                .collect();
            assert_eq!(passwords.len(), 200, "no repeats");
            for password in &passwords {
                assert!(policy.check(password).is_ok(), "{password}");
                assert!(password.chars().count() >= 16);
                assert!(!password.contains(['<', '>', '&', '"', '\'', ' ']));
            }
        }
    }

    #[test]
    fn a_space_counts_as_a_symbol() {
        assert!(PasswordPolicy::default().check("Correct Horse 9").is_ok());
    }

    #[test]
    fn relaxed_policies_accept_simple_passwords() {
        let p = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            temporary_password_validity_days: 0,
        };
        assert!(p.check("simple").is_ok());
        assert_eq!(p.temporary_password_validity_seconds(), 7 * 86_400);
    }

    #[test]
    fn overlong_and_control_characters_fail() {
        let p = PasswordPolicy::default();
        assert!(p.check(&format!("Aa1!{}", "x".repeat(253))).is_err());
        assert!(p.check("Correct-Horse-9\u{0}").is_err());
    }

    #[test]
    fn out_of_range_policies_are_invalid() {
        let mut p = PasswordPolicy {
            minimum_length: 5,
            ..PasswordPolicy::default()
        };
        assert!(p.validate().is_err());
        p.minimum_length = 100;
        assert!(p.validate().is_err());
        p.minimum_length = 8;
        p.temporary_password_validity_days = 366;
        assert!(p.validate().is_err());
    }
}
