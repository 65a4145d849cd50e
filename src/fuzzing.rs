//! The handful of internals the cargo-fuzz targets in `fuzz/` call directly, and nothing else.
//!
//! The fuzz crate is a separate package, so it sees only `pub` items. Rather than widen the
//! HTTP adapter's and the use cases' APIs for everyone, the functions stay `pub(crate)` where
//! they live and this hidden module forwards to them: one place lists what the fuzzers reach
//! into, and nothing else in the crate may depend on it. Everything the targets can already
//! call (`http::body::decode`, `crypto::jwt`, `domain::username::Username`, `app::App`) they
//! call by its own path.

use crate::auth::AuthError;
use crate::domain::claims::AccessTokenClaims;
use crate::domain::clock::UnixSeconds;
use crate::http::error::ApiError;
use crate::http::login_api::LoginStart;

/// `POST /Login`'s body decoding and field validation: all it does before the database.
pub fn login_request(body: &[u8]) -> Result<LoginStart, ApiError> {
    crate::http::login_api::decode_login_request(body)
}

/// The per-pool lookup key of a username (NFKC, lower case), without the validation
/// `Username::parse` adds, so its own properties can be checked on any string.
pub fn username_key(raw: &str) -> String {
    crate::domain::username::lookup_key(raw)
}

/// The access-token checks that need no database (`token_use`, `exp`, `nbf`, scope).
pub fn check_access_claims(claims: &AccessTokenClaims, now: UnixSeconds) -> Result<(), AuthError> {
    crate::auth::access::check_claims(claims, now)
}
