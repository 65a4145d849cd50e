//! Which pooled connections are checked before a request gets them.
//!
//! sqlx already pings every connection as it goes back into the pool, and closes one that
//! does not answer. Pinging it again when it is taken out (sqlx's `test_before_acquire`)
//! only learns something when the database went away in between; under load that gap is a
//! few milliseconds, and the second ping was one more round trip per statement (a refresh
//! on Postgres made four where it needs two, docs/benchmarks.md, "Refresh at the limit").
//!
//! So a connection is pinged before use only when something can have happened to it: it sat
//! unused longer than [`IDLE_BEFORE_PING`], or a connection of this process failed within
//! the last [`SUSPICIOUS_FOR`] (a restart, a failover or a `pg_terminate_backend` kills them
//! all at once; the first failure has the rest checked). A statement on a connection that
//! died unnoticed fails as one on a connection dying mid-use does, which `retry.rs` already
//! handles (docs/security.md, "Database outages"; docs/operations.md, "Dead connections"):
//! the failure is `Unavailable` (`Transient` inside a transaction, before `COMMIT`); reads,
//! transactions, sign-in and rotation run again on another connection; only a
//! single-statement write that must not happen twice is answered 503, as it would be had the
//! connection died a moment later. Nothing is answered wrongly and nothing is revoked less:
//! every statement still goes to the database.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A connection unused for longer than this is pinged before use. Short enough that a
/// database restart (seconds) always outlasts it.
pub(super) const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

/// After a connection of this process failed, every connection is pinged before use for
/// this long.
pub(super) const SUSPICIOUS_FOR: Duration = Duration::from_secs(10);

/// The process's reference point for [`LAST_FAILURE_MS`].
static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

/// When a connection last failed, in milliseconds after [`STARTED`] plus one; 0 for never.
/// Process-wide: with two stores in one process, a failure in one has the other's
/// connections checked too, which costs pings and nothing else.
static LAST_FAILURE_MS: AtomicU64 = AtomicU64::new(0);

fn now_ms() -> u64 {
    u64::try_from(STARTED.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Records that a connection failed (reset, refused, closed by the server).
pub(super) fn connection_failed() {
    LAST_FAILURE_MS.store(now_ms().saturating_add(1), Ordering::Relaxed);
}

/// Whether a connection idle for `idle_for` is pinged before it is handed out.
pub(super) fn needs_ping(idle_for: Duration) -> bool {
    if idle_for > IDLE_BEFORE_PING {
        return true;
    }
    match LAST_FAILURE_MS.load(Ordering::Relaxed) {
        0 => false,
        failed => now_ms().saturating_add(1).saturating_sub(failed) < suspicious_ms(),
    }
}

fn suspicious_ms() -> u64 {
    u64::try_from(SUSPICIOUS_FOR.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_connection_is_pinged_only_after_a_failure() {
        // One test owns the process-wide mark: tests in this binary run in parallel.
        assert!(needs_ping(IDLE_BEFORE_PING + Duration::from_millis(1)));
        if LAST_FAILURE_MS.load(Ordering::Relaxed) == 0 {
            assert!(!needs_ping(Duration::from_millis(5)));
        }
        connection_failed();
        assert!(needs_ping(Duration::ZERO));
    }
}
