//! The hosted pages and the browser's side of OAuth 2.0 (docs/oauth2.md, "Authorization endpoint, hosted pages and logout"):
//! `GET /oauth2/authorize`, the sign-in page and the pages that follow it (new password,
//! second-factor code, factor choice, authenticator set-up), `GET /logout`, and the logo of
//! a pool's branding (under `/{pool_id}/` only); the others are served at the root (the pool is found from
//! the `client_id`) and under `/{pool_id}/` (the client must be of that pool). One file per
//! page; what they share is here: rendering (minijinja, HTML auto-escaped), the security
//! headers every page carries, the cookies and the CSRF check (docs/security.md, "Hosted
//! pages").

// The helpers here answer early with the page itself (`Err(HttpResponse)`), once per request;
// boxing it would buy nothing.
#![allow(
    clippy::result_large_err,
    reason = "an early answer is the response itself, built once per request"
)]

mod authorize;
mod confirm_forgot_password;
mod confirm_user;
mod forgot_password;
mod login;
mod logout;
mod mfa;
mod mfa_setup;
mod new_password;
mod select_mfa;
mod sign_up;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use minijinja::Environment;
use serde::Serialize;

use super::error::{ApiError, Surface};
use super::well_known::PublicUrl;
use crate::auth::{AuthError, NotAuthorized, Services};
use crate::domain::authorization_request::{self, AuthorizationRefusal, AuthorizationRequest};
use crate::domain::ids::UserPoolId;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::manage::branding::HostedBranding;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// The browser's hosted sign-in (docs/security.md, "Hosted pages").
const SESSION_COOKIE: &str = "gatehouse_session";
/// The random value the CSRF tokens of a browser's forms are bound to.
const PRE_SESSION_COOKIE: &str = "gatehouse_presession";
/// Forms are a few fields; nothing larger is read.
const MAX_FORM_BYTES: usize = 16 * 1024;

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a page whose form, once posted, redirects the browser to the client's
/// `redirect_uri`. Browsers apply `form-action` to every redirect that follows a form's
/// submission, so with `'self'` alone a sign-in could never reach the application: the
/// redirect_uri's origin (or, for an app scheme such as `myapp://callback`, its scheme) is
/// allowed too, and nothing else.
fn form_page_policy(redirect_uri: Option<&str>) -> String {
    let destination = redirect_uri
        .and_then(|raw| url::Url::parse(raw).ok())
        .map(|url| match url.scheme() {
            // ASCII serialization: punycode host, no characters that could end the directive.
            "http" | "https" => url.origin().ascii_serialization(),
            // Schemes are letters, digits, `+`, `-` and `.` (RFC 3986), safe in a policy.
            scheme => format!("{scheme}:"),
        });
    match destination {
        Some(destination) => CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'",
            &format!("form-action 'self' {destination}"),
        ),
        None => CONTENT_SECURITY_POLICY.to_owned(),
    }
}

pub fn routes(config: &mut web::ServiceConfig) {
    for prefix in ["", "/{pool_id}"] {
        config
            .service(
                web::resource(format!("{prefix}/oauth2/authorize"))
                    .route(web::get().to(authorize::authorize)),
            )
            .service(
                web::resource(format!("{prefix}/login"))
                    .route(web::get().to(login::show))
                    .route(web::post().to(login::submit)),
            )
            .service(
                web::resource(format!("{prefix}/login/newPassword"))
                    .route(web::post().to(new_password::submit)),
            )
            .service(
                web::resource(format!("{prefix}/login/mfa")).route(web::post().to(mfa::submit)),
            )
            .service(
                web::resource(format!("{prefix}/login/mfaSetup"))
                    .route(web::post().to(mfa_setup::submit)),
            )
            .service(
                web::resource(format!("{prefix}/login/selectMfa"))
                    .route(web::post().to(select_mfa::submit)),
            )
            .service(web::resource(format!("{prefix}/logout")).route(web::get().to(logout::logout)))
            .service(
                web::resource(format!("{prefix}/signup"))
                    .route(web::get().to(sign_up::show))
                    .route(web::post().to(sign_up::submit)),
            )
            .service(
                web::resource(format!("{prefix}/confirmUser"))
                    .route(web::get().to(confirm_user::show))
                    .route(web::post().to(confirm_user::submit)),
            )
            .service(
                web::resource(format!("{prefix}/forgotPassword"))
                    .route(web::get().to(forgot_password::show))
                    .route(web::post().to(forgot_password::submit)),
            )
            .service(
                web::resource(format!("{prefix}/confirmForgotPassword"))
                    .route(web::get().to(confirm_forgot_password::show))
                    .route(web::post().to(confirm_forgot_password::submit)),
            )
            .service(
                web::resource(format!("{prefix}/hosted/style.css"))
                    .route(web::get().to(stylesheet)),
            );
    }
    // The logo of `SetUICustomization`'s `ImageUrl`: under the pool's path only, so the
    // pool is known without a client.
    config.service(web::resource("/{pool_id}/hosted/logo/{client_key}").route(web::get().to(logo)));
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("templates/base.html")),
        ("login.html", include_str!("templates/login.html")),
        (
            "new_password.html",
            include_str!("templates/new_password.html"),
        ),
        ("mfa.html", include_str!("templates/mfa.html")),
        ("mfa_setup.html", include_str!("templates/mfa_setup.html")),
        ("select_mfa.html", include_str!("templates/select_mfa.html")),
        ("error.html", include_str!("templates/error.html")),
        ("signed_out.html", include_str!("templates/signed_out.html")),
        ("sign_up.html", include_str!("templates/sign_up.html")),
        (
            "confirm_user.html",
            include_str!("templates/confirm_user.html"),
        ),
        (
            "forgot_password.html",
            include_str!("templates/forgot_password.html"),
        ),
        (
            "confirm_forgot_password.html",
            include_str!("templates/confirm_forgot_password.html"),
        ),
    ] {
        // The templates are part of the binary; one that does not parse fails the unit
        // test below, never a request.
        if let Err(error) = env.add_template(name, source) {
            tracing::error!(%error, name, "hosted page template does not parse");
        }
    }
    env
});

/// Where a request came in: at the root or under a pool's path.
pub(super) struct Site {
    /// `""` at the root, `/{pool_id}` under a pool.
    prefix: String,
    pool: Option<UserPoolId>,
    /// Cookies are marked `Secure` when the public URL is HTTPS.
    secure: bool,
}

impl Site {
    fn of(request: &HttpRequest) -> Result<Self, HttpResponse> {
        let secure = request
            .app_data::<web::Data<PublicUrl>>()
            .is_some_and(|url| url.0.starts_with("https://"));
        match request.match_info().get("pool_id") {
            None => Ok(Self {
                prefix: String::new(),
                pool: None,
                secure,
            }),
            Some(raw) => match UserPoolId::parse(raw) {
                Ok(pool) => Ok(Self {
                    prefix: format!("/{pool}"),
                    pool: Some(pool),
                    secure,
                }),
                Err(_) => Err(Self {
                    prefix: String::new(),
                    pool: None,
                    secure,
                }
                .error_page(StatusCode::NOT_FOUND, "No such user pool.")),
            },
        }
    }

    fn path(&self, page: &str) -> String {
        format!("{}{page}", self.prefix)
    }

    /// The page at `page` with the authorization request's own query string.
    fn action(&self, page: &str, request: &HttpRequest) -> String {
        format!("{}?{}", self.path(page), request.query_string())
    }

    fn render(&self, status: StatusCode, template: &str, context: impl Serialize) -> HttpResponse {
        let stylesheet = self.path("/hosted/style.css");
        let body = TEMPLATES.get_template(template).and_then(|t| {
            t.render(minijinja::context! { stylesheet => stylesheet, ..minijinja::Value::from_serialize(&context) })
        });
        match body {
            Ok(body) => page_headers(HttpResponse::build(status))
                .content_type("text/html; charset=utf-8")
                .body(body),
            Err(error) => {
                tracing::error!(%error, template, "hosted page did not render");
                page_headers(HttpResponse::InternalServerError())
                    .content_type("text/plain; charset=utf-8")
                    .body("Internal error")
            }
        }
    }

    fn error_page(&self, status: StatusCode, message: &str) -> HttpResponse {
        self.render(
            status,
            "error.html",
            minijinja::context! { title => "Something went wrong", message => message },
        )
    }

    /// The page for a use-case error that ends the flow (server faults are logged by the
    /// one mapping in `http/error.rs`).
    fn failure_page(&self, error: AuthError) -> HttpResponse {
        let mapped = ApiError::from_auth(error, Surface::Plain);
        self.error_page(mapped.status(), &mapped.to_string())
    }

    /// Refusal of an authorization request: an error page when the client or redirect_uri
    /// is not proven, else a redirect to the redirect_uri with `error`.
    fn refuse(&self, refusal: &AuthorizationRefusal) -> HttpResponse {
        match (refusal, refusal.location()) {
            (_, Some(location)) => redirect(&location),
            (AuthorizationRefusal::Page(message), None) => {
                self.error_page(StatusCode::BAD_REQUEST, message)
            }
            (AuthorizationRefusal::Redirect { .. }, None) => {
                self.error_page(StatusCode::BAD_REQUEST, "Invalid request.")
            }
        }
    }

    fn cookie<'c>(&self, name: &'c str, value: String) -> Cookie<'c> {
        let path = if self.prefix.is_empty() {
            "/".to_owned()
        } else {
            self.prefix.clone()
        };
        Cookie::build(name, value)
            .path(path)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish()
    }
}

/// The headers every hosted page carries.
fn page_headers(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    builder
}

fn redirect(location: &str) -> HttpResponse {
    page_headers(HttpResponse::Found())
        .insert_header((header::LOCATION, location))
        .finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=300"),
        ))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .body(include_str!("style.css"))
}

/// A page opened by GET: where it is served, and the authorization request its query carries,
/// checked (or the error page to answer instead).
async fn checked_page_request(
    request: &HttpRequest,
    services: &Services,
) -> Result<(Site, AuthorizationRequest), HttpResponse> {
    let site = Site::of(request)?;
    let checked = authorization(&site, request, services).await?;
    Ok((site, checked))
}

/// The authorization request carried in the page's query string, checked again on every
/// step: the pages keep no state of their own.
async fn authorization(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
) -> Result<AuthorizationRequest, HttpResponse> {
    let parameters =
        authorization_request::parse_query(request.query_string()).map_err(|r| site.refuse(&r))?;
    let checked = services
        .check_authorization_request(&parameters, site.pool.as_ref())
        .await
        .map_err(|r| site.refuse(&r))?;
    // The client's branding, for the form page this request renders (`form_page`).
    let branding = services
        .hosted_branding(&checked.pool_id, &checked.client_id)
        .await
        .map_err(|error| site.failure_page(error))?;
    request
        .extensions_mut()
        .insert(PageBranding::of(&checked.pool_id, branding));
    Ok(checked)
}

/// What a form page shows of its client's branding (docs/oauth2.md, "Branding"): the checked
/// CSS, inlined and allowed by its hash in the page's policy, and the logo's path.
#[derive(Clone, Default)]
struct PageBranding {
    css: Option<String>,
    logo_url: Option<String>,
}

impl PageBranding {
    fn of(pool: &UserPoolId, branding: HostedBranding) -> Self {
        Self {
            logo_url: branding
                .logo
                .map(|(key, version)| format!("/{pool}/hosted/logo/{key}?v={version}")),
            css: branding.css,
        }
    }

    /// The policy with the inline stylesheet allowed, by the hash of exactly its text.
    fn allow_in(&self, policy: String) -> String {
        match &self.css {
            Some(css) => {
                let hash = STANDARD.encode(Sha256::digest(css.as_bytes()));
                policy.replace(
                    "style-src 'self'",
                    &format!("style-src 'self' 'sha256-{hash}'"),
                )
            }
            None => policy,
        }
    }
}

/// `GET /{pool_id}/hosted/logo/{client_key}`: a logo set by `SetUICustomization`.
async fn logo(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    services: web::Data<Services>,
) -> HttpResponse {
    let site = match Site::of(&request) {
        Ok(site) => site,
        Err(page) => return page,
    };
    let (_, client_key) = path.into_inner();
    let Some(pool) = site.pool.as_ref() else {
        return site.error_page(StatusCode::NOT_FOUND, "No such user pool.");
    };
    match services.branding_logo(pool, &client_key).await {
        Ok(Some((bytes, kind))) => HttpResponse::Ok()
            .content_type(kind.media_type())
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=300"),
            ))
            .insert_header((
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            // An image opened on its own runs nothing.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ))
            .body(bytes),
        Ok(None) => site.error_page(StatusCode::NOT_FOUND, "No such logo."),
        Err(error) => site.failure_page(error),
    }
}

fn cookie_value(request: &HttpRequest, name: &str) -> Option<SecretString> {
    request
        .cookie(name)
        .map(|c| secret(c.value().to_owned()))
        .filter(|v| !v.expose_secret().is_empty())
}

/// The browser's pre-session value, and whether it is new (then the page sets the cookie).
fn pre_session(
    request: &HttpRequest,
    services: &Services,
) -> Result<(SecretString, bool), AuthError> {
    match cookie_value(request, PRE_SESSION_COOKIE) {
        Some(value) => Ok((value, false)),
        None => Ok((services.new_pre_session()?, true)),
    }
}

/// A page with a form: the CSRF token in the context, the pre-session cookie set if new.
fn form_page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    template: &str,
    form: &str,
    context: minijinja::Value,
) -> HttpResponse {
    let (pre, fresh) = match pre_session(request, services) {
        Ok(pre) => pre,
        Err(error) => return site.failure_page(error),
    };
    let csrf = match services.csrf_token(form, &pre) {
        Ok(token) => token,
        Err(error) => return site.failure_page(error),
    };
    let branding = request
        .extensions()
        .get::<PageBranding>()
        .cloned()
        .unwrap_or_default();
    let mut response = site.render(
        status,
        template,
        minijinja::context! {
            csrf => csrf,
            branding_css => branding.css,
            logo_url => branding.logo_url,
            ..context
        },
    );
    // Every form page is rendered after the authorization request in its query string was
    // checked (the pages keep no state), so its redirect_uri is one the client registered.
    let redirect_uri = authorization_request::parse_query(request.query_string())
        .ok()
        .and_then(|parameters| parameters.get("redirect_uri").cloned());
    let policy = branding.allow_in(form_page_policy(redirect_uri.as_deref()));
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    if fresh {
        let cookie = site.cookie(PRE_SESSION_COOKIE, pre.expose_secret().to_owned());
        if let Err(error) = response.add_cookie(&cookie) {
            tracing::error!(%error, "pre-session cookie not set");
        }
    }
    response
}

/// A posted form's fields, after its CSRF token is checked against the pre-session cookie:
/// a form posted from elsewhere, or without the cookie, is refused with 403.
fn checked_form(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    form: &str,
    body: &[u8],
) -> Result<BTreeMap<String, String>, HttpResponse> {
    if body.len() > MAX_FORM_BYTES {
        return Err(site.error_page(StatusCode::PAYLOAD_TOO_LARGE, "The form is too large."));
    }
    let fields: BTreeMap<String, String> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let forbidden = || {
        site.error_page(
            StatusCode::FORBIDDEN,
            "This form has expired or was not sent from this site. Go back, reload the page \
             and try again.",
        )
    };
    let pre = cookie_value(request, PRE_SESSION_COOKIE).ok_or_else(forbidden)?;
    let presented = fields.get("_csrf").ok_or_else(forbidden)?;
    match services.csrf_token_matches(form, &pre, presented) {
        Ok(true) => Ok(fields),
        Ok(false) => Err(forbidden()),
        Err(error) => Err(site.failure_page(error)),
    }
}

/// A form posted to one of the sign-in pages: where it came in, the authorization request
/// of its query string (checked again: the pages keep no state) and its fields, once the
/// CSRF token is checked; or the page that answers instead.
async fn posted_form(
    request: &HttpRequest,
    services: &Services,
    form: &str,
    body: &[u8],
) -> Result<(Site, AuthorizationRequest, BTreeMap<String, String>), HttpResponse> {
    let site = Site::of(request)?;
    let authorization = authorization(&site, request, services).await?;
    let fields = checked_form(&site, request, services, form, body)?;
    Ok((site, authorization, fields))
}

/// The message a refused sign-in shows on the form. An unknown user and a wrong password
/// read the same, whatever the client's existence-error setting: the form is public.
fn sign_in_message(error: AuthError) -> Result<(StatusCode, String), AuthError> {
    match error {
        AuthError::UserNotFound | AuthError::NotAuthorized(NotAuthorized::IncorrectCredentials) => {
            Ok((
                StatusCode::UNAUTHORIZED,
                NotAuthorized::IncorrectCredentials.message().to_owned(),
            ))
        }
        error => form_message(error),
    }
}

/// The status and message a refused form shows: the use case's own message, as the API
/// gives it (server faults are not shown: the caller answers with the failure page).
fn form_message(error: AuthError) -> Result<(StatusCode, String), AuthError> {
    if error.is_server_fault() {
        return Err(error);
    }
    let mapped = ApiError::from_auth(error, Surface::Plain);
    let text = mapped.to_string();
    let message = text.split_once(": ").map_or(text.as_str(), |(_, m)| m);
    Ok((mapped.status(), message.to_owned()))
}

/// A refused form shown again with `show`, or the failure page for a server fault.
fn refused_form(
    site: &Site,
    error: AuthError,
    show: impl FnOnce(StatusCode, &str) -> HttpResponse,
) -> HttpResponse {
    match form_message(error) {
        Ok((status, message)) => show(status, &message),
        Err(error) => site.failure_page(error),
    }
}

/// The links under a form to the other pages, each with the authorization request's query
/// (so the flow continues to the application from any of them).
fn page_links(site: &Site, request: &HttpRequest) -> minijinja::Value {
    minijinja::context! {
        login_url => site.action("/login", request),
        sign_up_url => site.action("/signup", request),
        forgot_url => site.action("/forgotPassword", request),
    }
}

/// After a completed sign-in: the hosted-session cookie, a code, and the redirect.
async fn signed_in(
    site: &Site,
    services: &Services,
    request: &AuthorizationRequest,
    tokens: crate::auth::issue::IssuedTokens,
) -> HttpResponse {
    let (cookie, user) = match services.start_hosted_session(&tokens).await {
        Ok(started) => started,
        Err(error) => return site.failure_page(error),
    };
    let location = match services.issue_authorization_code(request, &user).await {
        Ok(location) => location,
        Err(error) => return site.failure_page(error),
    };
    let mut response = redirect(&location);
    let cookie = site.cookie(SESSION_COOKIE, cookie.expose_secret().to_owned());
    if let Err(error) = response.add_cookie(&cookie) {
        tracing::error!(%error, "session cookie not set");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pages_may_post_on_to_the_redirect_uri_and_nowhere_else() {
        let policy = form_page_policy(Some("https://app.example:8443/callback?x=1"));
        assert!(
            policy.contains("form-action 'self' https://app.example:8443;"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        let policy = form_page_policy(Some("myapp://callback"));
        assert!(policy.contains("form-action 'self' myapp:;"), "{policy}");
        let policy = form_page_policy(Some("http://localhost:3000/cb; script-src *"));
        assert!(!policy.contains("script-src"), "{policy}");
        assert_eq!(form_page_policy(None), CONTENT_SECURITY_POLICY);
        assert_eq!(form_page_policy(Some("not a url")), CONTENT_SECURITY_POLICY);
    }

    #[test]
    fn branded_pages_allow_their_own_inline_css_by_hash_and_nothing_else() {
        let branding = PageBranding {
            css: Some(".banner-customizable{padding:0;}".into()),
            logo_url: None,
        };
        let policy = branding.allow_in(CONTENT_SECURITY_POLICY.to_owned());
        let hash = STANDARD.encode(Sha256::digest(b".banner-customizable{padding:0;}"));
        assert!(
            policy.contains(&format!("style-src 'self' 'sha256-{hash}';")),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"));
        assert_eq!(
            PageBranding::default().allow_in(CONTENT_SECURITY_POLICY.to_owned()),
            CONTENT_SECURITY_POLICY
        );
    }

    #[test]
    fn every_template_parses_and_escapes_html() {
        for name in [
            "base.html",
            "login.html",
            "new_password.html",
            "mfa.html",
            "mfa_setup.html",
            "select_mfa.html",
            "error.html",
            "signed_out.html",
            "sign_up.html",
            "confirm_user.html",
            "forgot_password.html",
            "confirm_forgot_password.html",
        ] {
            assert!(TEMPLATES.get_template(name).is_ok(), "{name}");
        }
        let html = TEMPLATES
            .get_template("error.html")
            .unwrap()
            .render(minijinja::context! { title => "t", stylesheet => "/s", message => "<script>" })
            .unwrap();
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<html lang=\"en\">"));
    }
}
