//! RSA signing keys: generation, the public JWK, and the signing handle.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, rand_core::OsRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jwt::{SigningFailed, SigningKey};

/// The algorithm Cognito signs with; verifiers pin it per key.
pub const ALGORITHM: &str = "RS256";
const RSA_BITS: usize = 2048;

/// A public key as published in a JWKS, in the member order Cognito uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub alg: String,
    pub e: String,
    pub kid: String,
    pub kty: String,
    pub n: String,
    #[serde(rename = "use")]
    pub use_: String,
}

/// A new key pair. The private half exists in plaintext only here and in memory while signing.
pub struct GeneratedKey {
    pub kid: String,
    pub private_der: secrecy::SecretSlice<u8>,
    pub public: PublicJwk,
}

#[derive(Debug, thiserror::Error)]
#[error("RSA key generation failed")]
pub struct KeyGenerationFailed(#[source] Box<dyn std::error::Error + Send + Sync + 'static>);

/// Generates a 2048-bit RSA key. Slow (tens of milliseconds): call it off the async workers.
pub fn generate_rsa() -> Result<GeneratedKey, KeyGenerationFailed> {
    let private =
        RsaPrivateKey::new(&mut OsRng, RSA_BITS).map_err(|e| KeyGenerationFailed(Box::new(e)))?;
    let der = private
        .to_pkcs1_der()
        .map_err(|e| KeyGenerationFailed(Box::new(e)))?;
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let kid = thumbprint(&e, &n);
    Ok(GeneratedKey {
        kid: kid.clone(),
        private_der: der.as_bytes().to_vec().into(),
        public: PublicJwk {
            alg: ALGORITHM.to_owned(),
            e,
            kid,
            kty: "RSA".to_owned(),
            n,
            use_: "sig".to_owned(),
        },
    })
}

/// RFC 7638 JWK thumbprint: a key id derived from the key itself, stable and collision-free.
fn thumbprint(e: &str, n: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Whether `jwk` is the public half of the PKCS#1 private key `private_der`, kid included.
pub fn is_public_half(private_der: &[u8], jwk: &PublicJwk) -> bool {
    let Ok(private) = RsaPrivateKey::from_pkcs1_der(private_der) else {
        return false;
    };
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    jwk.n == n && jwk.e == e && jwk.kid == thumbprint(&e, &n)
}

/// The signing handle for a decrypted PKCS#1 private key, parsed once.
pub fn signing_key(private_der: &[u8]) -> Result<SigningKey, SigningFailed> {
    SigningKey::from_pkcs1_der(private_der)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn generated_keys_publish_the_standard_members() {
        let key = generate_rsa().unwrap();
        assert_eq!(key.public.kty, "RSA");
        assert_eq!(key.public.alg, "RS256");
        assert_eq!(key.public.use_, "sig");
        assert_eq!(key.public.e, "AQAB");
        assert_eq!(key.public.kid, key.kid);
        assert_eq!(key.kid.len(), 43);
        assert!(!key.private_der.expose_secret().is_empty());
        let json = serde_json::to_value(&key.public).unwrap();
        assert_eq!(json["use"], "sig");
    }

    #[test]
    fn a_public_key_is_recognised_as_its_private_keys_half_only() {
        let key = generate_rsa().unwrap();
        let other = generate_rsa().unwrap();
        let der = key.private_der.expose_secret();
        assert!(is_public_half(der, &key.public));
        assert!(!is_public_half(der, &other.public));
        let renamed = PublicJwk {
            kid: other.kid.clone(),
            ..key.public.clone()
        };
        assert!(!is_public_half(der, &renamed));
        assert!(!is_public_half(b"not a key", &key.public));
    }
}
