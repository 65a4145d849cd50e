//! Server settings: where Gatehouse listens, what it calls itself, and how it stops.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::ConfigError;
use crate::domain::ids::Region;
use crate::http::cors::AllowedOrigins;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IssuerStyleSetting {
    /// `<public url>/<pool id>`
    Gatehouse,
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`
    Aws,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Server")]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: String,

    /// The URL clients reach Gatehouse at; issuers and JWKS URLs are built from it.
    /// Default: `http://<bound address>`.
    #[arg(long, global = true, env = "GATEHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Region prefix of new pool ids (AWS clients read it).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,

    /// How token issuers are spelled.
    #[arg(long, global = true, env = "GATEHOUSE_ISSUER_STYLE", value_enum, default_value_t = IssuerStyleSetting::Gatehouse)]
    pub issuer_style: IssuerStyleSetting,

    /// HTTP worker threads. Default: the number of CPUs.
    #[arg(long, global = true, env = "GATEHOUSE_HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    /// PEM certificate chain: with GATEHOUSE_TLS_KEY, serve HTTPS (TLS 1.2 and 1.3 only).
    #[arg(long, global = true, env = "GATEHOUSE_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key of that certificate.
    #[arg(long, global = true, env = "GATEHOUSE_TLS_KEY")]
    pub tls_key: Option<PathBuf>,

    /// Origins browsers may call Gatehouse from (CORS), comma-separated; `*` for any, empty
    /// for none. Tokens travel in bodies and headers, never cookies, so `*` opens no CSRF hole.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_CORS_ALLOWED_ORIGINS",
        default_value = "*"
    )]
    pub cors_allowed_origins: String,

    /// On SIGTERM, how long requests in flight may take to finish before their connections
    /// are closed.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS",
        default_value_t = 30
    )]
    pub shutdown_timeout_seconds: u64,

    /// Seconds between housekeeping passes (expired sessions, retired keys, scheduled
    /// rotation); 0 turns the background task off.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_HOUSEKEEPING_INTERVAL_SECONDS",
        default_value_t = 300
    )]
    pub housekeeping_interval_seconds: u64,
}

/// The certificate and key of an HTTPS listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: String,
    /// Without a trailing slash; `None`: built from the bound address.
    pub public_url: Option<String>,
    pub region: Region,
    pub issuer_style: IssuerStyleSetting,
    /// `None`: one per CPU (actix's default).
    pub http_workers: Option<usize>,
    pub tls: Option<TlsFiles>,
    pub cors_allowed_origins: AllowedOrigins,
    pub shutdown_timeout: Duration,
    /// `None`: no background housekeeping.
    pub housekeeping_interval: Option<Duration>,
}

impl ServerConfig {
    /// The URL clients reach this server at: the configured one, or the bound address.
    pub fn public_url_for(&self, bound: &str) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("{scheme}://{bound}"))
    }
}

impl ServerSettings {
    pub fn validate(&self) -> Result<ServerConfig, ConfigError> {
        let public_url = self
            .public_url
            .as_deref()
            .map(validate_public_url)
            .transpose()?;
        let region =
            Region::parse(&self.region).map_err(|e| ConfigError::new("GATEHOUSE_REGION", e))?;
        if self.http_workers == Some(0) {
            return Err(ConfigError::new(
                "GATEHOUSE_HTTP_WORKERS",
                "must be at least 1 (leave it unset for one per CPU)",
            ));
        }
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "GATEHOUSE_TLS_KEY",
                    "set both GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY to serve HTTPS",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "GATEHOUSE_TLS_CERT",
                    "set both GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY to serve HTTPS",
                ));
            }
        };
        Ok(ServerConfig {
            bind: self.bind.clone(),
            public_url,
            region,
            issuer_style: self.issuer_style,
            http_workers: self.http_workers,
            tls,
            cors_allowed_origins: AllowedOrigins::parse(&self.cors_allowed_origins),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout_seconds),
            housekeeping_interval: (self.housekeeping_interval_seconds > 0)
                .then(|| Duration::from_secs(self.housekeeping_interval_seconds)),
        })
    }
}

fn validate_public_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim_end_matches('/');
    if (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && !trimmed.contains(char::is_whitespace)
        && !trimmed.contains('?')
        && !trimmed.contains('#')
    {
        Ok(trimmed.to_owned())
    } else {
        Err(ConfigError::new(
            "GATEHOUSE_PUBLIC_URL",
            format!("{url:?} must be an http:// or https:// URL without query or fragment"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn error(change: impl FnOnce(&mut ServerSettings)) -> ConfigError {
        let mut settings = Settings::defaults().server;
        change(&mut settings);
        settings.validate().unwrap_err()
    }

    #[test]
    fn bad_server_settings_are_refused_by_name() {
        let bad = error(|s| s.public_url = Some("ftp://id.example.com".into()));
        assert_eq!(bad.variable, "GATEHOUSE_PUBLIC_URL");
        assert!(bad.message.contains("http:// or https://"), "{bad}");
        for url in [
            "https://id.example.com/?x=1",
            "https://id.example.com/#f",
            "http://a b",
        ] {
            assert_eq!(
                error(|s| s.public_url = Some(url.into())).variable,
                "GATEHOUSE_PUBLIC_URL"
            );
        }
        assert_eq!(
            error(|s| s.region = "not a region".into()).variable,
            "GATEHOUSE_REGION"
        );
        assert_eq!(
            error(|s| s.http_workers = Some(0)).variable,
            "GATEHOUSE_HTTP_WORKERS"
        );
        let half_tls = error(|s| s.tls_cert = Some("cert.pem".into()));
        assert_eq!(half_tls.variable, "GATEHOUSE_TLS_KEY");
        assert!(
            half_tls
                .to_string()
                .starts_with("GATEHOUSE_TLS_KEY: set both")
        );
        assert_eq!(
            error(|s| s.tls_key = Some("key.pem".into())).variable,
            "GATEHOUSE_TLS_CERT"
        );
    }

    #[test]
    fn good_server_settings_come_out_typed() {
        let mut settings = Settings::defaults().server;
        settings.public_url = Some("https://id.example.com/".into());
        settings.housekeeping_interval_seconds = 0;
        let config = settings.validate().unwrap();
        assert_eq!(config.public_url.as_deref(), Some("https://id.example.com"));
        assert_eq!(config.housekeeping_interval, None);
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
        let defaults = Settings::defaults().server.validate().unwrap();
        assert_eq!(
            defaults.public_url_for("127.0.0.1:8080"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            defaults.housekeeping_interval,
            Some(Duration::from_secs(300))
        );
    }
}
