//! Opaque bearer strings (refresh tokens, challenge sessions): 256 bits from the operating
//! system's CSPRNG, URL-safe, and stored only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};

use crate::domain::secret::{ExposeSecret, SecretString, secret};

const TOKEN_BYTES: usize = 32;

/// A freshly drawn token: the value goes to the client once, the hash to the database.
pub struct OpaqueToken {
    pub value: SecretString,
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RandomnessUnavailable(#[source] Box<dyn std::error::Error + Send + Sync + 'static>);

/// Fills a buffer from the OS CSPRNG (getrandom), not a userspace generator.
pub fn os_random<const N: usize>() -> Result<[u8; N], RandomnessUnavailable> {
    let mut bytes = [0u8; N];
    SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| RandomnessUnavailable(Box::new(e)))?;
    Ok(bytes)
}

impl OpaqueToken {
    pub fn generate() -> Result<Self, RandomnessUnavailable> {
        let value = URL_SAFE_NO_PAD.encode(os_random::<TOKEN_BYTES>()?);
        let hash = hash_token(&value);
        Ok(Self {
            value: secret(value),
            hash,
        })
    }
}

/// The lookup key for a presented token. Lookup is by hash, so comparing it leaks nothing
/// about stored tokens.
pub fn hash_token(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a presented secret token without exposing it anywhere else.
pub fn hash_secret_token(value: &SecretString) -> String {
    hash_token(value.expose_secret())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_url_safe_and_hashed() {
        let token = OpaqueToken::generate().unwrap();
        let value = token.value.expose_secret();
        assert_eq!(value.len(), 43);
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(token.hash, hash_token(value));
        assert_eq!(token.hash.len(), 64);
        assert_ne!(token.hash, *value);
    }

    #[test]
    fn tokens_do_not_repeat() {
        let a = OpaqueToken::generate().unwrap();
        let b = OpaqueToken::generate().unwrap();
        assert_ne!(a.hash, b.hash);
    }
}
