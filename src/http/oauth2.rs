//! `GET|POST /oauth2/userInfo`: the signed-in user's attributes that the token's app client
//! may read, as Cognito's userInfo endpoint returns them (attribute values are strings, `sub`
//! and `username` added).

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::bearer::bearer_token;
use super::error::{ApiError, Surface};
use crate::auth::Services;

const SURFACE: Surface = Surface::Plain;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/oauth2/userInfo")
            .route(web::get().to(user_info))
            .route(web::post().to(user_info)),
    );
}

async fn user_info(
    request: HttpRequest,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&request, SURFACE)?;
    let caller = services
        .authenticate_access_token(&token)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    let mut info: BTreeMap<String, String> = caller
        .client
        .settings
        .readable(&caller.user.attributes)
        .as_map()
        .clone();
    info.insert("sub".into(), caller.user.sub.to_string());
    info.insert("username".into(), caller.user.username.clone());
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(info))
}
