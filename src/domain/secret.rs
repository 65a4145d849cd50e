//! A string that must never be printed: passwords, tokens, hashes.
//!
//! `secrecy::SecretString` already redacts `Debug`; this alias keeps the one spelling the
//! rest of the code uses, and `expose` is the single call that hands out the bytes.

pub use secrecy::{ExposeSecret, SecretString};

/// Builds a secret from an owned string without an intermediate copy lingering in a `String`.
pub fn secret(value: impl Into<String>) -> SecretString {
    SecretString::from(value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_value() {
        let s = secret("hunter2-correct-horse");
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(s.expose_secret(), "hunter2-correct-horse");
    }
}
