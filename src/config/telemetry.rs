//! Telemetry settings: the log and where `/metrics` is served.

use clap::{Args, ValueEnum};
use tracing_subscriber::EnvFilter;

use super::ConfigError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Telemetry")]
pub struct TelemetrySettings {
    /// Log output: `text` or `json`.
    #[arg(long, global = true, env = "GATEHOUSE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `gatehouse=debug,info`.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_LOG",
        default_value = "info,refinery_core=warn"
    )]
    pub log: String,

    /// Serve `/metrics` on this address instead of the public listener (port 0 picks a free
    /// port). Unset: `/metrics` is on the public listener.
    #[arg(long, global = true, env = "GATEHOUSE_METRICS_BIND")]
    pub metrics_bind: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// A filter `EnvFilter` accepts.
    pub log_filter: String,
    /// `None`: `/metrics` is on the public listener.
    pub metrics_bind: Option<String>,
}

impl TelemetryConfig {
    /// The log filter; validation made sure it parses.
    pub fn env_filter(&self) -> EnvFilter {
        EnvFilter::try_new(&self.log_filter).unwrap_or_else(|_| EnvFilter::new("info"))
    }
}

impl TelemetrySettings {
    pub fn validate(&self) -> Result<TelemetryConfig, ConfigError> {
        EnvFilter::try_new(&self.log).map_err(|e| {
            ConfigError::new(
                "GATEHOUSE_LOG",
                format!("{:?} is not a log filter: {e}", self.log),
            )
        })?;
        if self
            .metrics_bind
            .as_deref()
            .is_some_and(|bind| bind.trim().is_empty())
        {
            return Err(ConfigError::new(
                "GATEHOUSE_METRICS_BIND",
                "is empty: give an address such as 127.0.0.1:9090, or leave it unset",
            ));
        }
        Ok(TelemetryConfig {
            log_format: self.log_format,
            log_filter: self.log.clone(),
            metrics_bind: self.metrics_bind.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn bad_telemetry_settings_are_refused_by_name() {
        let mut settings = Settings::defaults().telemetry;
        settings.log = "gatehouse=loud".into();
        let bad = settings.validate().unwrap_err();
        assert_eq!(bad.variable, "GATEHOUSE_LOG");
        assert!(bad.message.contains("\"gatehouse=loud\""), "{bad}");
        let mut settings = Settings::defaults().telemetry;
        settings.metrics_bind = Some(" ".into());
        assert_eq!(
            settings.validate().unwrap_err().variable,
            "GATEHOUSE_METRICS_BIND"
        );
    }

    #[test]
    fn good_telemetry_settings_come_out_typed() {
        let config = Settings::defaults().telemetry.validate().unwrap();
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.log_filter, "info,refinery_core=warn");
        assert_eq!(config.metrics_bind, None);
        let mut settings = Settings::defaults().telemetry;
        settings.log = "gatehouse=debug,info".into();
        assert!(settings.validate().is_ok());
    }
}
