//! Usernames: what the user typed, and the key they are looked up by.
//!
//! Lookups are case-insensitive and blind to Unicode compatibility forms: the key is the NFKC
//! form, lower-cased. Two users can never differ only by case or width (`Alice`, `ＡＬＩＣＥ`),
//! and `cognito:username` keeps the spelling the user was created with.

use unicode_normalization::UnicodeNormalization;

/// The botocore `UsernameType` limit, counted in characters.
pub const MAX_USERNAME_CHARS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    as_given: String,
    key: UsernameKey,
}

/// The form a username is looked up by, unique per pool: what the store is asked for, so a
/// name as typed can never be passed where its key is meant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsernameKey(String);

impl UsernameKey {
    /// A key as the store holds it (a `username_key` column, a paging token of ours):
    /// already normalised, taken as it is.
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UsernameKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Username {
    /// Accepts 1–128 characters with no whitespace, control or invisible formatting characters
    /// (the botocore pattern `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 {
            return Err("username must not be empty".into());
        }
        if chars > MAX_USERNAME_CHARS {
            return Err(format!(
                "username must be at most {MAX_USERNAME_CHARS} characters"
            ));
        }
        if let Some(bad) = raw.chars().find(|c| !is_allowed_username_char(*c)) {
            return Err(format!(
                "username must not contain whitespace, control or formatting characters (found U+{:04X})",
                u32::from(bad)
            ));
        }
        Ok(Self {
            as_given: raw.to_owned(),
            key: UsernameKey(lookup_key(raw)),
        })
    }

    /// The spelling the user was created with (the `cognito:username` claim).
    pub fn as_str(&self) -> &str {
        &self.as_given
    }

    /// The normalised form unique per pool.
    pub fn key(&self) -> &UsernameKey {
        &self.key
    }

    /// The key under a pool's case rule: the case-blind key, or for a case-sensitive pool
    /// (`UsernameConfiguration.CaseSensitive`) the NFKC form with its case kept, so look-alike
    /// widths still meet but `Alice` and `alice` are two names.
    pub fn key_with_case(&self, case_sensitive: bool) -> UsernameKey {
        if case_sensitive {
            UsernameKey(self.as_given.nfkc().collect())
        } else {
            self.key.clone()
        }
    }
}

/// NFKC then lower case, then NFKC again because lower-casing can denormalise.
pub(crate) fn lookup_key(raw: &str) -> String {
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

fn is_allowed_username_char(c: char) -> bool {
    !(c.is_whitespace() || c.is_control() || is_invisible_format_char(c))
}

/// Unicode "Cf" characters that render as nothing or reorder text (zero-width joiners, bidi
/// overrides, BOM, soft hyphen): they make look-alike usernames.
fn is_invisible_format_char(c: char) -> bool {
    matches!(u32::from(c),
        0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_width() {
        let a = Username::parse("Alice").unwrap();
        let b = Username::parse("ＡＬＩＣＥ").unwrap();
        assert_eq!(a.key().as_str(), "alice");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.as_str(), "Alice");
    }

    #[test]
    fn greek_capitals_match_their_lower_case_with_final_sigma() {
        let upper = Username::parse("ΟΔΥΣΣΕΥΣ").unwrap();
        let lower = Username::parse("οδυσσευς").unwrap();
        assert_eq!(upper.key(), lower.key());
    }

    #[test]
    fn composed_and_decomposed_forms_share_a_key() {
        let composed = Username::parse("jos\u{e9}").unwrap();
        let decomposed = Username::parse("jose\u{301}").unwrap();
        assert_eq!(composed.key(), decomposed.key());
    }

    #[test]
    fn rejects_empty_long_and_invisible() {
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(129)).is_err());
        assert!(Username::parse(&"é".repeat(128)).is_ok());
        for bad in ["a b", "a\u{0}", "a\tb", "a\u{202e}b", "a\u{200b}b", "a\nb"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn email_style_and_punctuation_are_fine() {
        for good in ["alice@example.com", "o'brien", "user+tag", "ユーザー"] {
            assert!(Username::parse(good).is_ok(), "{good}");
        }
    }
}
