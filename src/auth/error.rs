//! The one error vocabulary of the use cases, and what each error counts as.
//!
//! Every use case, the user's and the administrator's, fails with an [`AuthError`]: a
//! refusal in Cognito's words, or a server fault that keeps its cause. Each error is sorted
//! exactly once per consumer: here for the audit log ([`AuthError::audit`]) and the metrics
//! ([`AuthError::metric`]), and in `http/error.rs` for the Cognito exception and the HTTP
//! status. Every one of those matches names each variant, so a new exception does not
//! compile until it has its line in each (docs/architecture.md, "Adding an error").

use crate::crypto::password::HashError;
use crate::domain::attribute_access::WriteRefused;
use crate::domain::telemetry::Failure;
use crate::store::StoreError;
use crate::triggers::TriggerError;

use super::audit::Outcome;

/// What stopped a server-side operation, kept whole (with its own sources) so the log can
/// say everything and the client nothing.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a sign-in was refused, in the words Cognito uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAuthorized {
    /// Wrong password, unknown user and unknown pool alike.
    IncorrectCredentials,
    UserDisabled,
    AttemptsExceeded,
    InvalidSession,
    TemporaryPasswordExpired,
    /// Unknown, expired, revoked or foreign refresh token.
    InvalidRefreshToken,
    /// Malformed, forged, expired or foreign access token.
    InvalidAccessToken,
    /// A well-formed access token whose session or user was signed out since.
    AccessTokenRevoked,
    /// Any other refusal, with Cognito's message (client secrets, confirmation state).
    Other(String),
}

impl NotAuthorized {
    pub fn message(&self) -> &str {
        match self {
            Self::IncorrectCredentials => "Incorrect username or password.",
            Self::UserDisabled => "User is disabled.",
            Self::AttemptsExceeded => "Password attempts exceeded",
            Self::InvalidSession => "Invalid session for the user.",
            Self::TemporaryPasswordExpired => {
                "Temporary password has expired and must be reset by an administrator."
            }
            Self::InvalidRefreshToken => "Invalid Refresh Token",
            Self::InvalidAccessToken => "Invalid Access Token",
            Self::AccessTokenRevoked => "Access Token has been revoked",
            Self::Other(message) => message,
        }
    }

    /// The audit reason, in the words audit consumers filter on.
    fn audit_reason(&self) -> &'static str {
        match self {
            Self::IncorrectCredentials => "incorrect_credentials",
            Self::UserDisabled => "user_disabled",
            Self::AttemptsExceeded => "locked_out",
            Self::InvalidSession => "invalid_session",
            Self::TemporaryPasswordExpired => "temporary_password_expired",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::InvalidAccessToken => "invalid_access_token",
            Self::AccessTokenRevoked => "access_token_revoked",
            Self::Other(_) => "not_authorized",
        }
    }

    /// How the refusal counts in the metrics.
    fn metric(&self) -> Failure {
        match self {
            Self::IncorrectCredentials => Failure::IncorrectCredentials,
            Self::AttemptsExceeded => Failure::LockedOut,
            Self::UserDisabled
            | Self::InvalidSession
            | Self::TemporaryPasswordExpired
            | Self::InvalidRefreshToken
            | Self::InvalidAccessToken
            | Self::AccessTokenRevoked
            | Self::Other(_) => Failure::Refused,
        }
    }
}

/// A use case's failure. The message (`Display`) of a refusal is the one Cognito sends; a
/// server fault's message is a bare label, its cause behind it as `source()`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{}", .0.message())]
    NotAuthorized(NotAuthorized),
    #[error("Password reset required for the user")]
    PasswordResetRequired,
    /// A consumed refresh token came back after the grace window: its session is revoked.
    #[error("Refresh token has been reused; the session has been revoked")]
    RefreshTokenReuse,
    #[error("User is not confirmed.")]
    UserNotConfirmed,
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("User already exists")]
    UsernameExists,
    /// Cognito's `UsernameExistsException` in a pool whose users are created under an
    /// e-mail address or phone number (the attribute's name).
    #[error("An account with the given {0} already exists.")]
    UsernameAttributeExists(String),
    /// The e-mail address, phone number or preferred username is another user's sign-in
    /// alias (the attribute's name).
    #[error("An account with the {0} already exists.")]
    AliasExists(String),
    #[error("User does not exist.")]
    UserNotFound,
    /// The user's status forbids the operation (`RESEND` to a user who is not invited).
    #[error("{0}")]
    UnsupportedUserState(String),
    #[error("A group with the name already exists.")]
    GroupExists,
    #[error("Invalid verification code provided, please try again.")]
    CodeMismatch,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    /// A wrong (or already used) TOTP code answering a sign-in challenge.
    #[error("Invalid code received for user")]
    MfaCodeMismatch,
    /// VerifySoftwareToken with a code the new secret does not produce.
    #[error("Code mismatch")]
    EnableSoftwareTokenMfa,
    /// VerifySoftwareToken with no AssociateSoftwareToken before it.
    #[error("Software Token MFA has not been set up")]
    SoftwareTokenMfaNotFound,
    #[error("Attempt limit exceeded, please try after some time.")]
    LimitExceeded,
    #[error("{0}")]
    AlreadyExists(String),
    /// An app client's OAuth flows that do not fit together or with its other settings.
    #[error("{0}")]
    InvalidOAuthFlow(String),
    /// An OAuth scope the pool does not have.
    #[error("{0}")]
    ScopeDoesNotExist(String),
    /// The app client has the operation switched off (RevokeToken without token revocation).
    #[error("{0}")]
    UnsupportedOperation(String),
    /// A token of a kind the operation does not take (an ID or access token given to
    /// RevokeToken, which revokes refresh tokens only).
    #[error("Only refresh tokens can be revoked")]
    UnsupportedTokenType,
    /// RevokeToken's client proof (its secret) missing or wrong: Cognito's model declares
    /// `UnauthorizedException` for it rather than `NotAuthorizedException`.
    #[error("{0}")]
    Unauthorized(String),
    #[error("Too many requests")]
    TooManyRequests,
    /// A trigger function refused the operation (it threw): Cognito's message.
    #[error("{0}")]
    UserLambdaValidation(String),
    /// A trigger function could not be invoked or did not answer in time.
    #[error("{0}")]
    UnexpectedLambda(String),
    /// A trigger function answered what its source's response cannot be read from.
    #[error("{0}")]
    InvalidLambdaResponse(String),
    /// The database is unreachable: fail closed, tell the client to retry.
    #[error("service unavailable")]
    Unavailable(#[source] StoreError),
    /// A bug, a corrupt row, a failing dependency: logged with its cause, answered opaquely.
    #[error("internal error")]
    Internal(#[source] Cause),
}

impl AuthError {
    /// A server fault caused by `cause` (an error, or a message saying what went wrong).
    pub fn internal(cause: impl Into<Cause>) -> Self {
        Self::Internal(cause.into())
    }

    /// The database out of reach, for tests of what each error maps to.
    #[cfg(test)]
    pub(crate) fn unreachable_database(why: &'static str) -> Self {
        Self::Unavailable(StoreError::Unavailable(why.into()))
    }

    /// For the token operations whose Cognito model declares no `UserNotFoundException`
    /// (`GlobalSignOut`, `AssociateSoftwareToken`), and for the login API, whose contract
    /// answers every refused access token with `NotAuthorizedException` (docs/api.md): a
    /// deleted user's token is answered as a revoked one there.
    pub fn user_gone_as_revoked(self) -> Self {
        match self {
            Self::UserNotFound => Self::NotAuthorized(NotAuthorized::AccessTokenRevoked),
            other => other,
        }
    }

    /// Whether the server, not the request, failed: the cause is logged, never shown.
    pub fn is_server_fault(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Internal(_))
    }

    /// The audit outcome and reason (auth/audit.rs): one line per variant.
    pub fn audit(&self) -> (Outcome, &'static str) {
        let failure = |reason| (Outcome::Failure, reason);
        match self {
            Self::InvalidParameter(_) => failure("invalid_parameter"),
            Self::NotAuthorized(reason) => failure(reason.audit_reason()),
            Self::PasswordResetRequired => failure("password_reset_required"),
            Self::RefreshTokenReuse => failure("refresh_token_reuse"),
            Self::UserNotConfirmed => failure("user_not_confirmed"),
            Self::InvalidPassword(_) => failure("password_policy"),
            Self::ResourceNotFound(_) => failure("not_found"),
            Self::UsernameExists => failure("refused"),
            Self::UsernameAttributeExists(_) => failure("refused"),
            Self::AliasExists(_) => failure("alias_exists"),
            Self::UserNotFound => failure("user_not_found"),
            Self::UnsupportedUserState(_) => failure("unsupported_user_state"),
            Self::GroupExists => failure("refused"),
            Self::CodeMismatch => failure("refused"),
            Self::ExpiredCode => failure("refused"),
            Self::MfaCodeMismatch => failure("mfa_code_mismatch"),
            Self::EnableSoftwareTokenMfa => failure("refused"),
            Self::SoftwareTokenMfaNotFound => failure("refused"),
            Self::LimitExceeded => failure("refused"),
            Self::AlreadyExists(_) => failure("refused"),
            Self::InvalidOAuthFlow(_) => failure("invalid_parameter"),
            Self::ScopeDoesNotExist(_) => failure("invalid_parameter"),
            Self::UnsupportedOperation(_) => failure("operation_disabled"),
            Self::UnsupportedTokenType => failure("unsupported_token_type"),
            Self::Unauthorized(_) => failure("client_unauthorized"),
            Self::TooManyRequests => (Outcome::Error, "overloaded"),
            Self::UserLambdaValidation(_) => failure("trigger_refused"),
            Self::UnexpectedLambda(_) => (Outcome::Error, "trigger_unreachable"),
            Self::InvalidLambdaResponse(_) => (Outcome::Error, "trigger_invalid_response"),
            Self::Unavailable(_) => (Outcome::Error, "database_unavailable"),
            Self::Internal(_) => (Outcome::Error, "internal_error"),
        }
    }

    /// How the failure counts in the metrics (domain/telemetry.rs): one line per variant.
    pub fn metric(&self) -> Failure {
        match self {
            Self::InvalidParameter(_) => Failure::Error,
            Self::NotAuthorized(reason) => reason.metric(),
            Self::PasswordResetRequired => Failure::Refused,
            Self::RefreshTokenReuse => Failure::ReuseDetected,
            Self::UserNotConfirmed => Failure::Refused,
            Self::InvalidPassword(_) => Failure::Error,
            Self::ResourceNotFound(_) => Failure::Error,
            Self::UsernameExists => Failure::Error,
            Self::UsernameAttributeExists(_) => Failure::Error,
            Self::AliasExists(_) => Failure::Error,
            // Only a client without existence-error prevention hears it: a wrong guess.
            Self::UserNotFound => Failure::IncorrectCredentials,
            Self::UnsupportedUserState(_) => Failure::Error,
            Self::GroupExists => Failure::Error,
            Self::CodeMismatch => Failure::Error,
            Self::ExpiredCode => Failure::Error,
            // A wrong second factor counts as a wrong guess, like a wrong password.
            Self::MfaCodeMismatch => Failure::IncorrectCredentials,
            Self::EnableSoftwareTokenMfa => Failure::Error,
            Self::SoftwareTokenMfaNotFound => Failure::Error,
            Self::LimitExceeded => Failure::Error,
            Self::AlreadyExists(_) => Failure::Error,
            Self::InvalidOAuthFlow(_) => Failure::Error,
            Self::ScopeDoesNotExist(_) => Failure::Error,
            Self::UnsupportedOperation(_) => Failure::Error,
            Self::UnsupportedTokenType => Failure::Error,
            Self::Unauthorized(_) => Failure::Refused,
            Self::TooManyRequests => Failure::Throttled,
            Self::UserLambdaValidation(_) => Failure::Refused,
            Self::UnexpectedLambda(_) => Failure::Error,
            Self::InvalidLambdaResponse(_) => Failure::Error,
            Self::Unavailable(_) => Failure::Unavailable,
            Self::Internal(_) => Failure::Error,
        }
    }
}

impl From<StoreError> for AuthError {
    fn from(error: StoreError) -> Self {
        if let Some(attribute) = error.alias_taken() {
            return Self::AliasExists(attribute.to_owned());
        }
        match error {
            StoreError::Unavailable(_) | StoreError::Transient(_) => Self::Unavailable(error),
            StoreError::Conflict(_) | StoreError::Internal(_) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<TriggerError> for AuthError {
    fn from(error: TriggerError) -> Self {
        match error {
            TriggerError::Refused(message) => Self::UserLambdaValidation(message),
            TriggerError::Unexpected(message) => Self::UnexpectedLambda(message),
            TriggerError::InvalidResponse(message) => Self::InvalidLambdaResponse(message),
        }
    }
}

impl From<WriteRefused> for AuthError {
    fn from(refused: WriteRefused) -> Self {
        match refused {
            WriteRefused::Schema(message) => Self::InvalidParameter(message),
            refused => Self::NotAuthorized(NotAuthorized::Other(refused.message())),
        }
    }
}

impl From<HashError> for AuthError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Overloaded => Self::TooManyRequests,
            HashError::Internal(_) => Self::Internal(Box::new(error)),
        }
    }
}
