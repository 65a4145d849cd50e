//! The one error type of the OAuth 2.0 endpoints: RFC 6749's JSON body
//! `{"error", "error_description"}` with the statuses Cognito's token endpoint answers
//! (docs/oauth2.md, "Errors"). Use-case errors are sorted here, once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::{AuthError, NotAuthorized};
use crate::domain::error_chain::ErrorChain;

/// RFC 6749 section 5.2's error codes, RFC 7009's `unsupported_token_type`, and the two
/// server-side answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    UnsupportedTokenType,
    TooManyRequests,
    TemporarilyUnavailable,
    ServerError,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::TooManyRequests => "too_many_requests",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InvalidRequest
            | Self::InvalidGrant
            | Self::UnauthorizedClient
            | Self::UnsupportedGrantType
            | Self::InvalidScope
            | Self::UnsupportedTokenType => StatusCode::BAD_REQUEST,
        }
    }
}

/// An OAuth error on its way to the client.
#[derive(Debug)]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
    /// The client tried HTTP Basic authentication: an `invalid_client` answer carries a
    /// `WWW-Authenticate: Basic` challenge (RFC 6749 section 5.2).
    basic_challenge: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            basic_challenge: false,
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(OAuthErrorCode::InvalidClient, description)
    }

    pub fn with_basic_challenge(mut self, basic: bool) -> Self {
        self.basic_challenge = basic;
        self
    }

    /// A use case's refusal at a grant or the revocation endpoint. A refused token is
    /// `invalid_grant`; a switched-off operation `unauthorized_client`; server faults are
    /// logged here and answered without their cause.
    pub fn from_auth(error: AuthError) -> Self {
        use OAuthErrorCode as C;
        let code = match &error {
            AuthError::NotAuthorized(NotAuthorized::Other(_)) | AuthError::Unauthorized(_) => {
                C::InvalidClient
            }
            AuthError::UnsupportedTokenType => C::UnsupportedTokenType,
            AuthError::NotAuthorized(_)
            | AuthError::RefreshTokenReuse
            | AuthError::PasswordResetRequired
            | AuthError::UserNotConfirmed
            | AuthError::UserNotFound
            | AuthError::CodeMismatch
            | AuthError::ExpiredCode
            // The pool's PreTokenGeneration function refused the tokens.
            | AuthError::UserLambdaValidation(_) => C::InvalidGrant,
            // The function failed to answer: the server's fault as far as the client sees.
            AuthError::UnexpectedLambda(_) | AuthError::InvalidLambdaResponse(_) => C::ServerError,
            AuthError::UnsupportedOperation(_) | AuthError::InvalidOAuthFlow(_) => {
                C::UnauthorizedClient
            }
            AuthError::ScopeDoesNotExist(_) => C::InvalidScope,
            AuthError::TooManyRequests | AuthError::LimitExceeded => C::TooManyRequests,
            AuthError::Unavailable(_) => {
                tracing::error!(cause = %ErrorChain(&error), "database unavailable");
                return Self::new(
                    C::TemporarilyUnavailable,
                    "Service unavailable, try again shortly",
                );
            }
            AuthError::Internal(_) => {
                tracing::error!(cause = %ErrorChain(&error), "internal error");
                return Self::new(C::ServerError, "Internal error");
            }
            AuthError::InvalidParameter(_)
            | AuthError::InvalidPassword(_)
            | AuthError::ResourceNotFound(_)
            | AuthError::UsernameExists
            | AuthError::UsernameAttributeExists(_)
            | AuthError::AliasExists(_)
            | AuthError::UnsupportedUserState(_)
            | AuthError::GroupExists
            | AuthError::MfaCodeMismatch
            | AuthError::EnableSoftwareTokenMfa
            | AuthError::SoftwareTokenMfaNotFound
            | AuthError::AlreadyExists(_) => C::InvalidRequest,
        };
        Self::new(code, error.to_string())
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&Body {
            error: self.code.as_str(),
            error_description: &self.description,
        })
        .unwrap_or_else(|_| r#"{"error":"server_error"}"#.to_owned());
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CONTENT_TYPE, "application/json;charset=UTF-8"))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
        if self.code == OAuthErrorCode::InvalidClient && self.basic_challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oauth2\", charset=\"UTF-8\""),
            ));
        }
        if matches!(
            self.code,
            OAuthErrorCode::TooManyRequests | OAuthErrorCode::TemporarilyUnavailable
        ) {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.body(body)
    }
}
