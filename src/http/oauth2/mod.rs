//! The OAuth 2.0 and OpenID Connect endpoints of a pool (docs/oauth2.md). Each is served at
//! the root (the pool found from the client or token) and under the pool's path
//! (`/{pool_id}/oauth2/...`, where a client of another pool is refused), the addresses a
//! pool's discovery document names.

pub mod client_auth;
pub mod error;
pub mod form;
pub mod revoke;
pub mod token;
pub mod token_authorization_code;
pub mod token_client_credentials;
pub mod token_refresh;
pub mod user_info;

use actix_web::http::header;
use actix_web::{HttpRequest, web};

use crate::auth::Services;

use crate::domain::ids::UserPoolId;
use error::OAuthError;

/// The prefixes every endpoint is served under.
const PREFIXES: [&str; 2] = ["", "/{pool_id}"];

pub fn routes(config: &mut web::ServiceConfig) {
    for prefix in PREFIXES {
        config
            .service(
                web::resource(format!("{prefix}/oauth2/token")).route(web::post().to(token::token)),
            )
            .service(
                web::resource(format!("{prefix}/oauth2/revoke"))
                    .route(web::post().to(revoke::revoke)),
            )
            .service(
                web::resource(format!("{prefix}/oauth2/userInfo"))
                    .route(web::get().to(user_info::user_info))
                    .route(web::post().to(user_info::user_info)),
            );
    }
}

/// The pool the request was addressed to: by its path (`/{pool_id}/oauth2/...`), or at the
/// root by a `Host` that is a pool's custom domain (docs/oauth2.md, "Domains"). A malformed
/// pool id names no pool, so no client can belong to it.
pub async fn addressed_pool(
    services: &Services,
    request: &HttpRequest,
) -> Result<Option<UserPoolId>, OAuthError> {
    if let Some(raw) = request.match_info().get("pool_id") {
        return UserPoolId::parse(raw)
            .map(Some)
            .map_err(|_| OAuthError::invalid_client("Client authentication failed"));
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|host| host.rsplit_once(':').map_or(host, |(name, _)| name))
        .unwrap_or_default()
        .to_ascii_lowercase();
    services
        .pool_of_custom_domain(&host)
        .await
        .map_err(OAuthError::from_auth)
}
