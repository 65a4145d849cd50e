//! Start-up: settings in, a running server (or the services the CLI needs) out. The
//! settings are validated once, section by section, in `config/`; what is left here is
//! wiring: open the database, build the services, bind and start the listeners.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App as ActixApp, HttpServer, web};
use secrecy::ExposeSecret;

use crate::auth::messages::Mailer;
use crate::auth::{IssuerStyle, Services, SigningKeys};
use crate::config::{
    Config, ConfigError, CryptoConfig, DatabaseConfig, IssuerStyleSetting, KekSource, MailConfig,
    PasswordHashing, ServerConfig, Settings,
};
use crate::crypto::kek::{KekError, KeyEncryptionKey};
use crate::crypto::password::{HasherLimits, PasswordHasher};
use crate::domain::clock::{Clock, SystemClock};
use crate::domain::error_chain::ErrorChain;
use crate::domain::telemetry::{NoTelemetry, Telemetry};
use crate::http;
use crate::http::sigv4::AdminAuth;
use crate::http::well_known::PublicUrl;
use crate::store::sql::MigrateError;
use crate::store::{Backend, SqlStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    /// The certificate or key files named by GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY.
    #[error("{0}")]
    Tls(String),
    #[error(transparent)]
    KeyEncryptionKey(#[from] KekError),
    #[error("cannot start the password hashing service: {0}")]
    Hashing(String),
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

/// Opens the configured database and brings its schema up to date.
async fn open_store(database: &DatabaseConfig) -> Result<Arc<SqlStore>, StartupError> {
    let store = SqlStore::connect_with(database.url.expose_secret(), database.connect).await?;
    let report = store.migrate().await?;
    if report.applied.is_empty() {
        tracing::debug!(version = report.version, "database schema is current");
    } else {
        tracing::info!(applied = ?report.applied, version = report.version, "database migrated");
    }
    Ok(Arc::new(store))
}

/// Applies pending migrations and reports where the schema stands (`gatehouse migrate`).
/// Only the database settings matter here: migrating needs no keys.
pub async fn migrate(settings: &Settings) -> Result<crate::store::SchemaStatus, StartupError> {
    let store = open_store(&settings.database.validate()?).await?;
    Ok(crate::store::Store::schema_status(&*store).await?)
}

/// The use cases over a freshly opened (and migrated) database, for the operator's commands.
pub async fn open_services(settings: &Settings) -> Result<Services, StartupError> {
    let config = settings.validate()?;
    let store = open_store(&config.database).await?;
    let public_url = config.server.public_url_for(&config.server.bind);
    build_services(
        ServiceConfig {
            server: &config.server,
            crypto: config.crypto,
            hashing: config.limits.hashing,
            mail: &config.mail,
            triggers: &config.triggers,
            public_url: &public_url,
        },
        store,
        Arc::new(SystemClock),
        Arc::new(NoTelemetry),
    )
}

/// The parts of the validated configuration the use cases are built from.
struct ServiceConfig<'a> {
    server: &'a ServerConfig,
    crypto: CryptoConfig,
    hashing: HasherLimits,
    mail: &'a MailConfig,
    /// Where and how trigger functions are invoked.
    triggers: &'a crate::triggers::InvokerConfig,
    /// Where clients reach this server: the issuer of Gatehouse-style tokens.
    public_url: &'a str,
}

/// The use-case services over an open store, reporting what they do to `telemetry`.
fn build_services(
    config: ServiceConfig<'_>,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    telemetry: Arc<dyn Telemetry>,
) -> Result<Services, StartupError> {
    let ServiceConfig {
        server,
        crypto,
        hashing,
        mail,
        triggers,
        public_url,
    } = config;
    let backend = crate::store::Store::backend(&*store);
    let CryptoConfig {
        key_encryption_key: kek,
        passwords,
        keys,
    } = crypto;
    let kek = Arc::new(key_encryption_key(kek)?);
    let hasher = password_hasher(passwords, hashing, backend)?.observed_by(telemetry.clone());
    let issuer = match server.issuer_style {
        IssuerStyleSetting::Gatehouse => IssuerStyle::Gatehouse {
            public_url: public_url.to_owned(),
        },
        IssuerStyleSetting::Aws => IssuerStyle::Aws,
    };
    let store: Arc<dyn crate::store::Store> = store;
    let mail = crate::auth::messages::MailSettings {
        smtp: mail.smtp_url.is_some(),
        default_sender: mail.default_sender.clone(),
    };
    let invoker = crate::triggers::HttpInvoker::new(triggers.clone()).map_err(|e| {
        StartupError::Config(ConfigError::new("GATEHOUSE_LAMBDA_ENDPOINT", e.to_string()))
    })?;
    Ok(Services {
        triggers: crate::triggers::Triggers::new(Arc::new(invoker)),
        mail,
        keys: SigningKeys::new(store.clone(), clock.clone(), kek.clone(), keys),
        kek,
        store,
        clock,
        hasher,
        issuer,
        region: server.region.clone(),
        telemetry,
    })
}

/// The key-encryption key, from the settings or the embedded database's key file.
fn key_encryption_key(source: KekSource) -> Result<KeyEncryptionKey, StartupError> {
    match source {
        KekSource::Given(kek) => Ok(kek),
        KekSource::Throwaway => {
            tracing::warn!(
                "in-memory database: signing keys are encrypted with a throwaway key-encryption key"
            );
            Ok(KeyEncryptionKey::generate()?)
        }
        KekSource::FileBesideDatabase(path) => {
            let (kek, created) = KeyEncryptionKey::load_or_create_file(&path)?;
            if created {
                tracing::warn!(
                    path = %path.display(),
                    "generated a key-encryption key for the embedded database (mode 0600); keep it with \
                     the database, and set GATEHOUSE_KEY_ENCRYPTION_KEY in production"
                );
            } else {
                crate::store::warn_if_loose_file_mode(&path);
            }
            Ok(kek)
        }
    }
}

fn password_hasher(
    passwords: PasswordHashing,
    limits: HasherLimits,
    backend: Backend,
) -> Result<PasswordHasher, StartupError> {
    let PasswordHashing {
        argon2,
        below_floor,
        pepper,
        retired_peppers,
    } = passwords;
    if below_floor {
        tracing::warn!(
            memory_kib = argon2.memory_kib,
            iterations = argon2.iterations,
            "!!! WEAK PASSWORD HASHING: Argon2 parameters are below the OWASP floor. \
             Passwords stored now are cheap to crack. Never run this configuration in production. !!!"
        );
    }
    if pepper.is_none() && backend == Backend::Sqlite {
        tracing::info!("no pepper configured (embedded mode); set GATEHOUSE_PEPPER in production");
    }
    PasswordHasher::with_retired_peppers(argon2, pepper, retired_peppers, limits)
        .map_err(|e| StartupError::Hashing(e.to_string()))
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

    /// Validates the settings, binds (port 0 picks a free port), migrates, and prepares
    /// the server.
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        Self::start(settings.validate()?, clock).await
    }

    async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        let Config {
            server: server_config,
            database,
            crypto,
            limits,
            admin,
            mail,
            telemetry,
            triggers,
        } = config;
        let bind = server_config.bind.clone();
        let listener = TcpListener::bind(&bind).map_err(|e| StartupError::Bind {
            address: bind.clone(),
            cause: e,
        })?;
        let address = listener.local_addr().map_err(|e| StartupError::Bind {
            address: bind.clone(),
            cause: e,
        })?;
        let tls = server_config
            .tls
            .as_ref()
            .map(|files| http::tls::server_config(&files.cert, &files.key))
            .transpose()
            .map_err(StartupError::Tls)?;
        admin.check_exposure(address.ip())?;
        if matches!(admin.auth, AdminAuth::Disabled) {
            tracing::warn!(
                "!!! GATEHOUSE_ADMIN_AUTH=insecure-none: Cognito admin operations accept ANY caller. \
                 Use this only for throwaway test setups. !!!"
            );
        }
        let metrics_listener = telemetry
            .metrics_bind
            .as_deref()
            .map(bind_metrics)
            .transpose()?;
        let public_url = server_config.public_url_for(&address.to_string());
        let delivery = match &mail.smtp_url {
            Some(url) => {
                let mailer: Arc<dyn Mailer> =
                    Arc::new(crate::mail::SmtpMailer::from_url(url).map_err(|e| {
                        StartupError::Config(ConfigError::new("GATEHOUSE_SMTP_URL", e))
                    })?);
                Some((mailer, mail.outbox_interval))
            }
            None => None,
        };
        let dev_outbox = web::Data::new(http::dev_outbox::DevOutbox {
            enabled: mail.dev_outbox,
        });
        if mail.dev_outbox {
            tracing::warn!(
                "GATEHOUSE_DEV_OUTBOX=true: GET /_dev/outbox shows loopback clients the codes \
                 sent to users. For tests only."
            );
        }
        let store = open_store(&database).await?;
        let metrics = Arc::new(http::metrics::Metrics::default());
        let services = build_services(
            ServiceConfig {
                server: &server_config,
                crypto,
                hashing: limits.hashing,
                mail: &mail,
                triggers: &triggers,
                public_url: &public_url,
            },
            store,
            clock,
            metrics.clone(),
        )?;
        let admin_auth = web::Data::new(admin.auth);

        let data = web::Data::new(services.clone());
        let public = web::Data::new(PublicUrl(public_url.clone()));
        let metrics = web::Data::from(metrics);
        let cors_origins = server_config.cors_allowed_origins.clone();
        let limiter = web::Data::new(http::rate_limit::SignInLimiter::new(
            limits.sign_in_per_ip_per_minute,
            limits.trusted_proxies.clone(),
        ));
        let sign_up_limiter = web::Data::new(http::rate_limit::SignUpLimiter::new(
            limits.sign_up_per_ip_per_minute,
            limits.trusted_proxies.clone(),
        ));
        let transport = web::Data::new(http::middleware::Transport { tls: tls.is_some() });
        let drain = Arc::new(http::shutdown::Drain::default());
        let drain_data = web::Data::from(drain.clone());
        let connections = drain.clone();
        let shutdown_timeout = server_config.shutdown_timeout;
        let control_listener = listener.try_clone().map_err(|e| StartupError::Bind {
            address: address.to_string(),
            cause: e,
        })?;
        let request_limits = web::Data::new(http::limits::RequestLimits {
            body_timeout: limits.request_body_timeout,
        });
        let jwks_cache = web::Data::new(http::well_known::JwksCache::default());
        // With a metrics listener of its own, `/metrics` is not on the public one at all.
        let public_metrics = metrics_listener.is_none();
        let metrics_server = metrics_listener
            .map(|(listener, port)| {
                metrics_server(listener, data.clone(), metrics.clone(), shutdown_timeout)
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
                .app_data(request_limits.clone())
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
        .client_request_timeout(limits.request_header_timeout)
        .client_disconnect_timeout(Duration::from_secs(5))
        .on_connect(move |connection, extensions| connections.track(connection, extensions))
        // Signals are handled in `run_until_stopped`, which drains before actix stops.
        .disable_signals()
        .shutdown_timeout(shutdown_timeout.as_secs());
        if let Some(workers) = server_config.http_workers {
            server = server.workers(workers);
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
            housekeeping_interval: server_config.housekeeping_interval,
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
    shutdown_timeout: Duration,
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
    .shutdown_timeout(shutdown_timeout.as_secs())
    .listen(listener)
    .map_err(|e| StartupError::Bind { address, cause: e })?
    .run())
}
