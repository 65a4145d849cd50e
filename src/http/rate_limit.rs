//! Per-client-IP rate limiting of the sign-in endpoints, so one address cannot spray
//! passwords across many usernames (the lockout only protects each username).
//!
//! The client address is the TCP peer, unless the peer is a trusted proxy: then it is the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. A client can put
//! anything in that header, so it is believed only as far as our own proxies vouch for it.
//! Limits are kept per replica, in memory: they shed load and slow sprays, while the
//! lockout, which must survive restarts, lives in the database.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use super::error::{ApiError, ErrorKind, Surface};

/// How often (in checks) idle buckets are dropped, so the table cannot grow without bound.
const SWEEP_EVERY: u64 = 4_096;

pub struct SignInLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    trusted: Vec<IpNet>,
    checks: AtomicU64,
    refusal: &'static str,
}

/// The separate per-address budget of `SignUp`, the one operation that tells whether a
/// username is taken (`UsernameExistsException`). Every SignUp counts, whatever its answer:
/// were only the "taken" answers counted, an address over budget would get 429 for taken
/// names and 200 for free ones, and the refusal itself would be the oracle.
pub struct SignUpLimiter(pub SignInLimiter);

impl SignUpLimiter {
    /// `per_minute` 0 turns the limit off.
    pub fn new(per_minute: u32, trusted: Vec<IpNet>) -> Self {
        let mut limiter = SignInLimiter::new(per_minute, trusted);
        limiter.refusal = "Too many sign-up attempts from this address; retry later";
        Self(limiter)
    }
}

/// Parses `GATEHOUSE_TRUSTED_PROXIES`: addresses or CIDR ranges, comma-separated.
pub fn parse_trusted(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("GATEHOUSE_TRUSTED_PROXIES: {entry:?} is not an address or CIDR range")
                })
        })
        .collect()
}

impl SignInLimiter {
    /// `per_minute` 0 turns the limit off (client addresses are still resolved).
    pub fn new(per_minute: u32, trusted: Vec<IpNet>) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            trusted,
            checks: AtomicU64::new(0),
            refusal: "Too many sign-in attempts from this address; retry later",
        }
    }

    fn is_trusted(&self, ip: &IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// The address the request came from, as far as trusted proxies vouch.
    pub fn client_ip(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip();
        if !self.is_trusted(&peer) {
            return Some(peer);
        }
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for entry in forwarded.iter().rev() {
            match entry.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.is_trusted(&ip) {
                        break;
                    }
                }
                // A malformed hop: trust nothing further left of it.
                Err(_) => break,
            }
        }
        Some(client)
    }

    /// Counts one sign-in attempt from the request's client; 429 once over the limit.
    pub fn check(&self, request: &HttpRequest, surface: Surface) -> Result<(), ApiError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        let Some(ip) = self.client_ip(request) else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|_| {
            tracing::info!(client_ip = %ip, reason = self.refusal, "rate limit reached");
            ApiError::new(ErrorKind::TooManyRequests, self.refusal, surface)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trusted_proxies_parse() {
        let nets = parse_trusted("10.0.0.0/8, 127.0.0.1,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[0].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        assert!(parse_trusted("not-an-ip").is_err());
        assert!(parse_trusted("").unwrap().is_empty());
    }
}
