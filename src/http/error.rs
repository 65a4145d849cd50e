//! The one place where errors become HTTP responses.
//!
//! Every error body is Cognito's envelope `{"__type", "message"}` with `x-amzn-ErrorType`.
//! The status depends on which API answered: the login API uses 401 for refused sign-ins,
//! as its origin document says; the Cognito JSON API uses 400 for every client fault, as
//! AWS does. Internal failures are logged once, here, with their whole chain of causes and
//! answered opaquely.
//!
//! Two kinds of error arrive: a use case's [`AuthError`] ([`ApiError::from_auth`], mapped
//! by [`exception`]), and the few refusals the HTTP layer makes on its own before any use
//! case runs ([`Transport`]).

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::auth::{AuthError, NotAuthorized};
use crate::domain::error_chain::ErrorChain;

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

/// The Cognito exception a use-case error is answered with, and its status on the login
/// API and the plain endpoints; the Cognito JSON API turns every client fault but
/// throttling into 400 ([`status_on`]). One line per variant: a new exception is one line
/// here (docs/architecture.md, "Adding an error").
fn exception(error: &AuthError, surface: Surface) -> (&'static str, StatusCode) {
    use StatusCode as S;
    match error {
        AuthError::InvalidParameter(_) => ("InvalidParameterException", S::BAD_REQUEST),
        // docs/api.md (`POST /RespondToAuthChallenge`): a spent or expired challenge session is a bad request, not a sign-in failure.
        AuthError::NotAuthorized(NotAuthorized::InvalidSession) => {
            ("NotAuthorizedException", S::BAD_REQUEST)
        }
        AuthError::NotAuthorized(_) => ("NotAuthorizedException", S::UNAUTHORIZED),
        AuthError::PasswordResetRequired => ("PasswordResetRequiredException", S::UNAUTHORIZED),
        AuthError::RefreshTokenReuse => ("RefreshTokenReuseException", S::UNAUTHORIZED),
        AuthError::UserNotConfirmed => ("UserNotConfirmedException", S::UNAUTHORIZED),
        AuthError::InvalidPassword(_) => ("InvalidPasswordException", S::BAD_REQUEST),
        AuthError::ResourceNotFound(_) => ("ResourceNotFoundException", S::NOT_FOUND),
        AuthError::UsernameExists => ("UsernameExistsException", S::CONFLICT),
        AuthError::UsernameAttributeExists(_) => ("UsernameExistsException", S::CONFLICT),
        AuthError::AliasExists(_) => ("AliasExistsException", S::CONFLICT),
        AuthError::UserNotFound => ("UserNotFoundException", S::NOT_FOUND),
        AuthError::UnsupportedUserState(_) => ("UnsupportedUserStateException", S::BAD_REQUEST),
        AuthError::GroupExists => ("GroupExistsException", S::BAD_REQUEST),
        AuthError::CodeMismatch => ("CodeMismatchException", S::BAD_REQUEST),
        AuthError::ExpiredCode => ("ExpiredCodeException", S::BAD_REQUEST),
        AuthError::MfaCodeMismatch => ("CodeMismatchException", S::BAD_REQUEST),
        AuthError::EnableSoftwareTokenMfa => ("EnableSoftwareTokenMFAException", S::BAD_REQUEST),
        AuthError::SoftwareTokenMfaNotFound => {
            ("SoftwareTokenMFANotFoundException", S::BAD_REQUEST)
        }
        AuthError::LimitExceeded => ("LimitExceededException", S::BAD_REQUEST),
        AuthError::AlreadyExists(_) => ("ResourceExistsException", S::CONFLICT),
        AuthError::InvalidOAuthFlow(_) => ("InvalidOAuthFlowException", S::BAD_REQUEST),
        AuthError::ScopeDoesNotExist(_) => ("ScopeDoesNotExistException", S::BAD_REQUEST),
        AuthError::UnsupportedOperation(_) => ("UnsupportedOperationException", S::BAD_REQUEST),
        AuthError::UnsupportedTokenType => ("UnsupportedTokenTypeException", S::BAD_REQUEST),
        AuthError::Unauthorized(_) => ("UnauthorizedException", S::UNAUTHORIZED),
        AuthError::TooManyRequests => ("TooManyRequestsException", S::TOO_MANY_REQUESTS),
        AuthError::UserLambdaValidation(_) => ("UserLambdaValidationException", S::BAD_REQUEST),
        AuthError::UnexpectedLambda(_) => ("UnexpectedLambdaException", S::BAD_REQUEST),
        AuthError::InvalidLambdaResponse(_) => ("InvalidLambdaResponseException", S::BAD_REQUEST),
        // The Cognito model has one server fault, InternalErrorException: SDKs raise it
        // as a known, server-side error and retry on the 503 status. The login API,
        // whose clients are not SDKs, says plainly what happened.
        AuthError::Unavailable(_) if surface == Surface::CognitoJson => {
            ("InternalErrorException", S::SERVICE_UNAVAILABLE)
        }
        AuthError::Unavailable(_) => ("ServiceUnavailableException", S::SERVICE_UNAVAILABLE),
        AuthError::Internal(_) => ("InternalErrorException", S::INTERNAL_SERVER_ERROR),
    }
}

/// A use-case error's status on `surface`: the Cognito JSON API answers every client fault
/// but throttling with 400, as AWS does.
fn status_on(surface: Surface, status: StatusCode) -> StatusCode {
    let client_fault = status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS;
    if surface == Surface::CognitoJson && client_fault {
        StatusCode::BAD_REQUEST
    } else {
        status
    }
}

/// What the HTTP layer refuses by itself, about the request as HTTP rather than what it
/// asks for. Everything a use case decides is an [`AuthError`] instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Neither `application/json` nor `application/x-amz-json-1.1`.
    UnsupportedMediaType,
    /// The request's headers are over the limit (431).
    HeadersTooLarge,
    /// The client did not send its request in time (408).
    RequestTimeout,
    /// An `X-Amz-Target` that names no operation Gatehouse serves.
    UnknownOperation,
    MethodNotAllowed,
    /// A refused admin request (SigV4): the AWS exception name it carries.
    AccessDenied(&'static str),
    /// The per-address rate limit (http/rate_limit.rs).
    RateLimited,
}

impl Transport {
    fn exception(self, surface: Surface) -> (&'static str, StatusCode) {
        use StatusCode as S;
        match self {
            Self::UnsupportedMediaType if surface == Surface::CognitoJson => {
                ("InvalidParameterException", S::BAD_REQUEST)
            }
            Self::UnsupportedMediaType => ("InvalidParameterException", S::UNSUPPORTED_MEDIA_TYPE),
            Self::HeadersTooLarge => (
                "InvalidParameterException",
                S::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ),
            Self::RequestTimeout => ("RequestTimeoutException", S::REQUEST_TIMEOUT),
            Self::UnknownOperation => ("UnknownOperationException", S::BAD_REQUEST),
            Self::MethodNotAllowed => ("MethodNotAllowedException", S::METHOD_NOT_ALLOWED),
            Self::AccessDenied(type_name) => (type_name, S::FORBIDDEN),
            Self::RateLimited => ("TooManyRequestsException", S::TOO_MANY_REQUESTS),
        }
    }
}

/// An error on its way to the client: the exception, the status and the message, decided
/// when it is made.
#[derive(Debug)]
pub struct ApiError {
    type_name: &'static str,
    status: StatusCode,
    pub message: String,
    surface: Surface,
}

#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(rename = "__type")]
    type_: &'a str,
    message: &'a str,
}

const INTERNAL_MESSAGE: &str = "Internal error";
const UNAVAILABLE_MESSAGE: &str = "Service unavailable, try again shortly";

impl ApiError {
    /// A refusal the HTTP layer makes itself.
    pub fn new(refusal: Transport, message: impl Into<String>, surface: Surface) -> Self {
        let (type_name, status) = refusal.exception(surface);
        Self {
            type_name,
            status,
            message: message.into(),
            surface,
        }
    }

    pub fn invalid_parameter(message: impl Into<String>, surface: Surface) -> Self {
        Self::from_auth(AuthError::InvalidParameter(message.into()), surface)
    }

    /// Converts a use-case error. A server fault is logged here, once, with every cause
    /// behind it; the client gets a fixed message.
    pub fn from_auth(error: AuthError, surface: Surface) -> Self {
        let (type_name, status) = exception(&error, surface);
        let message = match &error {
            AuthError::Unavailable(_) => {
                tracing::error!(cause = %ErrorChain(&error), "database unavailable");
                UNAVAILABLE_MESSAGE.to_owned()
            }
            AuthError::Internal(_) => {
                tracing::error!(cause = %ErrorChain(&error), "internal error");
                INTERNAL_MESSAGE.to_owned()
            }
            refusal => refusal.to_string(),
        };
        Self {
            type_name,
            status: status_on(surface, status),
            message,
            surface,
        }
    }

    /// The Cognito exception name.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The HTTP status it is answered with.
    pub fn status(&self) -> StatusCode {
        self.status
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
        self.status
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
        let mut response = HttpResponse::build(self.status);
        response
            .insert_header((header::CONTENT_TYPE, self.content_type()))
            .insert_header(("x-amzn-ErrorType", format!("{type_name}:")))
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if self.status == StatusCode::REQUEST_TIMEOUT {
            // The rest of a slow body may still arrive; it must not be read as a new request.
            response.force_close();
        }
        if matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
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
    use crate::auth::audit::Outcome;
    use crate::domain::telemetry::{Failure, RefreshResult, SignInResult};

    /// One of each error, with every `NotAuthorized` reason. The match names every
    /// variant, so a new one fails to compile until it is in the table below.
    fn one_of_each() -> Vec<AuthError> {
        let all = vec![
            AuthError::InvalidParameter("bad".into()),
            AuthError::NotAuthorized(NotAuthorized::IncorrectCredentials),
            AuthError::NotAuthorized(NotAuthorized::UserDisabled),
            AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded),
            AuthError::NotAuthorized(NotAuthorized::InvalidSession),
            AuthError::NotAuthorized(NotAuthorized::TemporaryPasswordExpired),
            AuthError::NotAuthorized(NotAuthorized::InvalidRefreshToken),
            AuthError::NotAuthorized(NotAuthorized::InvalidAccessToken),
            AuthError::NotAuthorized(NotAuthorized::AccessTokenRevoked),
            AuthError::NotAuthorized(NotAuthorized::Other("no".into())),
            AuthError::PasswordResetRequired,
            AuthError::RefreshTokenReuse,
            AuthError::UserNotConfirmed,
            AuthError::InvalidPassword("short".into()),
            AuthError::ResourceNotFound("gone".into()),
            AuthError::UsernameExists,
            AuthError::UsernameAttributeExists("email".into()),
            AuthError::AliasExists("email".into()),
            AuthError::UserNotFound,
            AuthError::UnsupportedUserState("invited".into()),
            AuthError::GroupExists,
            AuthError::CodeMismatch,
            AuthError::ExpiredCode,
            AuthError::MfaCodeMismatch,
            AuthError::EnableSoftwareTokenMfa,
            AuthError::SoftwareTokenMfaNotFound,
            AuthError::LimitExceeded,
            AuthError::AlreadyExists("taken".into()),
            AuthError::InvalidOAuthFlow("flows".into()),
            AuthError::ScopeDoesNotExist("scope".into()),
            AuthError::UnsupportedOperation("off".into()),
            AuthError::UnsupportedTokenType,
            AuthError::Unauthorized("secret".into()),
            AuthError::TooManyRequests,
            AuthError::UserLambdaValidation("PreSignUp failed with error no.".into()),
            AuthError::UnexpectedLambda(
                "PreSignUp invocation failed due to error TimeoutError.".into(),
            ),
            AuthError::InvalidLambdaResponse("Unrecognizable lambda output".into()),
            AuthError::unreachable_database("connection refused"),
            AuthError::internal("SELECT secret FROM users failed"),
        ];
        for error in &all {
            match error {
                AuthError::InvalidParameter(_)
                | AuthError::NotAuthorized(_)
                | AuthError::PasswordResetRequired
                | AuthError::RefreshTokenReuse
                | AuthError::UserNotConfirmed
                | AuthError::InvalidPassword(_)
                | AuthError::ResourceNotFound(_)
                | AuthError::UsernameExists
                | AuthError::UsernameAttributeExists(_)
                | AuthError::AliasExists(_)
                | AuthError::UserNotFound
                | AuthError::UnsupportedUserState(_)
                | AuthError::GroupExists
                | AuthError::CodeMismatch
                | AuthError::ExpiredCode
                | AuthError::MfaCodeMismatch
                | AuthError::EnableSoftwareTokenMfa
                | AuthError::SoftwareTokenMfaNotFound
                | AuthError::LimitExceeded
                | AuthError::AlreadyExists(_)
                | AuthError::InvalidOAuthFlow(_)
                | AuthError::ScopeDoesNotExist(_)
                | AuthError::UnsupportedOperation(_)
                | AuthError::UnsupportedTokenType
                | AuthError::Unauthorized(_)
                | AuthError::TooManyRequests
                | AuthError::UserLambdaValidation(_)
                | AuthError::UnexpectedLambda(_)
                | AuthError::InvalidLambdaResponse(_)
                | AuthError::Unavailable(_)
                | AuthError::Internal(_) => {}
            }
        }
        all
    }

    /// What each error is, everywhere it is counted: the exception and status on the login
    /// API and on the Cognito API, the audit outcome and reason, the metrics class.
    type Row = (
        (&'static str, u16),
        (&'static str, u16),
        (Outcome, &'static str),
        Failure,
    );

    fn expected(error: &AuthError) -> Row {
        use Failure as M;
        use Outcome::{Error as E, Failure as F};
        let not_authorized = "NotAuthorizedException";
        match error {
            AuthError::InvalidParameter(_) => (
                ("InvalidParameterException", 400),
                ("InvalidParameterException", 400),
                (F, "invalid_parameter"),
                M::Error,
            ),
            AuthError::NotAuthorized(reason) => {
                let (login_status, audit, metric) = match reason {
                    NotAuthorized::IncorrectCredentials => {
                        (401, "incorrect_credentials", M::IncorrectCredentials)
                    }
                    NotAuthorized::UserDisabled => (401, "user_disabled", M::Refused),
                    NotAuthorized::AttemptsExceeded => (401, "locked_out", M::LockedOut),
                    NotAuthorized::InvalidSession => (400, "invalid_session", M::Refused),
                    NotAuthorized::TemporaryPasswordExpired => {
                        (401, "temporary_password_expired", M::Refused)
                    }
                    NotAuthorized::InvalidRefreshToken => {
                        (401, "invalid_refresh_token", M::Refused)
                    }
                    NotAuthorized::InvalidAccessToken => (401, "invalid_access_token", M::Refused),
                    NotAuthorized::AccessTokenRevoked => (401, "access_token_revoked", M::Refused),
                    NotAuthorized::Other(_) => (401, "not_authorized", M::Refused),
                };
                (
                    (not_authorized, login_status),
                    (not_authorized, 400),
                    (F, audit),
                    metric,
                )
            }
            AuthError::PasswordResetRequired => (
                ("PasswordResetRequiredException", 401),
                ("PasswordResetRequiredException", 400),
                (F, "password_reset_required"),
                M::Refused,
            ),
            AuthError::RefreshTokenReuse => (
                ("RefreshTokenReuseException", 401),
                ("RefreshTokenReuseException", 400),
                (F, "refresh_token_reuse"),
                M::ReuseDetected,
            ),
            AuthError::UserNotConfirmed => (
                ("UserNotConfirmedException", 401),
                ("UserNotConfirmedException", 400),
                (F, "user_not_confirmed"),
                M::Refused,
            ),
            AuthError::InvalidPassword(_) => (
                ("InvalidPasswordException", 400),
                ("InvalidPasswordException", 400),
                (F, "password_policy"),
                M::Error,
            ),
            AuthError::ResourceNotFound(_) => (
                ("ResourceNotFoundException", 404),
                ("ResourceNotFoundException", 400),
                (F, "not_found"),
                M::Error,
            ),
            AuthError::UsernameExists | AuthError::UsernameAttributeExists(_) => (
                ("UsernameExistsException", 409),
                ("UsernameExistsException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::AliasExists(_) => (
                ("AliasExistsException", 409),
                ("AliasExistsException", 400),
                (F, "alias_exists"),
                M::Error,
            ),
            AuthError::UserNotFound => (
                ("UserNotFoundException", 404),
                ("UserNotFoundException", 400),
                (F, "user_not_found"),
                M::IncorrectCredentials,
            ),
            AuthError::GroupExists => (
                ("GroupExistsException", 400),
                ("GroupExistsException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::CodeMismatch => (
                ("CodeMismatchException", 400),
                ("CodeMismatchException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::ExpiredCode => (
                ("ExpiredCodeException", 400),
                ("ExpiredCodeException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::MfaCodeMismatch => (
                ("CodeMismatchException", 400),
                ("CodeMismatchException", 400),
                (F, "mfa_code_mismatch"),
                M::IncorrectCredentials,
            ),
            AuthError::EnableSoftwareTokenMfa => (
                ("EnableSoftwareTokenMFAException", 400),
                ("EnableSoftwareTokenMFAException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::SoftwareTokenMfaNotFound => (
                ("SoftwareTokenMFANotFoundException", 400),
                ("SoftwareTokenMFANotFoundException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::LimitExceeded => (
                ("LimitExceededException", 400),
                ("LimitExceededException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::InvalidOAuthFlow(_) => (
                ("InvalidOAuthFlowException", 400),
                ("InvalidOAuthFlowException", 400),
                (F, "invalid_parameter"),
                M::Error,
            ),
            AuthError::ScopeDoesNotExist(_) => (
                ("ScopeDoesNotExistException", 400),
                ("ScopeDoesNotExistException", 400),
                (F, "invalid_parameter"),
                M::Error,
            ),
            AuthError::AlreadyExists(_) => (
                ("ResourceExistsException", 409),
                ("ResourceExistsException", 400),
                (F, "refused"),
                M::Error,
            ),
            AuthError::UnsupportedUserState(_) => (
                ("UnsupportedUserStateException", 400),
                ("UnsupportedUserStateException", 400),
                (F, "unsupported_user_state"),
                M::Error,
            ),
            AuthError::UnsupportedOperation(_) => (
                ("UnsupportedOperationException", 400),
                ("UnsupportedOperationException", 400),
                (F, "operation_disabled"),
                M::Error,
            ),
            AuthError::UnsupportedTokenType => (
                ("UnsupportedTokenTypeException", 400),
                ("UnsupportedTokenTypeException", 400),
                (F, "unsupported_token_type"),
                M::Error,
            ),
            AuthError::Unauthorized(_) => (
                ("UnauthorizedException", 401),
                ("UnauthorizedException", 400),
                (F, "client_unauthorized"),
                M::Refused,
            ),
            AuthError::TooManyRequests => (
                ("TooManyRequestsException", 429),
                ("TooManyRequestsException", 429),
                (E, "overloaded"),
                M::Throttled,
            ),
            AuthError::UserLambdaValidation(_) => (
                ("UserLambdaValidationException", 400),
                ("UserLambdaValidationException", 400),
                (F, "trigger_refused"),
                M::Refused,
            ),
            AuthError::UnexpectedLambda(_) => (
                ("UnexpectedLambdaException", 400),
                ("UnexpectedLambdaException", 400),
                (E, "trigger_unreachable"),
                M::Error,
            ),
            AuthError::InvalidLambdaResponse(_) => (
                ("InvalidLambdaResponseException", 400),
                ("InvalidLambdaResponseException", 400),
                (E, "trigger_invalid_response"),
                M::Error,
            ),
            AuthError::Unavailable(_) => (
                ("ServiceUnavailableException", 503),
                ("InternalErrorException", 503),
                (E, "database_unavailable"),
                M::Unavailable,
            ),
            AuthError::Internal(_) => (
                ("InternalErrorException", 500),
                ("InternalErrorException", 500),
                (E, "internal_error"),
                M::Error,
            ),
        }
    }

    #[test]
    fn every_error_maps_to_its_exception_status_audit_outcome_and_metric() {
        // Errors are not Clone (their causes are not): a fresh set per surface.
        let answered = |surface| -> Vec<(&'static str, u16)> {
            one_of_each()
                .into_iter()
                .map(|error| {
                    let api = ApiError::from_auth(error, surface);
                    (api.type_name(), api.status_code().as_u16())
                })
                .collect()
        };
        let login = answered(Surface::LoginApi);
        let plain = answered(Surface::Plain);
        let cognito = answered(Surface::CognitoJson);
        for (i, error) in one_of_each().iter().enumerate() {
            let (on_login, on_cognito, audit, metric) = expected(error);
            assert_eq!(login[i], on_login, "{error:?} on the login API");
            assert_eq!(plain[i], on_login, "{error:?} on plain endpoints");
            assert_eq!(cognito[i], on_cognito, "{error:?} on the Cognito API");
            assert_eq!(error.audit(), audit, "{error:?} in the audit log");
            assert_eq!(error.metric(), metric, "{error:?} in the metrics");
        }
    }

    #[test]
    fn each_flow_counts_a_metric_class_in_its_own_words() {
        let cases = [
            (
                Failure::IncorrectCredentials,
                SignInResult::IncorrectCredentials,
                RefreshResult::Invalid,
            ),
            (
                Failure::LockedOut,
                SignInResult::LockedOut,
                RefreshResult::Invalid,
            ),
            (
                Failure::Refused,
                SignInResult::Refused,
                RefreshResult::Invalid,
            ),
            (
                Failure::ReuseDetected,
                SignInResult::Error,
                RefreshResult::ReuseDetected,
            ),
            (
                Failure::Throttled,
                SignInResult::Throttled,
                RefreshResult::Error,
            ),
            (
                Failure::Unavailable,
                SignInResult::Unavailable,
                RefreshResult::Unavailable,
            ),
            (Failure::Error, SignInResult::Error, RefreshResult::Error),
        ];
        for (failure, sign_in, refresh) in cases {
            assert_eq!(SignInResult::from(failure), sign_in, "{failure:?}");
            assert_eq!(RefreshResult::from(failure), refresh, "{failure:?}");
        }
    }

    #[test]
    fn refusals_carry_their_message_and_transport_errors_their_status() {
        let error = ApiError::from_auth(
            AuthError::NotAuthorized(NotAuthorized::UserDisabled),
            Surface::LoginApi,
        );
        assert_eq!(error.type_name(), "NotAuthorizedException");
        assert_eq!(error.message, "User is disabled.");
        for (refusal, login, cognito) in [
            (
                Transport::UnsupportedMediaType,
                ("InvalidParameterException", 415),
                ("InvalidParameterException", 400),
            ),
            (
                Transport::HeadersTooLarge,
                ("InvalidParameterException", 431),
                ("InvalidParameterException", 431),
            ),
            (
                Transport::RequestTimeout,
                ("RequestTimeoutException", 408),
                ("RequestTimeoutException", 408),
            ),
            (
                Transport::UnknownOperation,
                ("UnknownOperationException", 400),
                ("UnknownOperationException", 400),
            ),
            (
                Transport::MethodNotAllowed,
                ("MethodNotAllowedException", 405),
                ("MethodNotAllowedException", 405),
            ),
            (
                Transport::AccessDenied("InvalidSignatureException"),
                ("InvalidSignatureException", 403),
                ("InvalidSignatureException", 403),
            ),
            (
                Transport::RateLimited,
                ("TooManyRequestsException", 429),
                ("TooManyRequestsException", 429),
            ),
        ] {
            for (surface, (type_name, status)) in
                [(Surface::LoginApi, login), (Surface::CognitoJson, cognito)]
            {
                let error = ApiError::new(refusal, "why", surface);
                assert_eq!(error.type_name(), type_name, "{refusal:?} on {surface:?}");
                assert_eq!(
                    error.status_code().as_u16(),
                    status,
                    "{refusal:?} on {surface:?}"
                );
                assert_eq!(error.message, "why");
            }
        }
    }

    #[actix_web::test]
    async fn internal_errors_never_echo_their_cause() {
        let error = ApiError::from_auth(
            AuthError::internal("SELECT secret FROM users failed"),
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
    fn an_unreachable_database_is_a_503_in_each_apis_words() {
        for (surface, type_name) in [
            (Surface::LoginApi, "ServiceUnavailableException"),
            (Surface::CognitoJson, "InternalErrorException"),
        ] {
            let error = ApiError::from_auth(AuthError::unreachable_database("refused"), surface);
            assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(error.type_name(), type_name);
            let response = error.error_response();
            assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
            assert!(!error.message.contains("refused"));
        }
    }
}
