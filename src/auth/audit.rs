//! Audit events: one structured log event per security decision, under the tracing target
//! `gatehouse::audit`, so operators can route them apart from the rest of the log
//! (`GATEHOUSE_LOG=gatehouse::audit=info,warn`, or filter on `target` in the JSON output).
//!
//! Fields: `event`, `pool`, `username`, `outcome` and, where they apply, `reason`, `sub`,
//! `failures`, `client` and `group`. The request id and the client address are not passed in: the HTTP layer
//! serves every request inside a span that carries them (`http/middleware.rs`), and the
//! subscriber prints that span on each line. That keeps the use cases free of HTTP, and an
//! event emitted outside a request (the CLI, housekeeping) simply has no such span.
//!
//! Never recorded: passwords, tokens, hashes, keys, peppers, client secrets, sessions.

use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::user::User;

/// The tracing target of every audit event.
pub const TARGET: &str = "gatehouse::audit";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Refused for a reason the client caused (wrong password, locked, revoked).
    Failure,
    /// Not decided: the database or the server failed.
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Error => "error",
        }
    }
}

/// One audit event. Build it with [`AuditEvent::new`] and the `with_*` methods, then
/// [`AuditEvent::emit`] it.
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    pub event: &'static str,
    pub pool: &'a str,
    pub username: Option<&'a str>,
    pub sub: Option<&'a Sub>,
    pub outcome: Outcome,
    pub reason: Option<&'static str>,
    pub failures: Option<i64>,
    pub client: Option<&'a str>,
    pub group: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    pub fn new(event: &'static str, pool: &'a str, outcome: Outcome) -> Self {
        Self {
            event,
            pool,
            username: None,
            sub: None,
            outcome,
            reason: None,
            failures: None,
            client: None,
            group: None,
        }
    }

    /// An event about a user that succeeded.
    pub fn for_user(event: &'static str, pool: &'a UserPoolId, user: &'a User) -> Self {
        Self::new(event, pool.as_str(), Outcome::Success).with_user(user)
    }

    pub fn with_user(mut self, user: &'a User) -> Self {
        self.username = Some(&user.username);
        self.sub = Some(&user.sub);
        self
    }

    pub fn with_username(mut self, username: &'a str) -> Self {
        self.username = Some(username);
        self
    }

    pub fn with_reason(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn with_client(mut self, client: &'a str) -> Self {
        self.client = Some(client);
        self
    }

    pub fn with_group(mut self, group: &'a str) -> Self {
        self.group = Some(group);
        self
    }

    pub fn with_failures(mut self, failures: i64) -> Self {
        self.failures = Some(failures);
        self
    }

    pub fn emit(&self) {
        let sub = self.sub.map(ToString::to_string);
        // tracing fixes an event's level at the call site, so one call per level.
        macro_rules! emit_at {
            ($level:ident) => {
                tracing::$level!(
                    target: TARGET,
                    event = self.event,
                    pool = self.pool,
                    username = self.username,
                    sub,
                    outcome = self.outcome.as_str(),
                    reason = self.reason,
                    failures = self.failures,
                    client = self.client,
                    group = self.group,
                    "audit: {}",
                    self.event
                )
            };
        }
        match self.outcome {
            Outcome::Success => emit_at!(info),
            Outcome::Failure | Outcome::Error => emit_at!(warn),
        }
    }
}
