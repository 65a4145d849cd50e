//! Time is an input: use cases ask a [`Clock`], tests advance a [`FakeClock`].

use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds since the Unix epoch, the unit of every timestamp Gatehouse stores or signs.
pub type UnixSeconds = i64;
/// Milliseconds since the Unix epoch, for the few decisions that depend on order within a
/// second (refresh-token reuse).
pub type UnixMillis = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> UnixSeconds;
    /// The same instant in milliseconds; `now()` is this divided by 1000, rounded down.
    fn now_millis(&self) -> UnixMillis;
}

/// The second a millisecond instant falls in.
pub fn seconds_of(millis: UnixMillis) -> UnixSeconds {
    millis.div_euclid(1000)
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now(&self) -> UnixSeconds {
        chrono::Utc::now().timestamp()
    }

    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the wall clock"
    )]
    fn now_millis(&self) -> UnixMillis {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to, for tests of expiry and lockout. It keeps
/// milliseconds, starting on a whole second.
#[derive(Debug)]
pub struct FakeClock(AtomicI64);

impl FakeClock {
    pub fn new(start: UnixSeconds) -> Self {
        Self(AtomicI64::new(start * 1000))
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1000, Ordering::SeqCst);
    }

    pub fn advance_millis(&self, millis: i64) {
        self.0.fetch_add(millis, Ordering::SeqCst);
    }

    pub fn set(&self, now: UnixSeconds) {
        self.0.store(now * 1000, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> UnixSeconds {
        seconds_of(self.now_millis())
    }

    fn now_millis(&self) -> UnixMillis {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_clock_moves_only_when_told() {
        let clock = FakeClock::new(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.advance(180);
        assert_eq!(clock.now(), 1_180);
        clock.set(5);
        assert_eq!(clock.now(), 5);
        clock.advance_millis(999);
        assert_eq!((clock.now(), clock.now_millis()), (5, 5_999));
        clock.advance_millis(1);
        assert_eq!(clock.now(), 6);
    }
}
