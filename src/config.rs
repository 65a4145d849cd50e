//! Settings: every one is an environment variable `GATEHOUSE_*` and the same as a flag.
//! A `.env` file in the working directory is read first when present. Secrets are
//! `SecretString`s: `Debug` shows `[REDACTED]`, and help output never prints their values.

use clap::{Args, ValueEnum};
use secrecy::SecretString;

use crate::crypto::password::{Argon2Cost, MIN_ITERATIONS, MIN_MEMORY_KIB};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://gatehouse.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_REGION: &str = "us-east-1";
pub const DEFAULT_PEPPER_ID: &str = "1";
pub const DEFAULT_DB_MAX_CONNECTIONS: u32 = 10;
pub const DEFAULT_DB_ACQUIRE_TIMEOUT_MS: u64 = 3_000;
pub const DEFAULT_HASH_QUEUE: usize = 64;
/// A caller finding the hashing queue full waits this long for a place before its 429.
pub const DEFAULT_HASH_MAX_WAIT_MS: u64 = 1_000;
pub const DEFAULT_KEY_ACTIVATION_DELAY_SECONDS: i64 = 600;
pub const DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS: u64 = 300;
pub const DEFAULT_SIGN_IN_RATE_PER_IP: u32 = 300;
pub const DEFAULT_SIGN_UP_RATE_PER_IP: u32 = 20;
pub const DEFAULT_SHUTDOWN_TIMEOUT_SECONDS: u64 = 30;
/// Slow clients: seconds allowed for a request's headers, then for its body, before 408.
pub const DEFAULT_REQUEST_HEADER_TIMEOUT_SECONDS: u64 = 10;
pub const DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS: u64 = 10;
/// How often each replica's delivery worker looks for due messages.
pub const DEFAULT_OUTBOX_INTERVAL_MS: u64 = 1_000;
pub const DEFAULT_MAIL_FROM: &str = crate::auth::messages::DEFAULT_SENDER;
pub const DEFAULT_LOG_FILTER: &str = "info,refinery_core=warn";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IssuerStyleSetting {
    /// `<public url>/<pool id>`
    Gatehouse,
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`
    Aws,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdminAuthSetting {
    /// Admin operations must be signed with AWS Signature Version 4 by a configured key.
    Sigv4,
    /// No check at all: for throwaway test setups only (logged loudly at start-up).
    InsecureNone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

fn parse_secret(raw: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(raw.to_owned()))
}

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database: `sqlite://<file>` (embedded, the default) or `postgres://…`.
    #[arg(long, global = true, env = "GATEHOUSE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = parse_secret, hide_env_values = true, hide_default_value = true)]
    pub database_url: SecretString,

    /// Largest number of open database connections per process.
    #[arg(long, global = true, env = "GATEHOUSE_DB_MAX_CONNECTIONS", default_value_t = DEFAULT_DB_MAX_CONNECTIONS)]
    pub db_max_connections: u32,

    /// Milliseconds a request may wait for a database connection (connecting included)
    /// before it is answered 503; also the budget for retrying transient database errors.
    #[arg(long, global = true, env = "GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS", default_value_t = DEFAULT_DB_ACQUIRE_TIMEOUT_MS)]
    pub db_acquire_timeout_ms: u64,

    /// Seconds an unused database connection stays open. Default: 3 on SQLite (a connection
    /// is a file open away, and each holds its page and statement caches in this process),
    /// 600 on Postgres (a connection costs a handshake; its caches live in the server).
    #[arg(long, global = true, env = "GATEHOUSE_DB_IDLE_TIMEOUT_SECONDS")]
    pub db_idle_timeout_seconds: Option<u64>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, global = true, env = "GATEHOUSE_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,

    /// Serve `/metrics` on this address instead of the public listener (port 0 picks a free
    /// port). Unset: `/metrics` is on the public listener.
    #[arg(long, global = true, env = "GATEHOUSE_METRICS_BIND")]
    pub metrics_bind: Option<String>,

    /// The URL clients reach Gatehouse at; issuers and JWKS URLs are built from it.
    /// Default: `http://<bound address>`.
    #[arg(long, global = true, env = "GATEHOUSE_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Region prefix of new pool ids (AWS clients read it).
    #[arg(long, global = true, env = "GATEHOUSE_REGION", default_value = DEFAULT_REGION)]
    pub region: String,

    /// How token issuers are spelled.
    #[arg(long, global = true, env = "GATEHOUSE_ISSUER_STYLE", value_enum, default_value_t = IssuerStyleSetting::Gatehouse)]
    pub issuer_style: IssuerStyleSetting,

    /// 32 bytes, base64: encrypts signing keys at rest. Required with Postgres; with SQLite
    /// one is generated into `<database dir>/gatehouse.kek` when absent.
    #[arg(long, global = true, env = "GATEHOUSE_KEY_ENCRYPTION_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub key_encryption_key: Option<SecretString>,

    /// Secret mixed into every password hash (Argon2's secret input). Required with Postgres.
    #[arg(long, global = true, env = "GATEHOUSE_PEPPER", value_parser = parse_secret, hide_env_values = true)]
    pub pepper: Option<SecretString>,

    /// Id stored beside each hash made with the current pepper.
    #[arg(long, global = true, env = "GATEHOUSE_PEPPER_ID", default_value = DEFAULT_PEPPER_ID)]
    pub pepper_id: String,

    /// Earlier peppers as `id:secret`, comma-separated: hashes made with them still verify,
    /// and are rehashed with the current pepper at the user's next sign-in.
    #[arg(long, global = true, env = "GATEHOUSE_RETIRED_PEPPERS", value_parser = parse_secret, hide_env_values = true)]
    pub retired_peppers: Option<SecretString>,

    /// Argon2id memory cost in KiB (floor 19456).
    #[arg(long, global = true, env = "GATEHOUSE_ARGON2_MEMORY_KIB", default_value_t = MIN_MEMORY_KIB)]
    pub argon2_memory_kib: u32,

    /// Argon2id passes (floor 2).
    #[arg(long, global = true, env = "GATEHOUSE_ARGON2_ITERATIONS", default_value_t = MIN_ITERATIONS)]
    pub argon2_iterations: u32,

    /// Argon2id lanes.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_ARGON2_PARALLELISM",
        default_value_t = 1
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

    /// Password hashes computed at once. Default: the number of CPUs.
    #[arg(long, global = true, env = "GATEHOUSE_HASH_WORKERS")]
    pub hash_workers: Option<usize>,

    /// Password hashes (sign-ins, password sets) allowed to wait for a hashing worker.
    #[arg(long, global = true, env = "GATEHOUSE_HASH_QUEUE", default_value_t = DEFAULT_HASH_QUEUE)]
    pub hash_queue: usize,

    /// Milliseconds a request finding the hashing queue full waits for a place before it is
    /// answered 429 TooManyRequestsException.
    #[arg(long, global = true, env = "GATEHOUSE_HASH_MAX_WAIT_MS", default_value_t = DEFAULT_HASH_MAX_WAIT_MS)]
    pub hash_max_wait_ms: u64,

    /// HTTP worker threads. Default: the number of CPUs.
    #[arg(long, global = true, env = "GATEHOUSE_HTTP_WORKERS")]
    pub http_workers: Option<usize>,

    /// Seconds a client has to send a request's headers; slower ones get 408 (slowloris).
    #[arg(long, global = true, env = "GATEHOUSE_REQUEST_HEADER_TIMEOUT_SECONDS", default_value_t = DEFAULT_REQUEST_HEADER_TIMEOUT_SECONDS)]
    pub request_header_timeout_seconds: u64,

    /// Seconds a client has to send a request's body once its headers arrived; then 408.
    #[arg(long, global = true, env = "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS", default_value_t = DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS)]
    pub request_body_timeout_seconds: u64,

    /// Seconds between publishing a rotated signing key and signing with it; keep it above
    /// the JWKS cache max-age (300 s).
    #[arg(long, global = true, env = "GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS", default_value_t = DEFAULT_KEY_ACTIVATION_DELAY_SECONDS)]
    pub key_activation_delay_seconds: i64,

    /// Rotate each pool's signing keys when they are this many days old (0: only by command).
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_KEY_ROTATION_DAYS",
        default_value_t = 0
    )]
    pub key_rotation_days: u32,

    /// Seconds between housekeeping passes (expired sessions, retired keys, scheduled
    /// rotation); 0 turns the background task off.
    #[arg(long, global = true, env = "GATEHOUSE_HOUSEKEEPING_INTERVAL_SECONDS", default_value_t = DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS)]
    pub housekeeping_interval_seconds: u64,

    /// SMTP server for outgoing mail: `smtps://user:pass@host:465`,
    /// `smtp://user:pass@host:587?tls=starttls`, or `smtp://host:25` (plain). Unset (the
    /// embedded default): messages are held in the outbox (`gatehouse outbox list`).
    #[arg(long, global = true, env = "GATEHOUSE_SMTP_URL", value_parser = parse_secret, hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// Sender of pools that set none (`EmailConfiguration.From`).
    #[arg(long, global = true, env = "GATEHOUSE_MAIL_FROM", default_value = DEFAULT_MAIL_FROM)]
    pub mail_from: String,

    /// Milliseconds between the delivery worker's looks at the outbox (with SMTP only).
    #[arg(long, global = true, env = "GATEHOUSE_OUTBOX_INTERVAL_MS", default_value_t = DEFAULT_OUTBOX_INTERVAL_MS)]
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

    /// PEM certificate chain: with GATEHOUSE_TLS_KEY, serve HTTPS (TLS 1.2 and 1.3 only).
    #[arg(long, global = true, env = "GATEHOUSE_TLS_CERT")]
    pub tls_cert: Option<std::path::PathBuf>,

    /// PEM private key of that certificate.
    #[arg(long, global = true, env = "GATEHOUSE_TLS_KEY")]
    pub tls_key: Option<std::path::PathBuf>,

    /// Sign-in attempts allowed per client address per minute (0: no limit).
    #[arg(long, global = true, env = "GATEHOUSE_SIGN_IN_RATE_PER_IP", default_value_t = DEFAULT_SIGN_IN_RATE_PER_IP)]
    pub sign_in_rate_per_ip: u32,

    /// SignUp requests allowed per client address per minute (0: no limit). SignUp's
    /// UsernameExistsException says a name is taken, so this bounds that oracle.
    #[arg(long, global = true, env = "GATEHOUSE_SIGN_UP_RATE_PER_IP", default_value_t = DEFAULT_SIGN_UP_RATE_PER_IP)]
    pub sign_up_rate_per_ip: u32,

    /// Proxies whose X-Forwarded-For is believed: addresses or CIDR ranges, comma-separated.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,

    /// Origins browsers may call Gatehouse from (CORS), comma-separated; `*` for any, empty
    /// for none. Tokens travel in bodies and headers, never cookies, so `*` opens no CSRF hole.
    #[arg(
        long,
        global = true,
        env = "GATEHOUSE_CORS_ALLOWED_ORIGINS",
        default_value = "*"
    )]
    pub cors_allowed_origins: String,

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

    /// On SIGTERM, how long requests in flight may take to finish before their connections
    /// are closed.
    #[arg(long, global = true, env = "GATEHOUSE_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = DEFAULT_SHUTDOWN_TIMEOUT_SECONDS)]
    pub shutdown_timeout_seconds: u64,

    /// Log output: `text` or `json`.
    #[arg(long, global = true, env = "GATEHOUSE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Log filter (tracing `EnvFilter` syntax), e.g. `info` or `gatehouse=debug,info`.
    #[arg(long, global = true, env = "GATEHOUSE_LOG", default_value = DEFAULT_LOG_FILTER)]
    pub log: String,
}

impl Settings {
    /// The defaults, with the given database: what tests start from.
    pub fn with_database(database_url: &str) -> Self {
        Self {
            database_url: SecretString::from(database_url.to_owned()),
            db_max_connections: DEFAULT_DB_MAX_CONNECTIONS,
            db_acquire_timeout_ms: DEFAULT_DB_ACQUIRE_TIMEOUT_MS,
            db_idle_timeout_seconds: None,
            bind: DEFAULT_BIND.to_owned(),
            metrics_bind: None,
            public_url: None,
            region: DEFAULT_REGION.to_owned(),
            issuer_style: IssuerStyleSetting::Gatehouse,
            key_encryption_key: None,
            pepper: None,
            pepper_id: DEFAULT_PEPPER_ID.to_owned(),
            retired_peppers: None,
            argon2_memory_kib: MIN_MEMORY_KIB,
            argon2_iterations: MIN_ITERATIONS,
            argon2_parallelism: 1,
            allow_weak_password_hashing: false,
            hash_workers: None,
            hash_queue: DEFAULT_HASH_QUEUE,
            hash_max_wait_ms: DEFAULT_HASH_MAX_WAIT_MS,
            http_workers: None,
            request_header_timeout_seconds: DEFAULT_REQUEST_HEADER_TIMEOUT_SECONDS,
            request_body_timeout_seconds: DEFAULT_REQUEST_BODY_TIMEOUT_SECONDS,
            sign_in_rate_per_ip: DEFAULT_SIGN_IN_RATE_PER_IP,
            sign_up_rate_per_ip: DEFAULT_SIGN_UP_RATE_PER_IP,
            trusted_proxies: String::new(),
            tls_cert: None,
            tls_key: None,
            cors_allowed_origins: "*".to_owned(),
            admin_auth: AdminAuthSetting::Sigv4,
            i_understand_admin_is_open: false,
            admin_access_key_id: None,
            admin_secret_access_key: None,
            key_activation_delay_seconds: DEFAULT_KEY_ACTIVATION_DELAY_SECONDS,
            key_rotation_days: 0,
            housekeeping_interval_seconds: DEFAULT_HOUSEKEEPING_INTERVAL_SECONDS,
            smtp_url: None,
            mail_from: DEFAULT_MAIL_FROM.to_owned(),
            outbox_interval_ms: DEFAULT_OUTBOX_INTERVAL_MS,
            dev_outbox: false,
            shutdown_timeout_seconds: DEFAULT_SHUTDOWN_TIMEOUT_SECONDS,
            log_format: LogFormat::Text,
            log: DEFAULT_LOG_FILTER.to_owned(),
        }
    }

    /// A secret set to the empty string counts as not set: `GATEHOUSE_PEPPER=` in a `.env`
    /// file must not pass for a pepper.
    pub fn pepper(&self) -> Option<&SecretString> {
        non_empty(self.pepper.as_ref())
    }

    pub fn key_encryption_key(&self) -> Option<&SecretString> {
        non_empty(self.key_encryption_key.as_ref())
    }

    pub fn smtp_url(&self) -> Option<&SecretString> {
        non_empty(self.smtp_url.as_ref())
    }

    pub fn argon2_cost(&self) -> Argon2Cost {
        Argon2Cost {
            memory_kib: self.argon2_memory_kib,
            iterations: self.argon2_iterations,
            parallelism: self.argon2_parallelism,
        }
    }
}

fn non_empty(secret: Option<&SecretString>) -> Option<&SecretString> {
    use secrecy::ExposeSecret;
    secret.filter(|s| !s.expose_secret().trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let mut settings = Settings::with_database("postgres://app:db-password-1@localhost/g");
        settings.pepper = Some(SecretString::from("pepper-value-2".to_owned()));
        settings.key_encryption_key = Some(SecretString::from("kek-value-3".to_owned()));
        settings.smtp_url = Some(SecretString::from(
            "smtps://mailer:smtp-password-4@mail.example.com".to_owned(),
        ));
        let shown = format!("{settings:?}");
        for secret in [
            "db-password-1",
            "pepper-value-2",
            "kek-value-3",
            "smtp-password-4",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
    }

    #[test]
    fn empty_secrets_count_as_unset() {
        let mut settings = Settings::with_database("sqlite::memory:");
        settings.pepper = Some(SecretString::from(String::new()));
        settings.key_encryption_key = Some(SecretString::from("  ".to_owned()));
        assert!(settings.pepper().is_none());
        assert!(settings.key_encryption_key().is_none());
    }
}
