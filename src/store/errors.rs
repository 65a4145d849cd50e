//! Database error classification, shared by the queries, the migration runner and the
//! Postgres migration lock: which sqlx failures a caller may retry, which mean the database
//! is out of reach, and which are conflicts or bugs (see `retry.rs` for what each allows).

use super::StoreError;

/// Sorts sqlx errors into what callers can act on. `Transient` means the database is known
/// to hold nothing of the attempt; `Unavailable` means the connection failed and a
/// statement sent on it may or may not have been applied (see `retry.rs`).
pub(super) fn classify(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned());
            }
            let code = db.code().unwrap_or_default();
            // SQLite reports numeric codes whose low byte is the primary code (5 busy, 6
            // locked, also for their extended variants such as 517 busy-snapshot); the
            // statement did not run.
            let sqlite_busy = code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
            // Postgres rolls back a transaction that hit a serialization failure (40001)
            // or was chosen as a deadlock victim (40P01), and asks for a retry.
            if code == "40001" || code == "40P01" || sqlite_busy {
                StoreError::Transient(Box::new(error))
            } else if code.starts_with("08") || code.starts_with("57P") {
                // Postgres: 08xxx connection exceptions, 57P0x shutdown and start-up.
                super::liveness::connection_failed();
                StoreError::Unavailable(Box::new(error))
            } else {
                StoreError::Internal(Box::new(error))
            }
        }
        // No connection could be had: nothing was sent.
        sqlx::Error::PoolTimedOut => StoreError::Transient(Box::new(error)),
        sqlx::Error::PoolClosed => StoreError::Unavailable(Box::new(error)),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => {
            // Its siblings in the pool may be as dead: check them before use for a while.
            super::liveness::connection_failed();
            StoreError::Unavailable(Box::new(error))
        }
        _ => StoreError::Internal(Box::new(error)),
    }
}

/// For failures inside a transaction before COMMIT: whatever the connection did, the
/// transaction did not commit (Postgres rolls back an open transaction whose connection
/// dies), so a lost connection here is as safe to retry as a serialization failure.
pub(super) fn before_commit(error: sqlx::Error) -> StoreError {
    match classify(error) {
        StoreError::Unavailable(cause) => StoreError::Transient(cause),
        other => other,
    }
}
