//! Signing JWTs with AWS-LC (aws-lc-rs) and verifying them with `jsonwebtoken` (with the
//! RustCrypto provider its features select): RS256 with a `kid` and, like Cognito, no `typ`.
//! Verification pins the algorithm per key, never looks at key-locating headers, and leaves
//! time checks to the caller's clock.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::keys::PublicJwk;

/// A private key ready to sign RS256 tokens, parsed once. Every sign-in and refresh signs
/// two tokens, so the signature is most of a refresh's CPU: AWS-LC signs in about half
/// ring's time where the CPU has AVX-512 IFMA and several times faster than the pure-Rust
/// `rsa` crate (figures in docs/benchmarks.md). Through jsonwebtoken the key was parsed from
/// its DER again for every signature (about 3 % of a refresh's CPU, docs/benchmarks.md
/// "Refresh at the limit"); here it is parsed when the key is opened. RS256 (PKCS#1 v1.5)
/// signatures are deterministic, so the tokens are the bytes jsonwebtoken would have made (a
/// test below checks it).
pub struct SigningKey(RsaKeyPair);

impl SigningKey {
    /// The signing key of a decrypted PKCS#1 (DER) RSA private key.
    pub fn from_pkcs1_der(private_der: &[u8]) -> Result<Self, SigningFailed> {
        RsaKeyPair::from_der(private_der)
            .map(Self)
            .map_err(|e| SigningFailed(ErrorKind::InvalidRsaKey(e.to_string()).into()))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("signing a token failed")]
pub struct SigningFailed(#[source] jsonwebtoken::errors::Error);

/// Why a presented token was not accepted. Deliberately coarse: callers answer one generic
/// error, and the reason only reaches debug logs.
#[derive(Debug, thiserror::Error)]
#[error("token refused: {0}")]
pub struct Refused(pub String);

/// An RS256 token of `claims` with the `kid` header and no `typ`.
pub fn sign<T: Serialize>(
    claims: &T,
    kid: &str,
    key: &SigningKey,
) -> Result<String, SigningFailed> {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = None;
    header.kid = Some(kid.to_owned());
    sign_with_header(&header, claims, key)
}

/// An RS256 token of `claims` under any header (tests forge headers with it); the header's
/// `alg` must say RS256.
pub fn sign_with_header<T: Serialize>(
    header: &Header,
    claims: &T,
    key: &SigningKey,
) -> Result<String, SigningFailed> {
    if header.alg != Algorithm::RS256 {
        return Err(SigningFailed(ErrorKind::InvalidAlgorithm.into()));
    }
    let header = serde_json::to_vec(header).map_err(|e| SigningFailed(e.into()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| SigningFailed(e.into()))?;
    let modulus_len = key.0.public_modulus_len();
    // header.claims.signature, each base64url without padding.
    let mut token = String::with_capacity((header.len() + claims.len() + modulus_len) * 4 / 3 + 8);
    URL_SAFE_NO_PAD.encode_string(&header, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
    let mut signature = vec![0; modulus_len];
    key.0
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            token.as_bytes(),
            &mut signature,
        )
        .map_err(|_| SigningFailed(ErrorKind::RsaFailedSigning.into()))?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    Ok(token)
}

/// What the header may tell us before the signature is checked: only which key to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHeader {
    pub kid: String,
}

/// Reads the header. Tokens that name their own keys or key locations (`jku`, `x5u`, `jwk`,
/// `x5c`) are refused outright; `alg: none` and unknown algorithms fail to parse.
pub fn inspect_header(token: &str) -> Result<TokenHeader, Refused> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| Refused(e.to_string()))?;
    if header.jku.is_some() || header.x5u.is_some() || header.jwk.is_some() || header.x5c.is_some()
    {
        return Err(Refused("the header names a key location".into()));
    }
    if header.alg != Algorithm::RS256 {
        return Err(Refused(format!(
            "algorithm {:?} is not accepted",
            header.alg
        )));
    }
    let kid = header
        .kid
        .filter(|kid| !kid.is_empty() && kid.len() <= 128)
        .ok_or_else(|| Refused("no usable kid".into()))?;
    Ok(TokenHeader { kid })
}

/// The `iss` claim before verification, used only to choose which pool's keys to try; the
/// verified token must then carry exactly the issuer of that pool.
pub fn unverified_issuer(token: &str) -> Result<String, Refused> {
    let payload = token
        .split('.')
        .nth(1)
        .ok_or_else(|| Refused("not a JWT".into()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Refused("payload is not base64url".into()))?;
    #[derive(serde::Deserialize)]
    struct Issuer {
        iss: String,
    }
    serde_json::from_slice::<Issuer>(&bytes)
        .map(|i| i.iss)
        .map_err(|_| Refused("payload has no issuer".into()))
}

/// The verification key for a published JWK.
pub fn decoding_key(jwk: &PublicJwk) -> Result<DecodingKey, Refused> {
    if jwk.kty != "RSA" || jwk.alg != super::keys::ALGORITHM {
        return Err(Refused("not an RS256 key".into()));
    }
    DecodingKey::from_rsa_components(&jwk.n, &jwk.e).map_err(|e| Refused(e.to_string()))
}

/// Checks the signature with RS256 only and the issuer exactly. Expiry is checked by the
/// caller against its own clock, so tests can move time.
pub fn verify<T: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    issuer: &str,
) -> Result<T, Refused> {
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<T>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| Refused(e.to_string()))
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::crypto::keys::generate_rsa;

    fn signing_key(der: &[u8]) -> SigningKey {
        SigningKey::from_pkcs1_der(der).unwrap()
    }

    fn signed(claims: &serde_json::Value) -> (String, PublicJwk) {
        let key = generate_rsa().unwrap();
        let token = sign(
            claims,
            &key.kid,
            &signing_key(key.private_der.expose_secret()),
        )
        .unwrap();
        (token, key.public)
    }

    #[test]
    fn header_carries_kid_and_rs256_only() {
        let (token, public) = signed(&serde_json::json!({"sub": "x"}));
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "RS256", "kid": public.kid})
        );
    }

    #[test]
    fn verification_round_trips_and_pins_the_issuer() {
        let claims = serde_json::json!({"sub": "x", "iss": "https://issuer/p", "exp": 1});
        let (token, public) = signed(&claims);
        let key = decoding_key(&public).unwrap();
        assert_eq!(inspect_header(&token).unwrap().kid, public.kid);
        assert_eq!(unverified_issuer(&token).unwrap(), "https://issuer/p");
        let verified: serde_json::Value = verify(&token, &key, "https://issuer/p").unwrap();
        assert_eq!(verified, claims);
        assert!(verify::<serde_json::Value>(&token, &key, "https://issuer/q").is_err());
        let mut parts: Vec<&str> = token.split('.').collect();
        let tampered_payload =
            URL_SAFE_NO_PAD.encode(br#"{"sub":"y","iss":"https://issuer/p","exp":1}"#);
        parts[1] = &tampered_payload;
        assert!(verify::<serde_json::Value>(&parts.join("."), &key, "https://issuer/p").is_err());
    }

    #[test]
    fn aws_lc_signs_the_same_token_as_jsonwebtoken_with_rust_crypto() {
        let key = generate_rsa().unwrap();
        let der = key.private_der.expose_secret();
        let claims = serde_json::json!({"sub": "x", "iss": "i", "exp": 1});
        let ours = sign(&claims, &key.kid, &signing_key(der)).unwrap();
        let mut header = Header::new(Algorithm::RS256);
        header.typ = None;
        header.kid = Some(key.kid.clone());
        let reference = jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_rsa_der(der),
        )
        .unwrap();
        assert_eq!(ours, reference);
        let verified: serde_json::Value =
            verify(&ours, &decoding_key(&key.public).unwrap(), "i").unwrap();
        assert_eq!(verified["sub"], "x");
    }

    #[test]
    fn none_and_key_locating_headers_are_refused() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        assert!(inspect_header(&none).is_err());
        let jku = format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k","jku":"https://evil/jwks"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"x"}"#)
        );
        assert!(inspect_header(&jku).is_err());
        assert!(inspect_header("not.a.jwt").is_err());
        assert!(unverified_issuer("garbage").is_err());
    }
}
