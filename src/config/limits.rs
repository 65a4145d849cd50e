//! Limits: how much work and time one request, one address and the hashing service may take.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

use super::ConfigError;
use crate::crypto::password::HasherLimits;

/// Also what a handler under unit test uses when no server configured its limits.
pub const DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS: u64 = 10;
/// The longest request timeout accepted, header or body.
const MAX_REQUEST_TIMEOUT_SECONDS: u64 = 300;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Limits")]
pub struct LimitSettings {
    /// Password hashes computed at once. Default: the number of CPUs.
    #[arg(long, global = true, env = "GATEHOUSE_HASH_WORKERS")]
    pub hash_workers: Option<usize>,

    /// Password hashes (sign-ins, password sets) allowed to wait for a hashing worker.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_HASH_QUEUE",
        default_value_t = 64
    )]
    pub hash_queue: usize,

    /// Milliseconds a request finding the hashing queue full waits for a place before it is
    /// answered 429 TooManyRequestsException.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_HASH_MAX_WAIT_MS",
        default_value_t = 1_000
    )]
    pub hash_max_wait_ms: u64,

    /// Seconds a client has to send a request's headers; slower ones get 408 (slowloris).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_REQUEST_HEADER_TIMEOUT_SECONDS",
        default_value_t = 10
    )]
    pub request_header_timeout_seconds: u64,

    /// Seconds a client has to send a request's body once its headers arrived; then 408.
    #[arg(long, global = true, env = "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS", default_value_t = DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS)]
    pub request_body_timeout_seconds: u64,

    /// Sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_SIGN_IN_RATE_PER_IP",
        default_value_t = 300
    )]
    pub sign_in_rate_per_ip: u32,

    /// SignUp requests allowed per client address per minute (0: no limit). SignUp's
    /// UsernameExistsException says a name is taken, so this bounds that oracle.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_SIGN_UP_RATE_PER_IP",
        default_value_t = 20
    )]
    pub sign_up_rate_per_ip: u32,

    /// Proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,
}

#[derive(Debug, Clone)]
pub struct LimitsConfig {
    pub hashing: HasherLimits,
    pub request_header_timeout: Duration,
    pub request_body_timeout: Duration,
    /// 0: no limit.
    pub sign_in_per_ip_per_minute: u32,
    /// 0: no limit.
    pub sign_up_per_ip_per_minute: u32,
    pub trusted_proxies: Vec<IpNet>,
}

impl LimitSettings {
    pub fn validate(&self) -> Result<LimitsConfig, ConfigError> {
        let workers = match self.hash_workers {
            Some(0) => {
                return Err(ConfigError::new(
                    "GATEHOUSE_HASH_WORKERS",
                    "must be at least 1 (leave it unset for one per CPU)",
                ));
            }
            Some(workers) => workers,
            None => std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        };
        Ok(LimitsConfig {
            hashing: HasherLimits {
                workers,
                queue: self.hash_queue,
                max_wait: Duration::from_millis(self.hash_max_wait_ms),
            },
            // Zero would switch actix's header timeout off, so it is refused.
            request_header_timeout: request_timeout(
                self.request_header_timeout_seconds,
                "GATEHOUSE_REQUEST_HEADER_TIMEOUT_SECONDS",
            )?,
            request_body_timeout: request_timeout(
                self.request_body_timeout_seconds,
                "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS",
            )?,
            sign_in_per_ip_per_minute: self.sign_in_rate_per_ip,
            sign_up_per_ip_per_minute: self.sign_up_rate_per_ip,
            trusted_proxies: parse_trusted_proxies(&self.trusted_proxies)?,
        })
    }
}

fn request_timeout(seconds: u64, variable: &'static str) -> Result<Duration, ConfigError> {
    if (1..=MAX_REQUEST_TIMEOUT_SECONDS).contains(&seconds) {
        Ok(Duration::from_secs(seconds))
    } else {
        Err(ConfigError::new(
            variable,
            format!("must be 1-{MAX_REQUEST_TIMEOUT_SECONDS} seconds (got {seconds})"),
        ))
    }
}

/// Addresses or CIDR ranges, comma-separated.
fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, ConfigError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        "GATEHOUSE_TRUSTED_PROXIES",
                        format!("{entry:?} is not an address or CIDR range"),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn error(change: impl FnOnce(&mut LimitSettings)) -> ConfigError {
        let mut settings = Settings::defaults().limits;
        change(&mut settings);
        settings.validate().unwrap_err()
    }

    #[test]
    fn bad_limits_are_refused_by_name() {
        assert_eq!(
            error(|s| s.hash_workers = Some(0)).variable,
            "GATEHOUSE_HASH_WORKERS"
        );
        for seconds in [0, 301] {
            let bad = error(|s| s.request_header_timeout_seconds = seconds);
            assert_eq!(bad.variable, "GATEHOUSE_REQUEST_HEADER_TIMEOUT_SECONDS");
            assert!(bad.message.contains(&format!("got {seconds}")), "{bad}");
            assert_eq!(
                error(|s| s.request_body_timeout_seconds = seconds).variable,
                "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS"
            );
        }
        let bad = error(|s| s.trusted_proxies = "10.0.0.0/8, proxy.internal".into());
        assert_eq!(bad.variable, "GATEHOUSE_TRUSTED_PROXIES");
        assert!(bad.message.contains("\"proxy.internal\""), "{bad}");
    }

    #[test]
    fn good_limits_come_out_typed() {
        let mut settings = Settings::defaults().limits;
        settings.trusted_proxies = "10.0.0.0/8, 192.0.2.7 ,::1".into();
        settings.hash_workers = Some(3);
        let config = settings.validate().unwrap();
        assert_eq!(config.trusted_proxies.len(), 3);
        assert!(config.trusted_proxies[0].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
        assert!(config.trusted_proxies[1].contains(&"192.0.2.7".parse::<IpAddr>().unwrap()));
        assert_eq!(config.hashing.workers, 3);
        assert_eq!(config.hashing.queue, 64);
        assert_eq!(config.hashing.max_wait, Duration::from_secs(1));
        assert_eq!(config.request_body_timeout, Duration::from_secs(10));
        let defaults = Settings::defaults().limits.validate().unwrap();
        assert!(defaults.hashing.workers >= 1);
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.sign_in_per_ip_per_minute, 300);
        assert_eq!(defaults.sign_up_per_ip_per_minute, 20);
    }
}
