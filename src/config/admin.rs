//! Admin settings: how the Cognito admin operations authenticate their callers.

use std::net::IpAddr;

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use super::{ConfigError, parse_secret};
use crate::http::sigv4::AdminAuth;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdminAuthSetting {
    /// Admin operations must be signed with AWS Signature Version 4 by a configured key.
    Sigv4,
    /// No check at all: for throwaway test setups only (logged loudly at start-up).
    InsecureNone,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Admin API")]
pub struct AdminSettings {
    /// How Cognito admin operations are authenticated: `sigv4` or `insecure-none`.
    #[arg(long, global = true, env = "GATEHOUSE_ADMIN_AUTH", value_enum, default_value_t = AdminAuthSetting::Sigv4)]
    pub admin_auth: AdminAuthSetting,

    /// With GATEHOUSE_ADMIN_AUTH=insecure-none, allow a bind address other than loopback:
    /// anyone who can reach the port can then administer every pool.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN",
        default_value_t = false
    )]
    pub i_understand_admin_is_open: bool,

    /// Access key ids allowed to call admin operations, comma-separated.
    #[arg(long, global = true, env = "GATEHOUSE_ADMIN_ACCESS_KEY_ID")]
    pub admin_access_key_id: Option<String>,

    /// The secret access keys of those ids, comma-separated in the same order.
    #[arg(long, global = true, env = "GATEHOUSE_ADMIN_SECRET_ACCESS_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub admin_secret_access_key: Option<SecretString>,
}

pub struct AdminConfig {
    pub auth: AdminAuth,
    open_acknowledged: bool,
}

impl std::fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            AdminAuth::Keys(keys) => format!("SigV4 with {} key(s)", keys.len()),
            AdminAuth::Disabled => "none".to_owned(),
            AdminAuth::Unconfigured => "SigV4 without keys".to_owned(),
        };
        f.debug_struct("AdminConfig")
            .field("auth", &auth)
            .field("open_acknowledged", &self.open_acknowledged)
            .finish()
    }
}

impl AdminSettings {
    pub fn validate(&self) -> Result<AdminConfig, ConfigError> {
        let auth = match self.admin_auth {
            AdminAuthSetting::InsecureNone => AdminAuth::Disabled,
            AdminAuthSetting::Sigv4 => AdminAuth::from_settings(
                self.admin_access_key_id.as_deref(),
                self.admin_secret_access_key.as_ref(),
            )
            .map_err(|e| {
                let variable = if self.admin_access_key_id.is_none() {
                    "GATEHOUSE_ADMIN_ACCESS_KEY_ID"
                } else {
                    "GATEHOUSE_ADMIN_SECRET_ACCESS_KEY"
                };
                ConfigError::new(variable, e)
            })?,
        };
        Ok(AdminConfig {
            auth,
            open_acknowledged: self.i_understand_admin_is_open,
        })
    }
}

impl AdminConfig {
    /// An open admin API on an address other hosts can reach is refused unless the operator
    /// says, in so many words, that they mean it: a test setting copied into a deployment
    /// must not hand the pools to everyone. Checked once the listener is bound.
    pub fn check_exposure(&self, bound: IpAddr) -> Result<(), ConfigError> {
        if matches!(self.auth, AdminAuth::Disabled)
            && !bound.to_canonical().is_loopback()
            && !self.open_acknowledged
        {
            return Err(ConfigError::new(
                "GATEHOUSE_ADMIN_AUTH",
                format!(
                    "insecure-none lets anyone who can reach {bound} administer every pool: bind \
                     to a loopback address (127.0.0.1, ::1), configure SigV4 keys, or set \
                     GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN=true"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn secret(value: &str) -> Option<SecretString> {
        Some(SecretString::from(value.to_owned()))
    }

    #[test]
    fn bad_admin_keys_are_refused_by_name() {
        let mut settings = Settings::defaults().admin;
        settings.admin_secret_access_key = secret("s3cret");
        let bad = settings.validate().unwrap_err();
        assert_eq!(bad.variable, "GATEHOUSE_ADMIN_ACCESS_KEY_ID");
        assert!(bad.message.contains("set both"), "{bad}");
        settings.admin_access_key_id = Some("a,b".into());
        let bad = settings.validate().unwrap_err();
        assert_eq!(bad.variable, "GATEHOUSE_ADMIN_SECRET_ACCESS_KEY");
        assert!(!bad.to_string().contains("s3cret"), "{bad}");
        settings.admin_access_key_id = Some("a".into());
        assert!(matches!(
            settings.validate().unwrap().auth,
            AdminAuth::Keys(_)
        ));
        assert!(matches!(
            Settings::defaults().admin.validate().unwrap().auth,
            AdminAuth::Unconfigured
        ));
    }

    #[test]
    fn an_open_admin_api_starts_only_on_loopback_unless_acknowledged() {
        let mut settings = Settings::defaults().admin;
        settings.admin_auth = AdminAuthSetting::InsecureNone;
        let config = settings.validate().unwrap();
        for (ip, starts) in [
            ("127.0.0.1", true),
            ("127.0.0.2", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("0.0.0.0", false),
            ("::", false),
            ("192.0.2.1", false),
            ("::ffff:192.0.2.1", false),
        ] {
            let checked = config.check_exposure(ip.parse().unwrap());
            assert_eq!(checked.is_ok(), starts, "{ip}");
            if let Err(refused) = checked {
                assert_eq!(refused.variable, "GATEHOUSE_ADMIN_AUTH");
                assert!(
                    refused
                        .message
                        .contains("GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN")
                );
            }
        }
        settings.i_understand_admin_is_open = true;
        let acknowledged = settings.validate().unwrap();
        assert!(
            acknowledged
                .check_exposure("0.0.0.0".parse().unwrap())
                .is_ok()
        );
        // Signed admin calls may be served anywhere.
        let signed = Settings::defaults().admin.validate().unwrap();
        assert!(signed.check_exposure("0.0.0.0".parse().unwrap()).is_ok());
    }
}
