//! Mail settings: the SMTP server, the default sender, the delivery worker's pace, and the
//! test-only outbox endpoint. Without SMTP (the embedded default) messages are held in the
//! outbox; docs/operations.md ("Mail") says how delivery works.

use clap::Args;
use secrecy::SecretString;

use super::{ConfigError, non_empty, parse_secret};

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Mail")]
pub struct MailSettings {
    /// SMTP server for outgoing mail: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=starttls`, or `smtp://host:25` (plain). Unset (the
    /// embedded default): messages are held in the outbox (`gatehouse outbox list`).
    #[arg(long, global = true, env = "GATEHOUSE_SMTP_URL", value_parser = parse_secret, hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// Sender of pools that set none (`EmailConfiguration.From`).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_MAIL_FROM",
        default_value = "no-reply@localhost"
    )]
    pub mail_from: String,

    /// Milliseconds between the delivery worker's looks at the outbox (with SMTP only).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_OUTBOX_INTERVAL_MS",
        default_value_t = 1_000
    )]
    pub outbox_interval_ms: u64,

    /// Serve `GET /_dev/outbox?to=ADDR` (to loopback clients only): lets integration tests
    /// read the codes they were sent. Never in production.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_DEV_OUTBOX",
        default_value_t = false
    )]
    pub dev_outbox: bool,
}

/// The mail settings validated.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP server's URL, known to make a transport; `None`: hold mail in the outbox.
    pub smtp_url: Option<SecretString>,
    /// The sender address of pools without their own.
    pub default_sender: String,
    pub outbox_interval: std::time::Duration,
    pub dev_outbox: bool,
}

/// The worker may not poll the outbox more often than this.
const MIN_OUTBOX_INTERVAL_MS: u64 = 10;

impl MailSettings {
    pub fn validate(&self) -> Result<MailConfig, ConfigError> {
        let smtp_url = non_empty(self.smtp_url.as_ref()).cloned();
        if let Some(url) = &smtp_url {
            // Building the transport checks the URL; its error names no part of it.
            crate::mail::SmtpMailer::from_url(url)
                .map_err(|e| ConfigError::new("GATEHOUSE_SMTP_URL", e))?;
        }
        let default_sender = crate::domain::pool::EmailConfiguration::parse_from(&self.mail_from)
            .map_err(|e| ConfigError::new("GATEHOUSE_MAIL_FROM", e))?;
        if self.outbox_interval_ms < MIN_OUTBOX_INTERVAL_MS {
            return Err(ConfigError::new(
                "GATEHOUSE_OUTBOX_INTERVAL_MS",
                format!(
                    "must be at least {MIN_OUTBOX_INTERVAL_MS} ms (got {})",
                    self.outbox_interval_ms
                ),
            ));
        }
        Ok(MailConfig {
            smtp_url,
            default_sender,
            outbox_interval: std::time::Duration::from_millis(self.outbox_interval_ms),
            dev_outbox: self.dev_outbox,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn bad_mail_settings_are_refused_by_name() {
        let mut settings = Settings::defaults().mail;
        settings.mail_from = "not an address".into();
        assert_eq!(
            settings.validate().unwrap_err().variable,
            "GATEHOUSE_MAIL_FROM"
        );
        let mut settings = Settings::defaults().mail;
        settings.smtp_url = Some(SecretString::from("gopher://mail.example".to_owned()));
        assert_eq!(
            settings.validate().unwrap_err().variable,
            "GATEHOUSE_SMTP_URL"
        );
        let mut settings = Settings::defaults().mail;
        settings.outbox_interval_ms = 0;
        assert_eq!(
            settings.validate().unwrap_err().variable,
            "GATEHOUSE_OUTBOX_INTERVAL_MS"
        );
    }

    #[test]
    fn good_mail_settings_come_out_typed() {
        let config = Settings::defaults().mail.validate().unwrap();
        assert!(config.smtp_url.is_none());
        assert_eq!(config.default_sender, "no-reply@localhost");
        assert!(!config.dev_outbox);
        let mut settings = Settings::defaults().mail;
        settings.smtp_url = Some(SecretString::from(String::new()));
        assert!(settings.validate().unwrap().smtp_url.is_none());
        settings.smtp_url = Some(SecretString::from(
            "smtp://user:pass@mail.example:587?tls=starttls".to_owned(),
        ));
        assert!(settings.validate().unwrap().smtp_url.is_some());
    }
}
