//! Start-up: settings in, a running server (or the services the CLI needs) out.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App as ActixApp, HttpServer, web};
use secrecy::ExposeSecret;

use crate::auth::keys::KeyPolicy;
use crate::auth::messages::{MailSettings, Mailer};
use crate::auth::{IssuerStyle, Services, SigningKeys};
use crate::config::{AdminAuthSetting, IssuerStyleSetting, Settings};
use crate::crypto::kek::KeyEncryptionKey;
use crate::crypto::password::{HasherLimits, PasswordHasher, Pepper};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::error_chain::ErrorChain;
use crate::domain::ids::Region;
use crate::domain::telemetry::{NoTelemetry, Telemetry};
use crate::http;
use crate::http::sigv4::AdminAuth;
use crate::http::well_known::{JWKS_MAX_AGE_SECONDS, PublicUrl};
use crate::store::sql::{MigrateError, backend_of};
use crate::store::{Backend, ConnectOptions, SqlStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot open the database")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Migrate(#[from] MigrateError),
    #[error("cannot listen on {address}")]
    Bind {
        address: String,
        #[source]
        cause: std::io::Error,
    },
}

/// Opens the database named by the settings and brings its schema up to date.
pub async fn open_store(settings: &Settings) -> Result<Arc<SqlStore>, StartupError> {
    let url = settings.database_url.expose_secret();
    backend_of(url).map_err(StartupError::Config)?;
    let store = SqlStore::connect_with(
        url,
        ConnectOptions {
            max_connections: settings.db_max_connections,
            acquire_timeout: Duration::from_millis(settings.db_acquire_timeout_ms.max(1)),
            idle_timeout: settings.db_idle_timeout_seconds.map(Duration::from_secs),
        },
    )
    .await?;
    let report = store.migrate().await?;
    if report.applied.is_empty() {
        tracing::debug!(version = report.version, "database schema is current");
    } else {
        tracing::info!(applied = ?report.applied, version = report.version, "database migrated");
    }
    Ok(Arc::new(store))
}

/// Applies pending migrations and reports where the schema stands (`gatehouse migrate`).
pub async fn migrate(settings: &Settings) -> Result<crate::store::SchemaStatus, StartupError> {
    let store = open_store(settings).await?;
    Ok(crate::store::Store::schema_status(&*store).await?)
}

/// The use cases over a freshly opened (and migrated) database, for the operator's commands.
pub async fn open_services(settings: &Settings) -> Result<Services, StartupError> {
    let store = open_store(settings).await?;
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.bind));
    build_services(settings, store, Arc::new(SystemClock), &public_url)
}

/// Builds the use-case services over an open store.
pub fn build_services(
    settings: &Settings,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    public_url: &str,
) -> Result<Services, StartupError> {
    build_observed_services(settings, store, clock, public_url, Arc::new(NoTelemetry))
}

/// Builds the use-case services, reporting what they do to `telemetry`.
pub fn build_observed_services(
    settings: &Settings,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    public_url: &str,
    telemetry: Arc<dyn Telemetry>,
) -> Result<Services, StartupError> {
    let backend = crate::store::Store::backend(&*store);
    let region = Region::parse(&settings.region).map_err(StartupError::Config)?;
    let kek = Arc::new(key_encryption_key(settings, backend)?);
    let hasher = password_hasher(settings, backend)?.observed_by(telemetry.clone());
    let issuer = match settings.issuer_style {
        IssuerStyleSetting::Gatehouse => IssuerStyle::Gatehouse {
            public_url: public_url.to_owned(),
        },
        IssuerStyleSetting::Aws => IssuerStyle::Aws,
    };
    let store: Arc<dyn crate::store::Store> = store;
    let mail = MailSettings {
        smtp: settings.smtp_url().is_some(),
        default_sender: crate::domain::pool::EmailConfiguration::parse_from(&settings.mail_from)
            .map_err(|e| StartupError::Config(format!("GATEHOUSE_MAIL_FROM: {e}")))?,
    };
    Ok(Services {
        mail,
        keys: SigningKeys::new(
            store.clone(),
            clock.clone(),
            kek.clone(),
            key_policy(settings)?,
        ),
        kek,
        store,
        clock,
        hasher,
        issuer,
        region,
        telemetry,
    })
}

/// The admin authentication for a server bound to `bound`. An open admin API on an address
/// other hosts can reach is refused unless the operator says, in so many words, that they
/// mean it: a test setting copied into a deployment must not hand the pools to everyone.
fn admin_auth(settings: &Settings, bound: std::net::IpAddr) -> Result<AdminAuth, StartupError> {
    match settings.admin_auth {
        AdminAuthSetting::InsecureNone
            if !bound.to_canonical().is_loopback() && !settings.i_understand_admin_is_open =>
        {
            Err(StartupError::Config(format!(
                "GATEHOUSE_ADMIN_AUTH=insecure-none lets anyone who can reach {bound} administer \
                 every pool: bind to a loopback address (127.0.0.1, ::1), configure SigV4 keys, \
                 or set GATEHOUSE_I_UNDERSTAND_ADMIN_IS_OPEN=true"
            )))
        }
        AdminAuthSetting::InsecureNone => {
            tracing::warn!(
                "!!! GATEHOUSE_ADMIN_AUTH=insecure-none: Cognito admin operations accept ANY caller. \
                 Use this only for throwaway test setups. !!!"
            );
            Ok(AdminAuth::Disabled)
        }
        AdminAuthSetting::Sigv4 => AdminAuth::from_settings(
            settings.admin_access_key_id.as_deref(),
            settings.admin_secret_access_key.as_ref(),
        )
        .map_err(StartupError::Config),
    }
}

fn key_policy(settings: &Settings) -> Result<KeyPolicy, StartupError> {
    if settings.key_activation_delay_seconds <= i64::from(JWKS_MAX_AGE_SECONDS) {
        return Err(StartupError::Config(format!(
            "GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS must exceed the JWKS cache max-age \
             ({JWKS_MAX_AGE_SECONDS} s), or verifiers could meet a key they have not fetched"
        )));
    }
    Ok(KeyPolicy {
        activation_delay_seconds: settings.key_activation_delay_seconds,
        rotation_days: (settings.key_rotation_days > 0).then_some(settings.key_rotation_days),
    })
}

/// Runs housekeeping every `interval` until told to stop; a pass under way finishes first.
fn spawn_housekeeping(
    services: Services,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => return,
            }
            if let Err(error) = services.housekeeping_pass().await {
                tracing::warn!(error = %ErrorChain(&error), "housekeeping pass failed; will retry");
            }
        }
    })
}

/// Runs the outbox delivery worker every `interval` until told to stop. Every replica runs
/// one; the leases in the outbox keep them from sending a message twice.
fn spawn_delivery(
    services: Services,
    mailer: Arc<dyn Mailer>,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    // This worker's name on the leases it takes: unique per process.
    let owner = uuid::Uuid::new_v4().to_string();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => return,
            }
            // A full batch may mean more is due: go again at once rather than next tick.
            loop {
                match services.deliver_due_messages(&*mailer, &owner).await {
                    Ok(pass)
                        if pass.sent + pass.retrying + pass.failed
                            >= crate::auth::messages::DELIVERY_BATCH => {}
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(error = %ErrorChain(&error), "outbox delivery pass failed; will retry");
                        break;
                    }
                }
                if *stop.borrow() {
                    return;
                }
            }
        }
    })
}

fn key_encryption_key(
    settings: &Settings,
    backend: Backend,
) -> Result<KeyEncryptionKey, StartupError> {
    if let Some(encoded) = settings.key_encryption_key() {
        return KeyEncryptionKey::parse(encoded)
            .map_err(|e| StartupError::Config(format!("GATEHOUSE_KEY_ENCRYPTION_KEY: {e}")));
    }
    match backend {
        Backend::Postgres => Err(StartupError::Config(
            "GATEHOUSE_KEY_ENCRYPTION_KEY is required with Postgres: 32 random bytes, base64 \
             (openssl rand -base64 32), kept outside the database"
                .into(),
        )),
        Backend::Sqlite => {
            let url = settings.database_url.expose_secret();
            let Some(database) = crate::store::sqlite_database_path(url) else {
                tracing::warn!(
                    "in-memory database: signing keys are encrypted with a throwaway key-encryption key"
                );
                return KeyEncryptionKey::generate()
                    .map_err(|e| StartupError::Config(ErrorChain(&e).to_string()));
            };
            let directory = database.parent().filter(|p| !p.as_os_str().is_empty());
            let path = directory
                .unwrap_or_else(|| Path::new("."))
                .join("gatehouse.kek");
            let (kek, created) = KeyEncryptionKey::load_or_create_file(&path)
                .map_err(|e| StartupError::Config(ErrorChain(&e).to_string()))?;
            if !created {
                crate::store::warn_if_loose_file_mode(&path);
            }
            if created {
                tracing::warn!(
                    path = %path.display(),
                    "generated a key-encryption key for the embedded database (mode 0600); keep it with \
                     the database, and set GATEHOUSE_KEY_ENCRYPTION_KEY in production"
                );
            }
            Ok(kek)
        }
    }
}

fn password_hasher(settings: &Settings, backend: Backend) -> Result<PasswordHasher, StartupError> {
    let cost = settings.argon2_cost();
    if cost.is_below_floor() {
        if !settings.allow_weak_password_hashing {
            return Err(StartupError::Config(format!(
                "Argon2 parameters m={} KiB, t={} are below the floor (m >= 19456 KiB, t >= 2); \
                 set GATEHOUSE_ALLOW_WEAK_PASSWORD_HASHING=true only for tests",
                cost.memory_kib, cost.iterations
            )));
        }
        tracing::warn!(
            memory_kib = cost.memory_kib,
            iterations = cost.iterations,
            "!!! WEAK PASSWORD HASHING: Argon2 parameters are below the OWASP floor. \
             Passwords stored now are cheap to crack. Never run this configuration in production. !!!"
        );
    }
    let pepper = match (settings.pepper(), backend) {
        (Some(secret), _) => {
            if settings.pepper_id.is_empty() || settings.pepper_id.len() > 32 {
                return Err(StartupError::Config(
                    "GATEHOUSE_PEPPER_ID must be 1-32 characters".into(),
                ));
            }
            Some(Pepper {
                id: settings.pepper_id.clone(),
                secret: secret.clone(),
            })
        }
        (None, Backend::Postgres) => {
            return Err(StartupError::Config(
                "GATEHOUSE_PEPPER is required with Postgres: a long random secret kept outside \
                 the database (openssl rand -base64 32)"
                    .into(),
            ));
        }
        (None, Backend::Sqlite) => {
            tracing::info!(
                "no pepper configured (embedded mode); set GATEHOUSE_PEPPER in production"
            );
            None
        }
    };
    let workers = settings.hash_workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let retired = retired_peppers(settings, pepper.as_ref())?;
    PasswordHasher::with_retired_peppers(
        cost,
        pepper,
        retired,
        HasherLimits {
            workers,
            queue: settings.hash_queue,
            max_wait: std::time::Duration::from_millis(settings.hash_max_wait_ms),
        },
    )
    .map_err(|e| StartupError::Config(ErrorChain(&e).to_string()))
}

/// Parses `GATEHOUSE_RETIRED_PEPPERS` (`id:secret,id:secret`).
fn retired_peppers(
    settings: &Settings,
    current: Option<&Pepper>,
) -> Result<Vec<Pepper>, StartupError> {
    let Some(raw) = settings
        .retired_peppers
        .as_ref()
        .filter(|r| !r.expose_secret().trim().is_empty())
    else {
        return Ok(Vec::new());
    };
    let mut peppers: Vec<Pepper> = Vec::new();
    for entry in raw.expose_secret().split(',') {
        let (id, secret) = entry.trim().split_once(':').ok_or_else(|| {
            StartupError::Config("GATEHOUSE_RETIRED_PEPPERS entries must be id:secret".into())
        })?;
        let clash = current.is_some_and(|c| c.id == id) || peppers.iter().any(|p| p.id == id);
        if id.is_empty() || id.len() > 32 || secret.is_empty() || clash {
            return Err(StartupError::Config(
                "GATEHOUSE_RETIRED_PEPPERS: each id must be 1-32 characters, distinct, and not the current GATEHOUSE_PEPPER_ID, with a non-empty secret".into(),
            ));
        }
        peppers.push(Pepper {
            id: id.to_owned(),
            secret: secrecy::SecretString::from(secret.to_owned()),
        });
    }
    Ok(peppers)
}

/// A bound, not yet running server.
pub struct App {
    port: u16,
    public_url: String,
    server: Server,
    services: Services,
    housekeeping_interval: Option<Duration>,
    /// A second handle on the listening socket, to refuse new connections when draining.
    listener: TcpListener,
    drain: Arc<http::shutdown::Drain>,
    shutdown_timeout: Duration,
    /// The `/metrics` listener (GATEHOUSE_METRICS_BIND) and its bound port.
    metrics_server: Option<(Server, u16)>,
    /// The SMTP transport and how often the delivery worker runs, when SMTP is configured.
    delivery: Option<(Arc<dyn Mailer>, Duration)>,
}

impl App {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Binds (port 0 picks a free port), migrates, and prepares the server.
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.bind).map_err(|e| StartupError::Bind {
            address: settings.bind.clone(),
            cause: e,
        })?;
        let address = listener.local_addr().map_err(|e| StartupError::Bind {
            address: settings.bind.clone(),
            cause: e,
        })?;
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => {
                Some(http::tls::server_config(cert, key).map_err(StartupError::Config)?)
            }
            (None, None) => None,
            _ => {
                return Err(StartupError::Config(
                    "set both GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY to serve HTTPS".into(),
                ));
            }
        };
        let admin_auth = admin_auth(&settings, address.ip())?;
        let metrics_listener = settings
            .metrics_bind
            .as_deref()
            .map(bind_metrics)
            .transpose()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let public_url = match &settings.public_url {
            Some(url) => validate_public_url(url)?,
            None => format!("{scheme}://{address}"),
        };
        let delivery = match settings.smtp_url() {
            Some(url) => {
                let mailer: Arc<dyn Mailer> =
                    Arc::new(crate::mail::SmtpMailer::from_url(url).map_err(StartupError::Config)?);
                Some((
                    mailer,
                    Duration::from_millis(settings.outbox_interval_ms.max(10)),
                ))
            }
            None => None,
        };
        let dev_outbox = web::Data::new(http::dev_outbox::DevOutbox {
            enabled: settings.dev_outbox,
        });
        if settings.dev_outbox {
            tracing::warn!(
                "GATEHOUSE_DEV_OUTBOX=true: GET /_dev/outbox shows loopback clients the codes \
                 sent to users. For tests only."
            );
        }
        let store = open_store(&settings).await?;
        let metrics = Arc::new(http::metrics::Metrics::default());
        let services =
            build_observed_services(&settings, store, clock, &public_url, metrics.clone())?;

        let data = web::Data::new(services.clone());
        let public = web::Data::new(PublicUrl(public_url.clone()));
        let metrics = web::Data::from(metrics);
        let admin_auth = web::Data::new(admin_auth);
        let cors_origins = http::cors::AllowedOrigins::parse(&settings.cors_allowed_origins);
        let trusted_proxies = http::rate_limit::parse_trusted(&settings.trusted_proxies)
            .map_err(StartupError::Config)?;
        let limiter = web::Data::new(http::rate_limit::SignInLimiter::new(
            settings.sign_in_rate_per_ip,
            trusted_proxies.clone(),
        ));
        let sign_up_limiter = web::Data::new(http::rate_limit::SignUpLimiter::new(
            settings.sign_up_rate_per_ip,
            trusted_proxies,
        ));
        let transport = web::Data::new(http::middleware::Transport { tls: tls.is_some() });
        let drain = Arc::new(http::shutdown::Drain::default());
        let drain_data = web::Data::from(drain.clone());
        let connections = drain.clone();
        let shutdown_timeout = Duration::from_secs(settings.shutdown_timeout_seconds);
        let control_listener = listener.try_clone().map_err(|e| StartupError::Bind {
            address: address.to_string(),
            cause: e,
        })?;
        let (header_timeout, body_timeout) = request_timeouts(&settings)?;
        let limits = web::Data::new(http::limits::RequestLimits { body_timeout });
        let jwks_cache = web::Data::new(http::well_known::JwksCache::default());
        // With a metrics listener of its own, `/metrics` is not on the public one at all.
        let public_metrics = metrics_listener.is_none();
        let metrics_server = metrics_listener
            .map(|(listener, port)| {
                metrics_server(listener, data.clone(), metrics.clone(), &settings)
                    .map(|server| (server, port))
            })
            .transpose()?;
        let mut server = HttpServer::new(move || {
            ActixApp::new()
                .wrap(http::cors::middleware(&cors_origins))
                .wrap(from_fn(http::limits::limit_headers))
                .wrap(from_fn(http::middleware::observe))
                .wrap(from_fn(http::shutdown::close_when_draining))
                .app_data(drain_data.clone())
                .app_data(data.clone())
                .app_data(limits.clone())
                .app_data(public.clone())
                .app_data(metrics.clone())
                .app_data(admin_auth.clone())
                .app_data(transport.clone())
                .app_data(limiter.clone())
                .app_data(sign_up_limiter.clone())
                .app_data(jwks_cache.clone())
                .app_data(dev_outbox.clone())
                .configure(|config| http::configure(config, public_metrics))
        })
        // Slowloris: headers not complete in time get 408 and the connection is closed; a
        // client that never reads the response or never closes is cut off after 5 s.
        .client_request_timeout(header_timeout)
        .client_disconnect_timeout(Duration::from_secs(5))
        .on_connect(move |connection, extensions| connections.track(connection, extensions))
        // Signals are handled in `run_until_stopped`, which drains before actix stops.
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout_seconds);
        if let Some(workers) = settings.http_workers {
            server = server.workers(workers.max(1));
        }
        let server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .map_err(|e| StartupError::Bind {
            address: address.to_string(),
            cause: e,
        })?
        .run();
        Ok(Self {
            port: address.port(),
            public_url,
            server,
            services,
            housekeeping_interval: (settings.housekeeping_interval_seconds > 0)
                .then(|| Duration::from_secs(settings.housekeeping_interval_seconds)),
            listener: control_listener,
            drain,
            shutdown_timeout,
            metrics_server,
            delivery,
        })
    }

    /// The port `/metrics` is served on when GATEHOUSE_METRICS_BIND is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn services(&self) -> &Services {
        &self.services
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the process gets SIGTERM or SIGINT (or the handle stops it), then
    /// drains: no new connections, requests in flight finish within the shutdown timeout,
    /// housekeeping stops, the database pool closes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run(true).await
    }

    /// Serves until the handle stops it, leaving the process's signals alone (for embedding
    /// the server, as the tests do, where Ctrl-C must still end the process).
    pub async fn run_until_handle_stops(self) -> std::io::Result<()> {
        self.run(false).await
    }

    async fn run(self, on_signal: bool) -> std::io::Result<()> {
        let (stop_housekeeping, stopped) = tokio::sync::watch::channel(false);
        let housekeeping = self
            .housekeeping_interval
            .map(|interval| spawn_housekeeping(self.services.clone(), interval, stopped));
        let delivery = self.delivery.map(|(mailer, interval)| {
            spawn_delivery(
                self.services.clone(),
                mailer,
                interval,
                stop_housekeeping.subscribe(),
            )
        });
        let metrics = self.metrics_server.map(|(server, _)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let handle = self.server.handle();
        // Spawned: actix's command loop (pause, stop) runs inside the server future.
        let mut server = tokio::spawn(self.server);
        let signalled = async {
            if on_signal {
                http::shutdown::stop_requested().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let finished = tokio::select! {
            finished = &mut server => Some(finished),
            () = signalled => None,
        };
        let finished = match finished {
            Some(finished) => finished,
            None => {
                http::shutdown::drain_and_stop(
                    &handle,
                    &self.listener,
                    &self.drain,
                    self.shutdown_timeout,
                )
                .await;
                server.await
            }
        };
        let result = finished.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Some((handle, task)) = metrics {
            handle.stop(false).await;
            let _ = task.await;
        }
        let _ = stop_housekeeping.send(true);
        if let Some(task) = delivery
            && tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
        {
            tracing::warn!(
                "outbox delivery did not finish in time; its leases expire by themselves"
            );
        }
        if let Some(task) = housekeeping
            && tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
        {
            tracing::warn!("housekeeping pass did not finish in time; abandoned");
        }
        if tokio::time::timeout(Duration::from_secs(5), self.services.store.close())
            .await
            .is_err()
        {
            tracing::warn!("database connections still borrowed after 5 s; closing anyway");
        }
        result
    }
}

/// Binds GATEHOUSE_METRICS_BIND; returns the listener and the port it got.
fn bind_metrics(bind: &str) -> Result<(TcpListener, u16), StartupError> {
    let failed = |e: std::io::Error| StartupError::Bind {
        address: bind.to_owned(),
        cause: e,
    };
    let listener = TcpListener::bind(bind).map_err(failed)?;
    let port = listener.local_addr().map_err(failed)?.port();
    Ok((listener, port))
}

/// A server answering `GET /metrics` and nothing else, for a listener only the scraper can
/// reach. One worker: it serves one scrape every few seconds.
fn metrics_server(
    listener: TcpListener,
    services: web::Data<Services>,
    metrics: web::Data<http::metrics::Metrics>,
    settings: &Settings,
) -> Result<Server, StartupError> {
    let address = listener
        .local_addr()
        .map_or_else(|_| "the metrics address".to_owned(), |a| a.to_string());
    Ok(HttpServer::new(move || {
        ActixApp::new()
            .app_data(services.clone())
            .app_data(metrics.clone())
            .configure(http::metrics::routes)
            .default_service(web::to(http::not_found))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(settings.shutdown_timeout_seconds)
    .listen(listener)
    .map_err(|e| StartupError::Bind { address, cause: e })?
    .run())
}

/// The header and body timeouts; zero would disable actix's header timeout, so it is refused.
fn request_timeouts(settings: &Settings) -> Result<(Duration, Duration), StartupError> {
    let seconds = |value: u64, name: &str| {
        if (1..=300).contains(&value) {
            Ok(Duration::from_secs(value))
        } else {
            Err(StartupError::Config(format!(
                "{name} must be 1-300 seconds (got {value})"
            )))
        }
    };
    Ok((
        seconds(
            settings.request_header_timeout_seconds,
            "GATEHOUSE_REQUEST_HEADER_TIMEOUT_SECONDS",
        )?,
        seconds(
            settings.request_body_timeout_seconds,
            "GATEHOUSE_REQUEST_BODY_TIMEOUT_SECONDS",
        )?,
    ))
}

fn validate_public_url(url: &str) -> Result<String, StartupError> {
    let trimmed = url.trim_end_matches('/');
    if (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
        && !trimmed.contains(char::is_whitespace)
        && !trimmed.contains('?')
        && !trimmed.contains('#')
    {
        Ok(trimmed.to_owned())
    } else {
        Err(StartupError::Config(format!(
            "GATEHOUSE_PUBLIC_URL {url:?} must be an http:// or https:// URL without query or fragment"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_admin_api_starts_only_on_loopback_unless_acknowledged() {
        let mut settings = Settings::with_database("sqlite::memory:");
        settings.admin_auth = AdminAuthSetting::InsecureNone;
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
            let bound = ip.parse().unwrap();
            assert_eq!(admin_auth(&settings, bound).is_ok(), starts, "{ip}");
        }
        settings.i_understand_admin_is_open = true;
        assert!(admin_auth(&settings, "0.0.0.0".parse().unwrap()).is_ok());
    }
}
