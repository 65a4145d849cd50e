//! Per-client-IP rate limiting of the sign-in endpoints, so one address cannot spray
//! passwords across many usernames (the lockout only protects each username).
//!
//! The client address is the TCP peer, unless the peer is a trusted proxy: then it is the
//! right-most `X-Forwarded-For` entry that is not itself a trusted proxy. A client can put
//! anything in that header, so it is believed only as far as our own proxies vouch for it.
//! Limits are kept per replica, in memory: they shed load and slow sprays, while the
//! lockout, which must survive restarts, lives in the database.
//!
//! Addresses are compared in canonical form: an IPv4-mapped IPv6 peer (`::ffff:192.0.2.1`,
//! what a dual-stack listener on `[::]` reports for IPv4 clients) is that IPv4 address, for
//! the trusted-proxy match as for the limit. An IPv6 client is limited per /64: one host is
//! routinely given a whole /64, so per-address buckets would give it 2^64 budgets.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use super::error::{ApiError, Surface, Transport};

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

    /// The budget an address draws on: itself for IPv4, its /64 for IPv6.
    fn bucket(ip: IpAddr) -> IpAddr {
        match ip.to_canonical() {
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & !u128::from(u64::MAX))),
            v4 => v4,
        }
    }

    /// The address the request came from, as far as trusted proxies vouch.
    pub fn client_ip(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr()?.ip().to_canonical();
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
            match entry.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
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
        limiter.check_key(&Self::bucket(ip)).map_err(|_| {
            tracing::info!(client_ip = %ip, reason = self.refusal, "rate limit reached");
            ApiError::new(Transport::RateLimited, self.refusal, surface)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_share_their_64_and_mapped_ipv4_is_ipv4() {
        let bucket = SignInLimiter::bucket;
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            bucket(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            bucket(ip("2001:db8:1:2::9"))
        );
        assert_ne!(bucket(ip("2001:db8:1:3::1")), bucket(ip("2001:db8:1:2::1")));
        assert_eq!(bucket(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(bucket(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_ne!(bucket(ip("198.51.100.7")), bucket(ip("198.51.100.8")));
    }

    #[test]
    fn mapped_peers_and_hops_match_ipv4_trusted_proxies() {
        let limiter = SignInLimiter::new(1, vec![IpNet::from(IpAddr::from([127, 0, 0, 1]))]);
        let request = actix_web::test::TestRequest::default()
            .peer_addr("[::ffff:127.0.0.1]:4000".parse().unwrap())
            .insert_header(("x-forwarded-for", "203.0.113.5, ::ffff:127.0.0.1"))
            .to_http_request();
        assert_eq!(limiter.client_ip(&request), Some(ip("203.0.113.5")));
        let direct = actix_web::test::TestRequest::default()
            .peer_addr("[::ffff:203.0.113.6]:4000".parse().unwrap())
            .to_http_request();
        assert_eq!(limiter.client_ip(&direct), Some(ip("203.0.113.6")));
    }
}
