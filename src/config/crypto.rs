//! Cryptography settings: the key-encryption key, the pepper, the Argon2id cost and how
//! signing keys rotate.

use std::path::{Path, PathBuf};

use clap::Args;
use secrecy::{ExposeSecret, SecretString};

use super::database::DatabaseConfig;
use super::{ConfigError, non_empty, parse_secret};
use crate::auth::keys::KeyPolicy;
use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::password::{Argon2Cost, MIN_ITERATIONS, MIN_MEMORY_KIB, Pepper};
use crate::http::well_known::JWKS_MAX_AGE_SECONDS;
use crate::store::Backend;

/// A pepper id is stored beside every hash; the column holds 32 characters.
const MAX_PEPPER_ID_CHARS: usize = 32;

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Cryptography")]
pub struct CryptoSettings {
    /// 32 bytes, base64: encrypts signing keys at rest. Required with Postgres; with SQLite
    /// one is generated into `<database dir>/gatehouse.kek` when absent.
    #[arg(long, global = true, env = "GATEHOUSE_KEY_ENCRYPTION_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub key_encryption_key: Option<SecretString>,

    /// Secret mixed into every password hash (Argon2's secret input). Required with Postgres.
    #[arg(long, global = true, env = "GATEHOUSE_PEPPER", value_parser = parse_secret, hide_env_values = true)]
    pub pepper: Option<SecretString>,

    /// Id stored beside each hash made with the current pepper.
    #[arg(long, global = true, env = "GATEHOUSE_PEPPER_ID", default_value = "1")]
    pub pepper_id: String,

    /// Earlier peppers as `id:secret`, comma-separated: hashes made with them still verify,
    /// and are rehashed with the current pepper at the user's next sign-in.
    #[arg(long, global = true, env = "GATEHOUSE_RETIRED_PEPPERS", value_parser = parse_secret, hide_env_values = true)]
    pub retired_peppers: Option<SecretString>,

    // The default Argon2id cost is crypto::password's: the floor, one lane.
    /// Argon2id memory cost in KiB (floor 19456).
    #[arg(long, global = true, env = "GATEHOUSE_ARGON2_MEMORY_KIB", default_value_t = Argon2Cost::default().memory_kib)]
    pub argon2_memory_kib: u32,

    /// Argon2id passes (floor 2).
    #[arg(long, global = true, env = "GATEHOUSE_ARGON2_ITERATIONS", default_value_t = Argon2Cost::default().iterations)]
    pub argon2_iterations: u32,

    /// Argon2id lanes.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_ARGON2_PARALLELISM",
        default_value_t = Argon2Cost::default().parallelism
    )]
    pub argon2_parallelism: u32,

    /// Allow Argon2 parameters below the floor (tests and throwaway setups only; logged loudly).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING",
        default_value_t = false
    )]
    pub allow_weak_password_hashing: bool,

    /// Seconds between publishing a rotated signing key and signing with it; keep it above
    /// the JWKS cache max-age (300 s).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS",
        default_value_t = 600
    )]
    pub key_activation_delay_seconds: i64,

    /// Rotate each pool's signing keys when they are this many days old (0: only by command).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_KEY_ROTATION_DAYS",
        default_value_t = 0
    )]
    pub key_rotation_days: u32,
}

/// Where the key-encryption key comes from.
#[derive(Debug)]
pub enum KekSource {
    /// GATEHOUSE_KEY_ENCRYPTION_KEY.
    Given(KeyEncryptionKey),
    /// An embedded database's own key file, created on first start.
    FileBesideDatabase(PathBuf),
    /// An in-memory database: a key that lives as long as it does.
    Throwaway,
}

#[derive(Debug)]
pub struct CryptoConfig {
    pub key_encryption_key: KekSource,
    pub passwords: PasswordHashing,
    pub keys: KeyPolicy,
}

/// How passwords are hashed.
#[derive(Debug)]
pub struct PasswordHashing {
    pub argon2: Argon2Cost,
    /// The cost is below the floor and GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING allowed it.
    pub below_floor: bool,
    /// None: no pepper (embedded mode only).
    pub pepper: Option<Pepper>,
    pub retired_peppers: Vec<Pepper>,
}

impl CryptoSettings {
    pub fn pepper(&self) -> Option<&SecretString> {
        non_empty(self.pepper.as_ref())
    }

    pub fn key_encryption_key(&self) -> Option<&SecretString> {
        non_empty(self.key_encryption_key.as_ref())
    }

    pub fn argon2_cost(&self) -> Argon2Cost {
        Argon2Cost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }

    /// Postgres needs the KEK and the pepper given: replicas must share them, and the
    /// database must never hold them.
    pub fn validate(&self, database: &DatabaseConfig) -> Result<CryptoConfig, ConfigError> {
        let argon2 = self.argon2_cost();
        let below_floor = argon2.is_below_floor();
        if below_floor && !self.allow_weak_password_hashing {
            let variable = if argon2.memory_kib < MIN_MEMORY_KIB {
                "GATEHOUSE_ARGON2_MEMORY_KIB"
            } else {
                "GATEHOUSE_ARGON2_ITERATIONS"
            };
            return Err(ConfigError::new(
                variable,
                format!(
                    "Argon2 parameters m={} KiB, t={} are below the floor (m >= {MIN_MEMORY_KIB} \
                     KiB, t >= {MIN_ITERATIONS}); set GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING=true \
                     only for tests",
                    argon2.memory_kib, argon2.iterations
                ),
            ));
        }
        if argon2.parallelism == 0 {
            return Err(ConfigError::new(
                "GATEHOUSE_ARGON2_PARALLELISM",
                "must be at least 1",
            ));
        }
        let pepper = self.current_pepper(database.backend)?;
        Ok(CryptoConfig {
            key_encryption_key: self.kek_source(database)?,
            passwords: PasswordHashing {
                argon2,
                below_floor,
                retired_peppers: self.retired(pepper.as_ref())?,
                pepper,
            },
            keys: self.key_policy()?,
        })
    }

    fn kek_source(&self, database: &DatabaseConfig) -> Result<KekSource, ConfigError> {
        if let Some(encoded) = self.key_encryption_key() {
            return KeyEncryptionKey::parse(encoded)
                .map(KekSource::Given)
                .map_err(|e| ConfigError::new("GATEHOUSE_KEY_ENCRYPTION_KEY", e.to_string()));
        }
        match database.backend {
            Backend::Postgres => Err(ConfigError::new(
                "GATEHOUSE_KEY_ENCRYPTION_KEY",
                "is required with Postgres: 32 random bytes, base64 (openssl rand -base64 32), \
                 kept outside the database",
            )),
            Backend::Sqlite => Ok(
                match crate::store::sqlite_database_path(database.url.expose_secret()) {
                    None => KekSource::Throwaway,
                    Some(file) => {
                        let directory = file.parent().filter(|p| !p.as_os_str().is_empty());
                        KekSource::FileBesideDatabase(
                            directory
                                .unwrap_or_else(|| Path::new("."))
                                .join("gatehouse.kek"),
                        )
                    }
                },
            ),
        }
    }

    fn current_pepper(&self, backend: Backend) -> Result<Option<Pepper>, ConfigError> {
        match (self.pepper(), backend) {
            (Some(secret), _) => {
                if self.pepper_id.is_empty() || self.pepper_id.len() > MAX_PEPPER_ID_CHARS {
                    return Err(ConfigError::new(
                        "GATEHOUSE_PEPPER_ID",
                        format!("must be 1-{MAX_PEPPER_ID_CHARS} characters"),
                    ));
                }
                Ok(Some(Pepper {
                    id: self.pepper_id.clone(),
                    secret: secret.clone(),
                }))
            }
            (None, Backend::Postgres) => Err(ConfigError::new(
                "GATEHOUSE_PEPPER",
                "is required with Postgres: a long random secret kept outside the database \
                 (openssl rand -base64 32)",
            )),
            (None, Backend::Sqlite) => Ok(None),
        }
    }

    /// Parses `GATEHOUSE_RETIRED_PEPPERS` (`id:secret,id:secret`).
    fn retired(&self, current: Option<&Pepper>) -> Result<Vec<Pepper>, ConfigError> {
        let Some(raw) = non_empty(self.retired_peppers.as_ref()) else {
            return Ok(Vec::new());
        };
        let mut peppers: Vec<Pepper> = Vec::new();
        for entry in raw.expose_secret().split(',') {
            let (id, secret) = entry.trim().split_once(':').ok_or_else(|| {
                ConfigError::new("GATEHOUSE_RETIRED_PEPPERS", "entries must be id:secret")
            })?;
            let clash = current.is_some_and(|c| c.id == id) || peppers.iter().any(|p| p.id == id);
            if id.is_empty() || id.len() > MAX_PEPPER_ID_CHARS || secret.is_empty() || clash {
                return Err(ConfigError::new(
                    "GATEHOUSE_RETIRED_PEPPERS",
                    format!(
                        "each id must be 1-{MAX_PEPPER_ID_CHARS} characters, distinct, and not \
                         the current GATEHOUSE_PEPPER_ID, with a non-empty secret"
                    ),
                ));
            }
            peppers.push(Pepper {
                id: id.to_owned(),
                secret: SecretString::from(secret.to_owned()),
            });
        }
        Ok(peppers)
    }

    fn key_policy(&self) -> Result<KeyPolicy, ConfigError> {
        if self.key_activation_delay_seconds <= i64::from(JWKS_MAX_AGE_SECONDS) {
            return Err(ConfigError::new(
                "GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS",
                format!(
                    "must exceed the JWKS cache max-age ({JWKS_MAX_AGE_SECONDS} s), or verifiers \
                     could meet a key they have not fetched"
                ),
            ));
        }
        Ok(KeyPolicy {
            activation_delay_seconds: self.key_activation_delay_seconds,
            rotation_days: (self.key_rotation_days > 0).then_some(self.key_rotation_days),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    const KEK: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

    fn secret(value: &str) -> Option<SecretString> {
        Some(SecretString::from(value.to_owned()))
    }

    fn on(
        database_url: &str,
        change: impl FnOnce(&mut CryptoSettings),
    ) -> Result<CryptoConfig, ConfigError> {
        let settings = Settings::with_database(database_url);
        let database = settings.database.validate().unwrap();
        let mut crypto = settings.crypto;
        change(&mut crypto);
        crypto.validate(&database)
    }

    fn error(change: impl FnOnce(&mut CryptoSettings)) -> ConfigError {
        on("sqlite::memory:", change).unwrap_err()
    }

    #[test]
    fn bad_crypto_settings_are_refused_by_name() {
        let weak = error(|s| s.argon2_memory_kib = 1024);
        assert_eq!(weak.variable, "GATEHOUSE_ARGON2_MEMORY_KIB");
        assert!(
            weak.message
                .contains("GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING"),
            "{weak}"
        );
        assert_eq!(
            error(|s| s.argon2_iterations = 1).variable,
            "GATEHOUSE_ARGON2_ITERATIONS"
        );
        assert_eq!(
            error(|s| s.argon2_parallelism = 0).variable,
            "GATEHOUSE_ARGON2_PARALLELISM"
        );
        let kek = error(|s| s.key_encryption_key = secret("not base64 of 32 bytes"));
        assert_eq!(kek.variable, "GATEHOUSE_KEY_ENCRYPTION_KEY");
        assert!(
            !kek.to_string().contains("not base64"),
            "the value is not repeated: {kek}"
        );
        assert_eq!(
            error(|s| {
                s.pepper = secret("pepper");
                s.pepper_id = "x".repeat(33);
            })
            .variable,
            "GATEHOUSE_PEPPER_ID"
        );
        for bad in [
            "no-colon",
            "1:same-id-as-current",
            ":empty-id",
            "2:",
            "2:a,2:b",
        ] {
            let error = error(|s| {
                s.pepper = secret("pepper");
                s.retired_peppers = secret(bad);
            });
            assert_eq!(error.variable, "GATEHOUSE_RETIRED_PEPPERS", "{bad}");
            assert!(!error.to_string().contains("pepper,"), "{error}");
        }
        assert_eq!(
            error(|s| s.key_activation_delay_seconds = 300).variable,
            "GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS"
        );
    }

    #[test]
    fn postgres_needs_the_kek_and_the_pepper() {
        let postgres = "postgres://localhost/g";
        let missing = on(postgres, |_| {}).unwrap_err();
        assert_eq!(missing.variable, "GATEHOUSE_PEPPER");
        let missing = on(postgres, |s| s.pepper = secret("pepper")).unwrap_err();
        assert_eq!(missing.variable, "GATEHOUSE_KEY_ENCRYPTION_KEY");
        assert!(
            missing.message.contains("required with Postgres"),
            "{missing}"
        );
        // An empty value is no value.
        let empty = on(postgres, |s| {
            s.pepper = secret(" ");
            s.key_encryption_key = secret(KEK);
        })
        .unwrap_err();
        assert_eq!(empty.variable, "GATEHOUSE_PEPPER");
        let config = on(postgres, |s| {
            s.pepper = secret("pepper");
            s.key_encryption_key = secret(KEK);
        })
        .unwrap();
        assert!(matches!(config.key_encryption_key, KekSource::Given(_)));
        assert_eq!(config.passwords.pepper.map(|p| p.id), Some("1".to_owned()));
    }

    #[test]
    fn an_embedded_database_keeps_its_kek_beside_it() {
        let config = on("sqlite://data/users.db", |_| {}).unwrap();
        assert!(
            matches!(&config.key_encryption_key, KekSource::FileBesideDatabase(path) if path == Path::new("data/gatehouse.kek")),
            "{:?}",
            config.key_encryption_key
        );
        let config = on("sqlite::memory:", |s| {
            s.argon2_memory_kib = 64;
            s.allow_weak_password_hashing = true;
            s.key_rotation_days = 30;
        })
        .unwrap();
        assert!(matches!(config.key_encryption_key, KekSource::Throwaway));
        assert!(config.passwords.below_floor);
        assert!(config.passwords.pepper.is_none());
        assert_eq!(config.keys.rotation_days, Some(30));
        assert_eq!(config.keys.activation_delay_seconds, 600);
    }
}
