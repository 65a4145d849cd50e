//! The authenticator set-up page: in a pool where MFA is `ON`, a user with no second factor
//! meets `MFA_SETUP` after the password. The page associates a new authenticator app (the
//! use case behind `AssociateSoftwareToken`), shows its key as text and as a QR code (a PNG
//! in a `data:` URI, allowed by this page's policy alone), takes the app's first code
//! (`VerifySoftwareToken`'s use case) and answers `MFA_SETUP`, so the sign-in ends at the
//! application with a code as any other (docs/oauth2.md, "Hosted pages").

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::login::continue_sign_in;
use super::{Site, form_page, posted_form, sign_in_message};
use crate::auth::mfa_challenge::{MFA_SETUP, MfaAnswer, MfaChallenge, SOFTWARE_TOKEN_MFA};
use crate::auth::sign_in::{SignInOutcome, SignInTarget};
use crate::auth::software_token::{MAX_DEVICE_NAME_CHARS, TokenCaller};
use crate::auth::{AuthError, Services};
use crate::domain::authorization_request::AuthorizationRequest;
use crate::domain::secret::{ExposeSecret, secret};
use crate::domain::totp_uri::{otpauth_uri, qr_png};
use crate::domain::username::Username;

const FORM: &str = "mfa_setup";

/// What the page shows: the sign-in's session, the user, and the app's key.
struct Enrolment<'a> {
    session: &'a str,
    username: &'a str,
    secret_code: &'a str,
    /// The authenticator app's label for the account: the pool's name.
    issuer: &'a str,
}

/// Starts the set-up for a sign-in halted at `MFA_SETUP`: a new key, and the page.
pub(super) async fn start(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    authorization: &AuthorizationRequest,
    challenge: MfaChallenge,
) -> HttpResponse {
    // Only an authenticator app can be set up here; a pool that offers only e-mail or SMS
    // codes needs the address or number verified first, which these pages do not do.
    if !challenge.factors.contains(&SOFTWARE_TOKEN_MFA) {
        return site.error_page(
            StatusCode::FORBIDDEN,
            "This account must set up a second factor before signing in, and this pool \
             offers none that these pages can set up. Use your application's own sign-in.",
        );
    }
    let association = match services
        .associate_software_token(TokenCaller::Session(challenge.session))
        .await
    {
        Ok(association) => association,
        Err(error) => return refused(site, error),
    };
    let Some(session) = association.session else {
        return site.failure_page(AuthError::internal(
            "an association by session returned no session",
        ));
    };
    let issuer = match issuer(services, authorization).await {
        Ok(issuer) => issuer,
        Err(error) => return site.failure_page(error),
    };
    page(
        site,
        request,
        services,
        StatusCode::OK,
        &Enrolment {
            session: session.expose_secret(),
            username: &challenge.username,
            secret_code: association.secret_code.expose_secret(),
            issuer: &issuer,
        },
        None,
    )
}

async fn issuer(
    services: &Services,
    authorization: &AuthorizationRequest,
) -> Result<String, AuthError> {
    Ok(services
        .pool_by_id(&authorization.pool_id)
        .await?
        .map_or_else(|| authorization.pool_id.to_string(), |pool| pool.name))
}

fn page(
    site: &Site,
    request: &HttpRequest,
    services: &Services,
    status: StatusCode,
    enrolment: &Enrolment<'_>,
    error: Option<&str>,
) -> HttpResponse {
    let uri = otpauth_uri(enrolment.issuer, enrolment.username, enrolment.secret_code);
    let qr = match qr_png(&uri) {
        Ok(png) => Some(format!("data:image/png;base64,{}", STANDARD.encode(png))),
        Err(error) => {
            // The key is on the page as text too; the page works without its picture.
            tracing::warn!(%error, "the QR code of an authenticator key was not made");
            None
        }
    };
    let mut response = form_page(
        site,
        request,
        services,
        status,
        "mfa_setup.html",
        FORM,
        minijinja::context! {
            title => "Set up your authenticator app",
            action => site.action("/login/mfaSetup", request),
            session => enrolment.session,
            username => enrolment.username,
            secret_code => enrolment.secret_code,
            issuer => enrolment.issuer,
            qr => qr,
            error => error,
        },
    );
    // The QR code is inline; every other page keeps images to its own origin.
    let policy = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(|policy| policy.replace("img-src 'self'", "img-src 'self' data:"));
    if let Some(Ok(policy)) = policy.map(|p| HeaderValue::from_str(&p)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

pub(super) async fn submit(
    request: HttpRequest,
    services: web::Data<Services>,
    body: web::Bytes,
) -> HttpResponse {
    let (site, authorization, fields) = match posted_form(&request, &services, FORM, &body).await {
        Ok(posted) => posted,
        Err(page) => return page,
    };
    let field = |name: &str| fields.get(name).map_or("", |v| v.trim());
    let (session, typed) = (field("session"), field("username"));
    let device_name = Some(field("device_name"))
        .filter(|name| !name.is_empty())
        .map(|name| name.chars().take(MAX_DEVICE_NAME_CHARS).collect::<String>());
    let verified = services
        .verify_software_token(
            TokenCaller::Session(secret(session)),
            &secret(field("code")),
            device_name.as_deref(),
        )
        .await;
    let next = match verified {
        Ok(verified) => verified.session,
        // A wrong code leaves the set-up open: the same key, another try.
        Err(AuthError::EnableSoftwareTokenMfa) => {
            let issuer = match issuer(&services, &authorization).await {
                Ok(issuer) => issuer,
                Err(error) => return site.failure_page(error),
            };
            return page(
                &site,
                &request,
                &services,
                StatusCode::BAD_REQUEST,
                &Enrolment {
                    session,
                    username: typed,
                    // The key the page showed, shown again: the browser already has it,
                    // and what the app must match is the pending key stored server-side.
                    secret_code: field("secret_code"),
                    issuer: &issuer,
                },
                Some("That code is not right. Enter the code the app shows now."),
            );
        }
        Err(error) => return refused(&site, error),
    };
    let Some(next) = next else {
        return site.failure_page(AuthError::internal(
            "a verification by session returned no session",
        ));
    };
    let answer = MfaAnswer {
        target: SignInTarget::Client(authorization.client_id.clone()),
        challenge_name: MFA_SETUP,
        username: Username::parse(typed).ok(),
        session: next,
        code: None,
        client_metadata: Default::default(),
    };
    match services.answer_mfa_challenge(answer).await {
        Ok(tokens) => {
            continue_sign_in(
                &site,
                &request,
                &services,
                &authorization,
                SignInOutcome::Authenticated(tokens),
            )
            .await
        }
        Err(error) => refused(&site, error),
    }
}

/// A refusal that ends the set-up (an expired session, a disabled user): its page.
fn refused(site: &Site, error: AuthError) -> HttpResponse {
    match sign_in_message(error) {
        Ok((status, message)) => site.error_page(status, &message),
        Err(error) => site.failure_page(error),
    }
}
