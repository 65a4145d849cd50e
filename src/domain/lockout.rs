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

/// The stored failure record of one (pool, username) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub count: i64,
    pub locked_until: Option<UnixSeconds>,
    pub last_failure_at: UnixSeconds,
}

impl LockoutPolicy {
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
