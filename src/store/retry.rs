//! Running a store operation again after a transient database failure.
//!
//! Postgres asks applications to retry serialization failures (40001) and deadlocks
//! (40P01); a restarting server drops connections; a busy SQLite file refuses a writer for a
//! moment. None of these should reach a client as an error when a second attempt would
//! succeed, so every operation of [`super::SqlStore`] runs through [`retrying`]: a bounded
//! number of attempts with jittered exponential backoff, inside a time budget so that an
//! outage is answered promptly (with 503) instead of after a long pile-up of retries.
//!
//! What may be repeated depends on what a failure proves:
//! - [`StoreError::Transient`]: the database holds nothing of the attempt (rolled back, or
//!   never sent). Every operation may run again.
//! - [`StoreError::Unavailable`]: the connection failed while a statement or a COMMIT may
//!   have been applied. Only operations declared [`Replay::Safe`] run again: reads, writes
//!   whose repetition changes nothing, and writes that recognise their own earlier commit.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{DbCause, StoreError};
use crate::domain::error_chain::ErrorChain;

/// Whether an operation may run again when its first attempt may have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, idempotent writes, and writes that detect their own earlier commit.
    Safe,
    /// Writes that must not happen twice (a counter increment, an insert whose duplicate
    /// would be refused): repeated only when the failure proves nothing was written.
    OnlyIfNothingWritten,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The backoff ceiling before the second attempt; it doubles for each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No new attempt starts once this much time has passed since the first one began.
    pub budget: Duration,
}

impl RetryPolicy {
    /// A policy whose budget matches how long a request already waits for a connection.
    pub fn within(budget: Duration) -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(500),
            budget,
        }
    }

    /// Full jitter (a uniform draw below an exponentially growing ceiling): replicas that
    /// failed together do not retry together.
    fn backoff(&self, failed_attempts: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(1 << failed_attempts.saturating_sub(1).min(16))
            .min(self.max_delay);
        let ceiling_micros = u64::try_from(ceiling.as_micros())
            .unwrap_or(u64::MAX)
            .max(2);
        Duration::from_micros(rand::random_range(ceiling_micros / 2..ceiling_micros))
    }

    fn may_retry(&self, error: &StoreError, replay: Replay) -> bool {
        match error {
            StoreError::Transient(_) => true,
            StoreError::Unavailable(_) => replay == Replay::Safe,
            StoreError::Conflict(_) | StoreError::Internal(_) => false,
        }
    }
}

/// Which operation failed, after how many attempts, and the last failure.
#[derive(Debug, thiserror::Error)]
#[error("{operation} failed (attempts: {attempts})")]
struct Failed {
    operation: &'static str,
    attempts: u32,
    #[source]
    cause: DbCause,
}

/// Runs `attempt` until it succeeds, fails for good, or the policy runs out. A transient
/// failure that outlives the retries is reported as `Unavailable` (answered with 503).
pub async fn retrying<T, F, Fut>(
    policy: &RetryPolicy,
    operation: &'static str,
    replay: Replay,
    mut attempt: F,
) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let error = match attempt().await {
            Ok(value) => {
                if attempts > 1 {
                    tracing::info!(
                        operation,
                        attempts,
                        "database operation succeeded after retrying"
                    );
                }
                return Ok(value);
            }
            Err(error) => error,
        };
        let delay = policy.backoff(attempts);
        let retry = policy.may_retry(&error, replay)
            && attempts < policy.max_attempts
            && started.elapsed() + delay < policy.budget;
        if !retry {
            // The cause stays whole behind the operation's name, so the log says what failed.
            let failed = |cause| -> DbCause {
                Box::new(Failed {
                    operation,
                    attempts,
                    cause,
                })
            };
            return Err(match error {
                StoreError::Transient(cause) | StoreError::Unavailable(cause) => {
                    StoreError::Unavailable(failed(cause))
                }
                StoreError::Internal(cause) => StoreError::Internal(failed(cause)),
                conflict @ StoreError::Conflict(_) => conflict,
            });
        }
        tracing::warn!(operation, attempts, error = %ErrorChain(&error), delay_ms = delay.as_millis() as u64, "transient database failure; retrying");
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy::within(Duration::from_secs(5))
    }

    #[tokio::test]
    async fn a_transient_failure_is_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = retrying(&policy(), "test", Replay::OnlyIfNothingWritten, || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(StoreError::Transient("40001".into())),
                _ => Ok(7),
            }
        })
        .await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_ambiguous_failure_is_retried_only_when_replay_is_safe() {
        for (replay, expected_calls) in [(Replay::Safe, 4), (Replay::OnlyIfNothingWritten, 1)] {
            let calls = AtomicU32::new(0);
            let result: Result<(), _> = retrying(&policy(), "test", replay, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(StoreError::Unavailable("connection reset".into()))
            })
            .await;
            assert!(matches!(result, Err(StoreError::Unavailable(_))));
            assert_eq!(calls.load(Ordering::SeqCst), expected_calls, "{replay:?}");
        }
    }

    #[tokio::test]
    async fn exhausted_transient_failures_surface_as_unavailable_and_others_at_once() {
        let result: Result<(), _> = retrying(&policy(), "test", Replay::Safe, || async {
            Err(StoreError::Transient("deadlock".into()))
        })
        .await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))));
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = retrying(&policy(), "test", Replay::Safe, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(StoreError::Conflict("unique".into()))
        })
        .await;
        assert!(matches!(result, Err(StoreError::Conflict(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_is_jittered_below_a_growing_ceiling() {
        let policy = policy();
        for failed in 1..8 {
            let ceiling = (policy.base_delay * (1 << (failed - 1))).min(policy.max_delay);
            let delay = policy.backoff(failed);
            assert!(
                delay < ceiling && delay >= ceiling / 2,
                "{failed}: {delay:?}"
            );
        }
    }
}
