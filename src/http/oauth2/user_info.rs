//! `GET|POST /oauth2/userInfo`: the signed-in user's attributes that the token's app client
//! may read, as Cognito's userInfo endpoint returns them (attribute values are strings, `sub`
//! and `username` added), narrowed by the token's scopes (docs/oauth2.md, "userInfo"):
//! `aws.cognito.signin.user.admin` or `profile` show every readable attribute; otherwise
//! `email` adds `email` and `email_verified`, `phone` adds `phone_number` and
//! `phone_number_verified`, and `openid` alone shows only `sub` and `username`.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::{AuthError, NotAuthorized, Services};
use crate::domain::claims::ADMIN_SCOPE;
use crate::http::bearer::bearer_token;
use crate::http::error::{ApiError, Surface};

const SURFACE: Surface = Surface::Plain;

/// The attributes each of the narrow scopes shows.
const SCOPED_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("email", &["email", "email_verified"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The readable attributes the token's scopes show.
fn scoped(readable: &BTreeMap<String, String>, scope: &str) -> BTreeMap<String, String> {
    let scopes: Vec<&str> = scope.split(' ').collect();
    if scopes.contains(&ADMIN_SCOPE) || scopes.contains(&"profile") {
        return readable.clone();
    }
    let shown: Vec<&str> = SCOPED_ATTRIBUTES
        .iter()
        .filter(|(scope, _)| scopes.contains(scope))
        .flat_map(|(_, names)| names.iter().copied())
        .collect();
    readable
        .iter()
        .filter(|(name, _)| shown.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

pub async fn user_info(
    request: HttpRequest,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer_token(&request, SURFACE)?;
    let caller = services
        .authenticate_user_info_token(&token)
        .await
        .map_err(|e| ApiError::from_auth(e, SURFACE))?;
    // Under a pool's path, only that pool's tokens.
    if request
        .match_info()
        .get("pool_id")
        .is_some_and(|pool| pool != caller.pool.id.as_str())
    {
        return Err(ApiError::from_auth(
            AuthError::NotAuthorized(NotAuthorized::InvalidAccessToken),
            SURFACE,
        ));
    }
    let readable = caller
        .client
        .settings
        .readable(&caller.user.attributes)
        .as_map()
        .clone();
    let mut info = scoped(&readable, &caller.claims.scope);
    info.insert("sub".into(), caller.user.sub.to_string());
    info.insert("username".into(), caller.user.username.clone());
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(info))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_select_attributes() {
        let readable: BTreeMap<String, String> = [
            ("email", "a@example.com"),
            ("email_verified", "true"),
            ("phone_number", "+15550100"),
            ("name", "Alice"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(scoped(&readable, ADMIN_SCOPE), readable);
        assert_eq!(scoped(&readable, "openid profile"), readable);
        assert!(scoped(&readable, "openid").is_empty());
        let email = scoped(&readable, "openid email");
        assert_eq!(
            email.keys().collect::<Vec<_>>(),
            ["email", "email_verified"]
        );
        let phone = scoped(&readable, "openid phone");
        assert_eq!(phone.keys().collect::<Vec<_>>(), ["phone_number"]);
    }
}
