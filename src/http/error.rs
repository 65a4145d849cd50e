//! The one place where errors become HTTP responses.
//!
//! Every error body is Cognito's envelope `{"__type", "message"}` with `x-amzn-ErrorType`.
//! The status depends on which API answered: the login API uses 401 for refused sign-ins,
//! as its origin document says; the Cognito JSON API uses 400 for every client fault, as
//! AWS does. Internal failures are logged with their cause and answered opaquely.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::{AuthError, NotAuthorized};

/// Which API an error is answered on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The seed's `POST /Login` family (`application/json`).
    LoginApi,
    /// Discovery, health and other plain JSON endpoints.
    Plain,
    /// The Cognito JSON API (`application/x-amz-json-1.1`): every client fault is a 400, as
    /// AWS answers; SDKs pick the exception from `__type`, not the status.
    CognitoJson,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidParameter,
    UnsupportedMediaType,
    /// The request's headers are over the limit (431).
    HeadersTooLarge,
    /// The client did not send its request in time (408).
    RequestTimeout,
    NotAuthorized(NotAuthorized),
    PasswordResetRequired,
    RefreshTokenReuse,
    UserNotConfirmed,
    InvalidPassword,
    ResourceNotFound,
    UsernameExists,
    AlreadyExists,
    UnsupportedOperation,
    MethodNotAllowed,
    UnknownOperation,
    /// A refused admin request (SigV4): the AWS exception name it carries.
    AccessDenied(&'static str),
    UserNotFound,
    UnsupportedUserState,
    GroupExists,
    CodeMismatch,
    ExpiredCode,
    LimitExceeded,
    TooManyRequests,
    ServiceUnavailable,
    Internal,
}

#[derive(Debug)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub surface: Surface,
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "__type")]
    type_: &'a str,
    message: &'a str,
}

const INTERNAL_MESSAGE: &str = "Internal error";

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, surface: Surface) -> Self {
        Self {
            kind,
            message: message.into(),
            surface,
        }
    }

    pub fn invalid_parameter(message: impl Into<String>, surface: Surface) -> Self {
        Self::new(ErrorKind::InvalidParameter, message, surface)
    }

    /// Converts a use-case error, logging what clients must not see.
    pub fn from_auth(error: AuthError, surface: Surface) -> Self {
        let kind = match &error {
            AuthError::InvalidParameter(_) => ErrorKind::InvalidParameter,
            AuthError::NotAuthorized(reason) => ErrorKind::NotAuthorized(reason.clone()),
            AuthError::PasswordResetRequired => ErrorKind::PasswordResetRequired,
            AuthError::RefreshTokenReuse => ErrorKind::RefreshTokenReuse,
            AuthError::UserNotConfirmed => ErrorKind::UserNotConfirmed,
            AuthError::InvalidPassword(_) => ErrorKind::InvalidPassword,
            AuthError::ResourceNotFound(_) => ErrorKind::ResourceNotFound,
            AuthError::UsernameExists => ErrorKind::UsernameExists,
            AuthError::UserNotFound => ErrorKind::UserNotFound,
            AuthError::UnsupportedUserState(_) => ErrorKind::UnsupportedUserState,
            AuthError::GroupExists => ErrorKind::GroupExists,
            AuthError::CodeMismatch => ErrorKind::CodeMismatch,
            AuthError::ExpiredCode => ErrorKind::ExpiredCode,
            AuthError::LimitExceeded => ErrorKind::LimitExceeded,
            AuthError::AlreadyExists(_) => ErrorKind::AlreadyExists,
            AuthError::UnsupportedOperation(_) => ErrorKind::UnsupportedOperation,
            AuthError::TooManyRequests => ErrorKind::TooManyRequests,
            AuthError::Unavailable(cause) => {
                tracing::error!(%cause, "database unavailable");
                return Self::new(
                    ErrorKind::ServiceUnavailable,
                    "Service unavailable, try again shortly",
                    surface,
                );
            }
            AuthError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                return Self::new(ErrorKind::Internal, INTERNAL_MESSAGE, surface);
            }
        };
        Self::new(kind, error.to_string(), surface)
    }

    /// The Cognito exception name.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            ErrorKind::InvalidParameter
            | ErrorKind::UnsupportedMediaType
            | ErrorKind::HeadersTooLarge => "InvalidParameterException",
            ErrorKind::RequestTimeout => "RequestTimeoutException",
            ErrorKind::NotAuthorized(_) => "NotAuthorizedException",
            ErrorKind::PasswordResetRequired => "PasswordResetRequiredException",
            ErrorKind::RefreshTokenReuse => "RefreshTokenReuseException",
            ErrorKind::UserNotConfirmed => "UserNotConfirmedException",
            ErrorKind::InvalidPassword => "InvalidPasswordException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::UsernameExists => "UsernameExistsException",
            ErrorKind::AlreadyExists => "ResourceExistsException",
            ErrorKind::UnsupportedOperation => "UnsupportedOperationException",
            ErrorKind::MethodNotAllowed => "MethodNotAllowedException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::AccessDenied(type_name) => type_name,
            ErrorKind::UserNotFound => "UserNotFoundException",
            ErrorKind::UnsupportedUserState => "UnsupportedUserStateException",
            ErrorKind::GroupExists => "GroupExistsException",
            ErrorKind::CodeMismatch => "CodeMismatchException",
            ErrorKind::ExpiredCode => "ExpiredCodeException",
            ErrorKind::LimitExceeded => "LimitExceededException",
            ErrorKind::TooManyRequests => "TooManyRequestsException",
            // The Cognito model has one server fault, InternalErrorException: SDKs raise it
            // as a known, server-side error and retry on the 503 status. The login API,
            // whose clients are not SDKs, says plainly what happened.
            ErrorKind::ServiceUnavailable if self.surface == Surface::CognitoJson => {
                "InternalErrorException"
            }
            ErrorKind::ServiceUnavailable => "ServiceUnavailableException",
            ErrorKind::Internal => "InternalErrorException",
        }
    }

    fn content_type(&self) -> &'static str {
        match self.surface {
            Surface::LoginApi | Surface::Plain => "application/json",
            Surface::CognitoJson => "application/x-amz-json-1.1",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.type_name(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        if self.surface == Surface::CognitoJson {
            return match &self.kind {
                ErrorKind::InvalidParameter
                | ErrorKind::UnsupportedMediaType
                | ErrorKind::NotAuthorized(_)
                | ErrorKind::PasswordResetRequired
                | ErrorKind::RefreshTokenReuse
                | ErrorKind::UserNotConfirmed
                | ErrorKind::InvalidPassword
                | ErrorKind::ResourceNotFound
                | ErrorKind::UsernameExists
                | ErrorKind::AlreadyExists
                | ErrorKind::UnsupportedOperation
                | ErrorKind::UnknownOperation
                | ErrorKind::UserNotFound
                | ErrorKind::UnsupportedUserState
                | ErrorKind::GroupExists
                | ErrorKind::CodeMismatch
                | ErrorKind::ExpiredCode
                | ErrorKind::LimitExceeded => StatusCode::BAD_REQUEST,
                ErrorKind::AccessDenied(_) => StatusCode::FORBIDDEN,
                ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
                ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
                ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
                ErrorKind::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
        }
        match &self.kind {
            ErrorKind::InvalidParameter | ErrorKind::InvalidPassword => StatusCode::BAD_REQUEST,
            ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            // docs/api.md (`POST /RespondToAuthChallenge`): a spent or expired challenge session is a bad request, not a sign-in failure.
            ErrorKind::NotAuthorized(NotAuthorized::InvalidSession) => StatusCode::BAD_REQUEST,
            ErrorKind::NotAuthorized(_)
            | ErrorKind::PasswordResetRequired
            | ErrorKind::RefreshTokenReuse
            | ErrorKind::UserNotConfirmed => StatusCode::UNAUTHORIZED,
            ErrorKind::ResourceNotFound => StatusCode::NOT_FOUND,
            ErrorKind::UsernameExists | ErrorKind::AlreadyExists => StatusCode::CONFLICT,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::UnknownOperation
            | ErrorKind::UnsupportedOperation
            | ErrorKind::UnsupportedUserState
            | ErrorKind::GroupExists
            | ErrorKind::CodeMismatch
            | ErrorKind::ExpiredCode
            | ErrorKind::LimitExceeded => StatusCode::BAD_REQUEST,
            ErrorKind::UserNotFound => StatusCode::NOT_FOUND,
            ErrorKind::AccessDenied(_) => StatusCode::FORBIDDEN,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let type_name = self.type_name();
        let body = serde_json::to_string(&Envelope {
            type_: type_name,
            message: &self.message,
        })
        .unwrap_or_else(|_| {
            r#"{"__type":"InternalErrorException","message":"Internal error"}"#.to_owned()
        });
        let mut response = HttpResponse::build(self.status_code());
        response
            .insert_header((header::CONTENT_TYPE, self.content_type()))
            .insert_header(("x-amzn-ErrorType", format!("{type_name}:")))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if self.kind == ErrorKind::RequestTimeout {
            // The rest of a slow body may still arrive; it must not be read as a new request.
            response.force_close();
        }
        if matches!(
            self.kind,
            ErrorKind::TooManyRequests | ErrorKind::ServiceUnavailable
        ) {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.body(body)
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;

    use super::*;

    #[actix_web::test]
    async fn internal_errors_never_echo_their_cause() {
        let error = ApiError::from_auth(
            AuthError::Internal("SELECT secret FROM users failed".into()),
            Surface::LoginApi,
        );
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = to_bytes(error.error_response().into_body()).await.unwrap();
        assert_eq!(
            body,
            r#"{"__type":"InternalErrorException","message":"Internal error"}"#
        );
    }

    #[test]
    fn login_api_statuses_follow_the_contract() {
        let status = |e: AuthError| ApiError::from_auth(e, Surface::LoginApi).status_code();
        assert_eq!(
            status(AuthError::NotAuthorized(
                NotAuthorized::IncorrectCredentials
            )),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(AuthError::NotAuthorized(NotAuthorized::InvalidSession)),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status(AuthError::PasswordResetRequired),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status(AuthError::TooManyRequests),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status(AuthError::InvalidPassword("x".into())),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn an_unreachable_database_is_a_503_in_each_apis_words() {
        for (surface, type_name) in [
            (Surface::LoginApi, "ServiceUnavailableException"),
            (Surface::CognitoJson, "InternalErrorException"),
        ] {
            let error = ApiError::from_auth(AuthError::Unavailable("refused".into()), surface);
            assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(error.type_name(), type_name);
            let response = error.error_response();
            assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
            assert!(!error.message.contains("refused"));
        }
    }

    #[test]
    fn type_names_are_cognitos() {
        let error = ApiError::from_auth(
            AuthError::NotAuthorized(NotAuthorized::UserDisabled),
            Surface::LoginApi,
        );
        assert_eq!(error.type_name(), "NotAuthorizedException");
        assert_eq!(error.message, "User is disabled.");
    }
}
