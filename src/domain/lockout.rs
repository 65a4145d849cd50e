//! Cognito's documented lockout: five free failures, then 2^(n−5) seconds, capped at about
//! fifteen minutes; forgotten after fifteen minutes without a failure.

use serde::{Deserialize, Serialize};

use super::clock::UnixSeconds;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct LockoutPolicy {
    pub free_failures: u32,
    pub max_lockout_seconds: i64,
    pub reset_after_seconds: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            max_lockout_seconds: 900,
            reset_after_seconds: 900,
        }
    }
}

/// Changes to a pool's lockout policy; what is left out keeps its current value. The seed
/// file's `Lockout` member and the `pool create|update --lockout-*` options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct LockoutChanges {
    pub free_failures: Option<u32>,
    pub max_lockout_seconds: Option<i64>,
    pub reset_after_seconds: Option<i64>,
}

impl LockoutChanges {
    /// `base` with these changes, validated.
    pub fn apply_to(&self, base: &LockoutPolicy) -> Result<LockoutPolicy, String> {
        let policy = LockoutPolicy {
            free_failures: self.free_failures.unwrap_or(base.free_failures),
            max_lockout_seconds: self.max_lockout_seconds.unwrap_or(base.max_lockout_seconds),
            reset_after_seconds: self.reset_after_seconds.unwrap_or(base.reset_after_seconds),
        };
        policy.validate()?;
        Ok(policy)
    }
}

/// The stored failure record of one (pool, username) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub count: i64,
    pub locked_until: Option<UnixSeconds>,
    pub last_failure_at: UnixSeconds,
}

/// The most free failures a pool may allow: NIST SP 800-63B caps consecutive failed
/// attempts on one account at 100.
pub const MAX_FREE_FAILURES: u32 = 100;
/// The longest lockout and the longest quiet window a pool may set (a day). Housekeeping
/// keeps failure counters this long, so no pool's counters are forgotten early.
pub const MAX_LOCKOUT_WINDOW_SECONDS: i64 = 86_400;

impl LockoutPolicy {
    /// Refuses settings that would not lock, would lock forever, or would forget a counter
    /// while its lock is still running.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_FREE_FAILURES).contains(&self.free_failures) {
            return Err(format!(
                "lockout free failures must be 1-{MAX_FREE_FAILURES} (got {})",
                self.free_failures
            ));
        }
        if !(1..=MAX_LOCKOUT_WINDOW_SECONDS).contains(&self.max_lockout_seconds) {
            return Err(format!(
                "lockout maximum must be 1-{MAX_LOCKOUT_WINDOW_SECONDS} seconds (got {})",
                self.max_lockout_seconds
            ));
        }
        if !(self.max_lockout_seconds..=MAX_LOCKOUT_WINDOW_SECONDS)
            .contains(&self.reset_after_seconds)
        {
            return Err(format!(
                "lockout reset window must be {}-{MAX_LOCKOUT_WINDOW_SECONDS} seconds: at least \
                 the maximum lockout, so a counter is never forgotten while its lock runs (got {})",
                self.max_lockout_seconds, self.reset_after_seconds
            ));
        }
        Ok(())
    }

    /// Whether sign-in is refused without looking at the password.
    pub fn is_locked(&self, record: Option<&FailureRecord>, now: UnixSeconds) -> bool {
        record
            .and_then(|r| r.locked_until)
            .is_some_and(|until| now < until)
    }

    /// The lock that follows the `count`-th consecutive failure, if any.
    pub fn lock_after(&self, count: i64, now: UnixSeconds) -> Option<UnixSeconds> {
        let free = i64::from(self.free_failures);
        if count < free {
            return None;
        }
        // 2^(n-5) overflows quickly; anything past 2^20 is far beyond the cap anyway.
        let exponent = (count - free).min(20) as u32;
        let seconds = (1_i64 << exponent).min(self.max_lockout_seconds);
        Some(now + seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_then_doubling_up_to_the_cap() {
        let p = LockoutPolicy::default();
        assert_eq!(p.lock_after(4, 100), None);
        assert_eq!(p.lock_after(5, 100), Some(101));
        assert_eq!(p.lock_after(6, 100), Some(102));
        assert_eq!(p.lock_after(10, 100), Some(132));
        assert_eq!(p.lock_after(15, 100), Some(1000));
        assert_eq!(p.lock_after(1_000, 100), Some(1000));
    }

    #[test]
    fn two_free_failures_lock_on_the_second() {
        let p = LockoutPolicy {
            free_failures: 2,
            ..LockoutPolicy::default()
        };
        assert_eq!(p.lock_after(1, 100), None);
        assert_eq!(p.lock_after(2, 100), Some(101));
        assert_eq!(p.lock_after(3, 100), Some(102));
    }

    #[test]
    fn nonsense_policies_are_refused() {
        assert!(LockoutPolicy::default().validate().is_ok());
        let changes = |free, max, reset| LockoutChanges {
            free_failures: free,
            max_lockout_seconds: max,
            reset_after_seconds: reset,
        };
        let base = LockoutPolicy::default();
        for bad in [
            changes(Some(0), None, None),
            changes(Some(101), None, None),
            changes(None, Some(0), None),
            changes(None, Some(-5), None),
            changes(None, Some(86_401), Some(86_401)),
            changes(None, None, Some(899)),
            changes(None, Some(3_600), None),
        ] {
            assert!(bad.apply_to(&base).is_err(), "{bad:?}");
        }
        let good = changes(Some(2), Some(60), Some(600))
            .apply_to(&base)
            .unwrap();
        assert_eq!(
            (
                good.free_failures,
                good.max_lockout_seconds,
                good.reset_after_seconds
            ),
            (2, 60, 600)
        );
        assert_eq!(changes(None, None, None).apply_to(&base).unwrap(), base);
    }

    #[test]
    fn locked_only_until_the_deadline() {
        let p = LockoutPolicy::default();
        let record = FailureRecord {
            count: 6,
            locked_until: Some(200),
            last_failure_at: 198,
        };
        assert!(p.is_locked(Some(&record), 199));
        assert!(!p.is_locked(Some(&record), 200));
        assert!(!p.is_locked(None, 0));
    }
}
