//! What the use cases report while they work, for whoever counts it (the HTTP layer's
//! Prometheus registry). A trait, so `domain/`, `auth/` and `crypto/` stay free of the
//! metrics library, and the command-line tools can count nothing.

use std::time::Duration;

/// How a password sign-in ended. A fixed set, so metric labels stay bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignInResult {
    /// Tokens issued.
    SignedIn,
    /// The password was right and a challenge (NEW_PASSWORD_REQUIRED) was issued.
    Challenged,
    /// Wrong password, unknown user or unknown pool.
    IncorrectCredentials,
    /// Refused without checking the password: the username is locked out.
    LockedOut,
    /// The password was right but the account may not sign in (disabled, reset required…).
    Refused,
    /// Shed before any work: the hashing queue or the per-address rate limit was full.
    Throttled,
    /// The database could not be reached.
    Unavailable,
    /// Anything else (bad client id, internal error).
    Error,
}

impl SignInResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::Challenged => "challenged",
            Self::IncorrectCredentials => "incorrect_credentials",
            Self::LockedOut => "locked_out",
            Self::Refused => "refused",
            Self::Throttled => "throttled",
            Self::Unavailable => "unavailable",
            Self::Error => "error",
        }
    }
}

/// How a refresh-token exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefreshResult {
    Refreshed,
    /// Unknown, expired, revoked or foreign token, or a concurrent duplicate.
    Invalid,
    /// A consumed token came back: the session was revoked.
    ReuseDetected,
    Unavailable,
    Error,
}

impl RefreshResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refreshed => "refreshed",
            Self::Invalid => "invalid",
            Self::ReuseDetected => "reuse_detected",
            Self::Unavailable => "unavailable",
            Self::Error => "error",
        }
    }
}

/// How a failed request counts in the metrics, whatever the flow. Each error names its
/// class once (`AuthError::metric`); each flow's counter turns the class into its own
/// outcome below, so a new error needs no line here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// Wrong password or unknown user.
    IncorrectCredentials,
    /// Refused before the password was checked: the username is locked out.
    LockedOut,
    /// The caller may not go on: account state, a revoked or unknown token, a client rule.
    Refused,
    /// A consumed refresh token came back.
    ReuseDetected,
    /// Shed before any work.
    Throttled,
    /// The database could not be reached.
    Unavailable,
    /// Bad input, a missing resource or a server fault.
    Error,
}

impl From<Failure> for SignInResult {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::IncorrectCredentials => Self::IncorrectCredentials,
            Failure::LockedOut => Self::LockedOut,
            Failure::Refused => Self::Refused,
            Failure::Throttled => Self::Throttled,
            Failure::Unavailable => Self::Unavailable,
            Failure::ReuseDetected | Failure::Error => Self::Error,
        }
    }
}

impl From<Failure> for RefreshResult {
    fn from(failure: Failure) -> Self {
        match failure {
            // Whatever stopped it, the token was not honoured.
            Failure::IncorrectCredentials | Failure::LockedOut | Failure::Refused => Self::Invalid,
            Failure::ReuseDetected => Self::ReuseDetected,
            Failure::Unavailable => Self::Unavailable,
            Failure::Throttled | Failure::Error => Self::Error,
        }
    }
}

pub trait Telemetry: Send + Sync {
    fn sign_in(&self, result: SignInResult);
    fn refresh(&self, result: RefreshResult);
    /// A failed sign-in locked its username (every lock, including each longer one).
    fn lockout_started(&self);
    /// How long a password hash waited for a hashing worker.
    fn hashing_waited(&self, waited: Duration);
}

/// Counts nothing: for the command-line tools, which serve no metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTelemetry;

impl Telemetry for NoTelemetry {
    fn sign_in(&self, _: SignInResult) {}
    fn refresh(&self, _: RefreshResult) {}
    fn lockout_started(&self) {}
    fn hashing_waited(&self, _: Duration) {}
}
