//! Settings: every one is an environment variable `GATEHOUSE_*` and the same as a flag.
//! A `.env` file in the working directory is read first when present. Secrets are
//! `SecretString`s: `Debug` shows `[REDACTED]`, and help output never prints their values.
//!
//! The settings come in eight sections, one file each: [`server`], [`database`], [`crypto`],
//! [`limits`], [`admin`], [`mail`], [`telemetry`] and [`triggers`]. Each file declares its flags with their defaults
//! (the only place a default is written) and the validation that turns them into that
//! section's typed configuration. [`Settings::validate`] runs them all once, at start-up;
//! `app.rs` then only wires what it gets. docs/operations.md's table is checked against
//! these declarations by the tests below.

pub mod admin;
pub mod crypto;
pub mod database;
pub mod limits;
pub mod mail;
pub mod server;
pub mod telemetry;
pub mod triggers;

use clap::{Args, FromArgMatches};
use secrecy::SecretString;

pub use admin::{AdminAuthSetting, AdminConfig, AdminSettings};
pub use crypto::{CryptoConfig, CryptoSettings, KekSource, PasswordHashing};
pub use database::{DatabaseConfig, DatabaseSettings};
pub use limits::{LimitSettings, LimitsConfig};
pub use mail::{MailConfig, MailSettings};
pub use server::{IssuerStyleSetting, ServerConfig, ServerSettings, TlsFiles};
pub use telemetry::{LogFormat, TelemetryConfig, TelemetrySettings};
pub use triggers::TriggerSettings;

/// A setting that cannot be used, named by its environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// Every setting, as given (flags, environment, defaults), section by section.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    #[command(flatten)]
    pub server: ServerSettings,
    #[command(flatten)]
    pub database: DatabaseSettings,
    #[command(flatten)]
    pub crypto: CryptoSettings,
    #[command(flatten)]
    pub limits: LimitSettings,
    #[command(flatten)]
    pub admin: AdminSettings,
    #[command(flatten)]
    pub mail: MailSettings,
    #[command(flatten)]
    pub telemetry: TelemetrySettings,
    #[command(flatten)]
    pub triggers: TriggerSettings,
}

/// The settings validated: what the server and the commands run on.
#[derive(Debug)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub crypto: CryptoConfig,
    pub limits: LimitsConfig,
    pub admin: AdminConfig,
    pub mail: MailConfig,
    pub telemetry: TelemetryConfig,
    pub triggers: crate::triggers::InvokerConfig,
}

impl Settings {
    /// Every setting at its declared default, whatever the environment says.
    #[allow(
        clippy::expect_used,
        reason = "the declarations are fixed at compile time; the tests parse them"
    )]
    pub fn defaults() -> Self {
        // The defaults are written once, in the declarations: parse an empty command line
        // with the environment switched off, so GATEHOUSE_* variables of this process
        // cannot leak in.
        let command = Self::augment_args(clap::Command::new("gatehouse"))
            .mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(["gatehouse"])
            .expect("an empty command line parses");
        Self::from_arg_matches(&matches).expect("the declared defaults parse")
    }

    /// The defaults, with the given database: what tests start from.
    pub fn with_database(database_url: &str) -> Self {
        let mut settings = Self::defaults();
        settings.database.database_url = SecretString::from(database_url.to_owned());
        settings
    }

    /// Validates every section; the first bad setting is the error.
    pub fn validate(&self) -> Result<Config, ConfigError> {
        let database = self.database.validate()?;
        Ok(Config {
            server: self.server.validate()?,
            crypto: self.crypto.validate(&database)?,
            limits: self.limits.validate()?,
            admin: self.admin.validate()?,
            mail: self.mail.validate()?,
            telemetry: self.telemetry.validate()?,
            triggers: self.triggers.validate()?,
            database,
        })
    }
}

pub(crate) fn parse_secret(raw: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(raw.to_owned()))
}

/// A secret set to the empty string counts as not set: `GATEHOUSE_PEPPER=` in a `.env` file
/// must not pass for a pepper.
pub(crate) fn non_empty(secret: Option<&SecretString>) -> Option<&SecretString> {
    use secrecy::ExposeSecret;
    secret.filter(|s| !s.expose_secret().trim().is_empty())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use clap::CommandFactory;

    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    /// Each variable with its declared default, if it has one.
    fn declared() -> BTreeMap<String, Option<String>> {
        Cli::command()
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_string_lossy().into_owned();
                let default = arg
                    .get_default_values()
                    .first()
                    .map(|v| v.to_string_lossy().into_owned());
                Some((env, default))
            })
            .collect()
    }

    #[test]
    fn the_defaults_are_the_declared_ones_whatever_the_environment() {
        let settings = Settings::defaults();
        assert_eq!(settings.server.bind, "127.0.0.1:8080");
        assert_eq!(settings.limits.hash_queue, 64);
        assert!(settings.crypto.pepper.is_none());
        let config = Settings::with_database("sqlite::memory:")
            .validate()
            .unwrap();
        assert_eq!(config.database.connect.max_connections, 10);
    }

    #[test]
    fn the_operations_table_lists_every_setting_with_its_default() {
        let docs = include_str!("../../docs/operations.md");
        let mut documented = BTreeMap::new();
        for line in docs.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, variable, default, ..] = cells.as_slice()
                && let Some(variable) = variable
                    .strip_prefix("`GATEHOUSE_")
                    .and_then(|v| v.strip_suffix('`'))
            {
                documented.insert(format!("GATEHOUSE_{variable}"), default.to_string());
            }
        }
        let declared = declared();
        assert_eq!(
            documented.keys().collect::<Vec<_>>(),
            declared.keys().collect::<Vec<_>>(),
            "docs/operations.md's configuration table and the declared settings differ"
        );
        for (variable, default) in &declared {
            let shown = &documented[variable];
            match default.as_deref() {
                Some("") => assert_eq!(shown, "none", "{variable}"),
                Some(value) => assert_eq!(*shown, format!("`{value}`"), "{variable}"),
                // No fixed default (none, or one that depends on the machine or backend):
                // the table says which in words, never as a value in backticks alone.
                None => assert!(
                    shown == "none" || shown.contains(' '),
                    "{variable}: {shown}"
                ),
            }
        }
    }

    #[test]
    fn the_env_example_lists_every_setting_at_its_default() {
        let example = include_str!("../../.env.example");
        let mut listed = BTreeMap::new();
        for line in example.lines() {
            let line = line.trim_start_matches('#').trim();
            // The test suite's own variables are listed too; they are not settings.
            if let Some((variable, value)) = line.split_once('=')
                && variable.starts_with("GATEHOUSE_")
                && !variable.starts_with("GATEHOUSE_TEST_")
                && !variable.contains(' ')
            {
                listed.insert(variable.to_owned(), value.to_owned());
            }
        }
        let declared = declared();
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            declared.keys().collect::<Vec<_>>(),
            ".env.example and the declared settings differ"
        );
        for (variable, default) in &declared {
            if let Some(default) = default {
                assert_eq!(&listed[variable], default, "{variable} in .env.example");
            }
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let mut settings = Settings::with_database("postgres://app:db-password-1@localhost/g");
        settings.crypto.pepper = Some(SecretString::from("pepper-value-2".to_owned()));
        settings.crypto.key_encryption_key = Some(SecretString::from("kek-value-3".to_owned()));
        let shown = format!("{settings:?}");
        for secret in ["db-password-1", "pepper-value-2", "kek-value-3"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }

    #[test]
    fn empty_secrets_count_as_unset() {
        let mut settings = Settings::with_database("sqlite::memory:");
        settings.crypto.pepper = Some(SecretString::from(String::new()));
        settings.crypto.key_encryption_key = Some(SecretString::from("  ".to_owned()));
        assert!(settings.crypto.pepper().is_none());
        assert!(settings.crypto.key_encryption_key().is_none());
    }
}
