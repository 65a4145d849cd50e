//! Database settings: which database, and how the connection pool behaves.

use std::time::Duration;

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::{ConfigError, parse_secret};
use crate::store::sql::backend_of;
use crate::store::{Backend, ConnectOptions};

/// The store's own default, so it is written in one place.
const DEFAULT_ACQUIRE_TIMEOUT_MS: u64 = ConnectOptions::DEFAULT_ACQUIRE_TIMEOUT.as_millis() as u64;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// Database: `sqlite://<file>` (embedded, the default) or `postgres://…`.
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_URL", default_value = "sqlite://gatehouse.db", value_parser = parse_secret, hide_env_values = true, hide_default_value = true)]
    pub database_url: SecretString,

    /// Largest number of open database connections per process.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_DB_MAX_CONNECTIONS",
        default_value_t = 10
    )]
    pub db_max_connections: u32,

    /// Milliseconds a request may wait for a database connection (connecting included)
    /// before it is answered 503; also the budget for retrying transient database errors.
    #[arg(long, global = true, env = "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS", default_value_t = DEFAULT_ACQUIRE_TIMEOUT_MS)]
    pub db_acquire_timeout_ms: u64,

    /// Seconds an unused database connection stays open. Default: 3 on SQLite (a connection
    /// is a file open away, and each holds its page and statement caches in this process),
    /// 600 on Postgres (a connection costs a handshake; its caches live in the server).
    #[arg(long, global = true, env = "GATEHOUSE_DB_IDLE_TIMEOUT_SECONDS")]
    pub db_idle_timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub url: SecretString,
    pub backend: Backend,
    pub connect: ConnectOptions,
}

impl DatabaseSettings {
    pub fn validate(&self) -> Result<DatabaseConfig, ConfigError> {
        // The message never repeats the URL: it may hold a password.
        let backend = backend_of(self.database_url.expose_secret())
            .map_err(|e| ConfigError::new("GATEHOUSE_DATABASE_URL", e))?;
        if self.db_max_connections == 0 {
            return Err(ConfigError::new(
                "GATEHOUSE_DB_MAX_CONNECTIONS",
                "must be at least 1",
            ));
        }
        if self.db_acquire_timeout_ms == 0 {
            return Err(ConfigError::new(
                "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS",
                "must be at least 1 millisecond",
            ));
        }
        Ok(DatabaseConfig {
            url: self.database_url.clone(),
            backend,
            connect: ConnectOptions {
                max_connections: self.db_max_connections,
                acquire_timeout: Duration::from_millis(self.db_acquire_timeout_ms),
                idle_timeout: self.db_idle_timeout_seconds.map(Duration::from_secs),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn error(change: impl FnOnce(&mut DatabaseSettings)) -> ConfigError {
        let mut settings = Settings::defaults().database;
        change(&mut settings);
        settings.validate().unwrap_err()
    }

    #[test]
    fn bad_database_settings_are_refused_by_name() {
        let bad = error(|s| {
            s.database_url = SecretString::from("mysql://root:hunter2@db/app".to_owned());
        });
        assert_eq!(bad.variable, "GATEHOUSE_DATABASE_URL");
        assert!(bad.message.contains("postgres://"), "{bad}");
        assert!(!bad.to_string().contains("hunter2"), "{bad}");
        assert_eq!(
            error(|s| s.db_max_connections = 0).variable,
            "GATEHOUSE_DB_MAX_CONNECTIONS"
        );
        assert_eq!(
            error(|s| s.db_acquire_timeout_ms = 0).variable,
            "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS"
        );
    }

    #[test]
    fn good_database_settings_come_out_typed() {
        let config = Settings::defaults().database.validate().unwrap();
        assert_eq!(config.backend, Backend::Sqlite);
        assert_eq!(
            config.connect.acquire_timeout,
            ConnectOptions::DEFAULT_ACQUIRE_TIMEOUT
        );
        assert_eq!(config.connect.idle_timeout, None);
        let mut settings = Settings::defaults().database;
        settings.database_url = SecretString::from("postgres://localhost/g".to_owned());
        settings.db_idle_timeout_seconds = Some(60);
        let config = settings.validate().unwrap();
        assert_eq!(config.backend, Backend::Postgres);
        assert_eq!(config.connect.idle_timeout, Some(Duration::from_secs(60)));
    }
}
