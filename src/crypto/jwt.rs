//! Signing JWTs with `jsonwebtoken`: RS256 and a `kid`, and, like Cognito, no `typ`.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
#[error("signing a token failed: {0}")]
pub struct SigningFailed(String);

pub fn sign<T: Serialize>(
    claims: &T,
    kid: &str,
    key: &EncodingKey,
) -> Result<String, SigningFailed> {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = None;
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).map_err(|e| SigningFailed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use secrecy::ExposeSecret;

    use super::*;
    use crate::crypto::keys::{encoding_key, generate_rsa};

    #[test]
    fn header_carries_kid_and_rs256_only() {
        let key = generate_rsa().unwrap();
        let token = sign(
            &serde_json::json!({"sub": "x"}),
            &key.kid,
            &encoding_key(key.private_der.expose_secret()),
        )
        .unwrap();
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg": "RS256", "kid": key.kid}));
    }
}
