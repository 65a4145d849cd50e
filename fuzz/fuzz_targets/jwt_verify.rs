//! The JWT verifier (`crypto/jwt.rs`: `inspect_header`, `unverified_issuer`, `verify`) and
//! the access-token claim checks that need no database (`auth/access.rs`).
//!
//! The first input byte picks a mode; the rest is its material:
//! - 0: the rest is a token as presented;
//! - 1: header JSON, `\n`, payload JSON, `\n`, signature bytes, base64url-encoded into a
//!   token for the fuzzer (so it works on the JSON, not on base64);
//! - 2: payload JSON, signed by our key with our header, then checked, then tampered with;
//! - 3: header JSON and payload JSON, signed with RS256 by our key whatever the header says.
//!
//! Invariants: nothing verifies unless this process signed it with our key, RS256 pinned
//! (a header naming another algorithm or a key location never verifies); what verifies
//! comes back exactly as signed, and one changed character makes it fail; the claim checks
//! accept exactly what their rules say, computed here in `i128` so no arithmetic can wrap.

#![no_main]

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gatehouse::crypto::jwt::{
    SigningKey, decoding_key, inspect_header, sign, unverified_issuer, verify,
};
use gatehouse::crypto::keys::{generate_rsa, signing_key};
use gatehouse::domain::claims::{ADMIN_SCOPE, AccessTokenClaims, TokenUse};
use gatehouse::fuzzing::check_access_claims;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use libfuzzer_sys::fuzz_target;
use secrecy::ExposeSecret;
use serde_json::Value;

const ISSUER: &str = "https://gatehouse.test/us-east-1_FuzzPool1";

struct Keys {
    kid: String,
    signing: SigningKey,
    /// The same key for jsonwebtoken, to sign messages no claims type would serialise.
    raw_signing: EncodingKey,
    verifying: DecodingKey,
}

/// One key pair per process: no input can carry a valid signature made by it.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = generate_rsa().expect("an RSA key");
        Keys {
            kid: key.kid.clone(),
            signing: signing_key(key.private_der.expose_secret()).expect("our own key"),
            raw_signing: EncodingKey::from_rsa_der(key.private_der.expose_secret()),
            verifying: decoding_key(&key.public).expect("our own JWK"),
        }
    })
}

fuzz_target!(
    // RSA key generation is slow under AddressSanitizer: not part of the first input's time.
    init: {
        keys();
    },
    |data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => unsigned(&String::from_utf8_lossy(rest)),
        1 => {
            let mut parts = rest.splitn(3, |&b| b == b'\n');
            let header = parts.next().unwrap_or_default();
            let payload = parts.next().unwrap_or_default();
            let signature = parts.next().unwrap_or_default();
            unsigned(&format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload),
                URL_SAFE_NO_PAD.encode(signature)
            ));
        }
        2 => signed_by_us(rest),
        _ => {
            let (header, payload) = match rest.iter().position(|&b| b == b'\n') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &b"{}"[..]),
            };
            signed_with_any_header(header, payload);
        }
    }
    }
);

/// A token nobody here signed: every check may refuse it, none may accept it or panic.
fn unsigned(token: &str) {
    let keys = keys();
    if let Ok(header) = inspect_header(token) {
        assert_header_is_acceptable(token, &header.kid);
    }
    let _ = unverified_issuer(token);
    assert!(verify::<Value>(token, &keys.verifying, ISSUER).is_err());
    assert!(verify::<AccessTokenClaims>(token, &keys.verifying, ISSUER).is_err());
}

/// What `inspect_header` let through really has RS256, a sane kid and no key location.
fn assert_header_is_acceptable(token: &str, kid: &str) {
    assert!((1..=128).contains(&kid.len()));
    let header = jsonwebtoken::decode_header(token).expect("inspect_header accepted it");
    assert_eq!(header.alg, Algorithm::RS256);
    assert!(header.jku.is_none() && header.x5u.is_none());
    assert!(header.jwk.is_none() && header.x5c.is_none());
}

fn signed_by_us(payload: &[u8]) {
    let Ok(claims) = serde_json::from_slice::<Value>(payload) else {
        return;
    };
    let keys = keys();
    let Ok(token) = sign(&claims, &keys.kid, &keys.signing) else {
        return;
    };
    assert_eq!(
        inspect_header(&token).expect("our own header").kid,
        keys.kid
    );

    let verified = verify::<Value>(&token, &keys.verifying, ISSUER);
    let well_formed = claims.get("iss").and_then(Value::as_str) == Some(ISSUER)
        && claims.get("sub").is_some_and(Value::is_string)
        && claims.get("exp").is_some_and(Value::is_u64);
    match &verified {
        Ok(back) => {
            // What was signed is the claims' JSON text; serde_json's default float parsing is
            // not correctly rounded, so a non-integer number read back from that text may be
            // the neighbouring f64. Compare with the text parsed the same way.
            let signed_text = serde_json::to_vec(&claims).expect("a Value serialises");
            let signed: Value = serde_json::from_slice(&signed_text).expect("our own JSON");
            assert_eq!(
                back, &signed,
                "verification returns exactly what was signed"
            );
            assert_eq!(unverified_issuer(&token).ok().as_deref(), Some(ISSUER));
        }
        Err(refused) => assert!(!well_formed, "a well-formed token was refused: {refused}"),
    }

    // Any one character changed, anywhere, and it no longer verifies.
    let position = payload.len() % token.len();
    let mut tampered = token.clone().into_bytes();
    tampered[position] = if tampered[position] == b'A' {
        b'B'
    } else {
        b'A'
    };
    if let Ok(tampered) = String::from_utf8(tampered) {
        if tampered != token {
            assert!(verify::<Value>(&tampered, &keys.verifying, ISSUER).is_err());
        }
    }

    if verified.is_ok() {
        if let Ok(access) = verify::<AccessTokenClaims>(&token, &keys.verifying, ISSUER) {
            check_claims_against_their_rules(&access, payload);
        }
    }
}

/// The claim checks must accept exactly when every rule holds; `now` comes from the input.
fn check_claims_against_their_rules(claims: &AccessTokenClaims, entropy: &[u8]) {
    let mut seed = [0u8; 8];
    for (i, byte) in entropy.iter().rev().take(8).enumerate() {
        seed[i] = *byte;
    }
    let candidates = [
        i64::from_le_bytes(seed),
        claims.exp,
        claims.exp.wrapping_add(30),
        claims.exp.wrapping_add(31),
        claims.nbf.unwrap_or(0).wrapping_sub(30),
        claims.nbf.unwrap_or(0).wrapping_sub(31),
        i64::MAX,
        i64::MIN,
    ];
    for now in candidates {
        let leeway = 30_i128;
        let expected = claims.token_use == TokenUse::Access
            && i128::from(now) <= i128::from(claims.exp) + leeway
            && claims
                .nbf
                .is_none_or(|nbf| i128::from(nbf) <= i128::from(now) + leeway)
            && claims.scope.split(' ').any(|s| s == ADMIN_SCOPE);
        assert_eq!(
            check_access_claims(claims, now).is_ok(),
            expected,
            "claim checks at now={now}"
        );
    }
}

/// RS256 signatures by our key over any header: verification pins the algorithm and refuses
/// key locations whatever the header claims, and `inspect_header` agrees with `verify`.
fn signed_with_any_header(header: &[u8], payload: &[u8]) {
    let keys = keys();
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &keys.raw_signing, Algorithm::RS256)
            .expect("RS256 signing");
    let token = format!("{message}.{signature}");

    let inspected = inspect_header(&token);
    if let Ok(inspected) = &inspected {
        assert_header_is_acceptable(&token, &inspected.kid);
    }
    if verify::<Value>(&token, &keys.verifying, ISSUER).is_ok() {
        let parsed = jsonwebtoken::decode_header(&token).expect("a verified token's header");
        assert_eq!(parsed.alg, Algorithm::RS256, "the algorithm is pinned");
    }
}
