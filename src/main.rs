//! The `gatehouse` command: the server and the operator's tools, in one binary.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use gatehouse::app::{self, App, StartupError};
use gatehouse::auth::{AuthError, Services};
use gatehouse::config::{LogFormat, Settings};
use gatehouse::domain::attributes::UserAttributes;
use gatehouse::domain::clock::SystemClock;
use gatehouse::domain::lockout::{LockoutChanges, LockoutPolicy};
use gatehouse::domain::pool::{AdminCreateUserConfig, PoolSettings, TenantName};
use gatehouse::domain::secret::{SecretString, secret};
use gatehouse::domain::username::Username;
use gatehouse::manage::seed::{SeedFile, SeedProgress};
use gatehouse::manage::tenants::FixedIds;
use gatehouse::manage::users::NewUser;
use serde_json::json;
use tracing_subscriber::EnvFilter;

/// glibc is the allocator (its figures against mimalloc are in docs/benchmarks.md, "Memory");
/// the `mimalloc` feature builds the alternative for that comparison.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "A self-contained identity provider that speaks the AWS Cognito User Pools dialect"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve {
        /// Apply this seed file before serving.
        #[arg(long)]
        seed: Option<PathBuf>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants (user pools).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage users of a tenant.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a tenant's app clients (token lifetimes, refresh grace).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Inspect and rotate a tenant's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Apply a declarative seed file of tenants, clients, groups and users (idempotent).
    Seed { file: PathBuf },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant; prints its pool id and default client id.
    Create {
        name: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lockout: LockoutArgs,
        /// true (the default): only operators create users and SignUp is refused; false:
        /// anyone may sign up through the Cognito API's SignUp.
        #[arg(long, value_name = "BOOL")]
        allow_admin_create_user_only: Option<bool>,
    },
    /// Change a tenant's settings (lockout thresholds, self-registration); prints the
    /// resulting settings.
    Update {
        name: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        lockout: LockoutArgs,
        /// true: only operators create users and SignUp is refused; false: anyone may sign
        /// up. Left out, the tenant keeps its setting.
        #[arg(long, value_name = "BOOL")]
        allow_admin_create_user_only: Option<bool>,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one tenant with its clients.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

/// Per-tenant lockout thresholds; options left out keep their current value (Cognito's
/// defaults for a new tenant).
#[derive(clap::Args)]
struct LockoutArgs {
    /// Failed sign-ins allowed before the first lockout, 1-100 (default 5).
    #[arg(long, value_name = "COUNT")]
    lockout_free_failures: Option<u32>,
    /// Longest lockout: 2^(n-free) seconds grow up to this, 1-86400 (default 900).
    #[arg(long, value_name = "SECONDS")]
    lockout_max_seconds: Option<i64>,
    /// Quiet seconds after which failures are forgotten, from the maximum lockout up to
    /// 86400 (default 900).
    #[arg(long, value_name = "SECONDS")]
    lockout_reset_seconds: Option<i64>,
}

impl LockoutArgs {
    fn changes(&self) -> LockoutChanges {
        LockoutChanges {
            free_failures: self.lockout_free_failures,
            max_lockout_seconds: self.lockout_max_seconds,
            reset_after_seconds: self.lockout_reset_seconds,
        }
    }
}

#[derive(Subcommand)]
enum ClientCommand {
    /// List a tenant's app clients with their lifetimes.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a client's lifetimes or grace window (default: the tenant's default client).
    Update {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        client_id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// ID token lifetime, 300-86400 seconds.
        #[arg(long, value_name = "SECONDS")]
        id_token_validity: Option<i64>,
        /// Access token lifetime, 300-86400 seconds.
        #[arg(long, value_name = "SECONDS")]
        access_token_validity: Option<i64>,
        /// Refresh token (session) lifetime, 3600 seconds to 3650 days, counted from sign-in.
        #[arg(long, value_name = "SECONDS")]
        refresh_token_validity: Option<i64>,
        /// How long a rotated refresh token's predecessor may be exchanged once more, 0-60.
        #[arg(long, value_name = "SECONDS")]
        refresh_grace: Option<i64>,
        /// ReadAttributes: the attributes the client's users see (GetUser, ID token),
        /// comma-separated; "" for none.
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        read_attributes: Option<Vec<String>>,
        /// WriteAttributes: the attributes the client's users may set on themselves,
        /// comma-separated; "" for none. Must be readable too.
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        write_attributes: Option<Vec<String>>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List a tenant's signing keys and their states.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Publish new keys now; they sign after GATEHOUSE_KEY_ACTIVATION_DELAY_SECONDS and the
    /// old keys stay published until their tokens have expired.
    Rotate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input, never from arguments.
    Create {
        #[arg(long)]
        tenant: String,
        username: String,
        #[arg(long)]
        email: Option<String>,
        /// Extra attributes as NAME=VALUE (repeatable), e.g. custom:team=blue.
        #[arg(long = "attribute", value_name = "NAME=VALUE")]
        attributes: Vec<String>,
        /// The password is temporary: the first sign-in must choose a new one.
        #[arg(long)]
        temporary: bool,
        /// Create the user disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Set a user's password (read from standard input); revokes their sessions.
    SetPassword {
        #[arg(long)]
        tenant: String,
        username: String,
        #[arg(long)]
        temporary: bool,
    },
    /// Disable a user; revokes their sessions.
    Disable {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Enable a user.
    Enable {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Require the user to reset their password before signing in again.
    RequireReset {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Print a signed-up user's pending confirmation code (no mail is sent).
    ConfirmationCode {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// Delete a user and their sessions.
    Delete {
        #[arg(long)]
        tenant: String,
        username: String,
    },
    /// List the users of a tenant.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Usage(String),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

fn main() -> ExitCode {
    // A .env file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    init_logging(&cli.settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal; files and log collectors get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.settings;
    match cli.command {
        Command::Serve { seed } => serve(settings, seed).await,
        Command::Migrate => {
            let store = app::open_store(&settings).await?;
            let status = gatehouse::store::Store::schema_status(&*store)
                .await
                .map_err(StartupError::from)?;
            println!("database schema at version {}", status.binary_version);
            Ok(())
        }
        Command::Tenant(command) => tenant(&services(&settings).await?, command).await,
        Command::User(command) => user(&services(&settings).await?, command).await,
        Command::Client(command) => client(&services(&settings).await?, command).await,
        Command::Keys(command) => keys(&services(&settings).await?, command).await,
        Command::Seed { file } => {
            let services = services(&settings).await?;
            let report = apply_seed_file(&services, &file).await?;
            println!("{}", seed_summary(&report));
            Ok(())
        }
    }
}

async fn services(settings: &Settings) -> Result<Services, CliError> {
    let store = app::open_store(settings).await?;
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", settings.bind));
    Ok(app::build_services(
        settings,
        store,
        Arc::new(SystemClock),
        &public_url,
    )?)
}

async fn serve(settings: Settings, seed: Option<PathBuf>) -> Result<(), CliError> {
    let app = App::build(settings).await?;
    if let Some(file) = seed {
        let report = apply_seed_file(app.services(), &file).await?;
        tracing::info!("{}", seed_summary(&report));
    }
    tracing::info!(address = %app.public_url(), port = app.port(), "gatehouse listening");
    if let Some(port) = app.metrics_port() {
        tracing::info!(port, "metrics listening");
    }
    app.run_until_stopped().await?;
    tracing::info!("gatehouse stopped");
    Ok(())
}

async fn apply_seed_file(
    services: &Services,
    file: &PathBuf,
) -> Result<gatehouse::manage::seed::SeedReport, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read seed file {}: {e}", file.display())))?;
    let progress = SeedBar::new();
    let report = services
        .apply_seed_reporting(SeedFile::parse(&text)?, &progress)
        .await;
    progress.bar.finish_and_clear();
    Ok(report?)
}

/// A progress bar for seeding, on standard error and only when that is a terminal: piped
/// output, logs and tests see nothing of it.
struct SeedBar {
    bar: indicatif::ProgressBar,
}

impl SeedBar {
    fn new() -> Self {
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "seeding users {wide_bar} {pos}/{len} ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            )
        } else {
            indicatif::ProgressBar::hidden()
        };
        Self { bar }
    }
}

impl SeedProgress for SeedBar {
    fn users(&self, total: u64) {
        self.bar.set_length(total);
        // Drawn at once: the bar is otherwise drawn only as users complete.
        self.bar.tick();
    }

    fn user_applied(&self) {
        self.bar.inc(1);
    }
}

fn seed_summary(report: &gatehouse::manage::seed::SeedReport) -> String {
    let tenants: Vec<String> = report
        .tenants
        .iter()
        .map(|t| format!("{} (pool {}, client {})", t.name, t.pool_id, t.client_id))
        .collect();
    format!(
        "seed applied: {} tenants created, {} clients created, {} users created, {} users updated; tenants: {}",
        report.tenants_created,
        report.clients_created,
        report.users_created,
        report.users_updated,
        tenants.join(", ")
    )
}

async fn tenant(services: &Services, command: TenantCommand) -> Result<(), CliError> {
    match command {
        TenantCommand::Create {
            name,
            json,
            lockout,
            allow_admin_create_user_only,
        } => {
            let name = TenantName::parse(&name).map_err(CliError::Usage)?;
            let settings = PoolSettings {
                lockout: lockout
                    .changes()
                    .apply_to(&LockoutPolicy::default())
                    .map_err(CliError::Usage)?,
                admin_create_user_config: AdminCreateUserConfig {
                    allow_admin_create_user_only: allow_admin_create_user_only.unwrap_or(true),
                },
                ..PoolSettings::default()
            };
            let (pool, client) = services
                .create_tenant(&name, settings, FixedIds::default())
                .await?;
            if json {
                println!(
                    "{}",
                    json!({"TenantName": pool.name, "UserPoolId": pool.id.to_string(), "ClientId": client.id.to_string()})
                );
            } else {
                println!(
                    "tenant:    {}\npool id:   {}\nclient id: {}",
                    pool.name, pool.id, client.id
                );
            }
        }
        TenantCommand::Update {
            name,
            json,
            lockout,
            allow_admin_create_user_only,
        } => {
            let pool = services
                .update_tenant(&name, &lockout.changes(), allow_admin_create_user_only)
                .await?;
            let value = json!({"TenantName": pool.name, "Settings": pool.settings});
            if json {
                println!("{value}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            }
        }
        TenantCommand::List { json } => {
            let pools = services.store.list_pools().await.map_err(AuthError::from)?;
            let mut rows = Vec::new();
            for pool in pools {
                let client = services
                    .store
                    .default_client(&pool.id)
                    .await
                    .map_err(AuthError::from)?;
                rows.push(json!({
                    "TenantName": pool.name,
                    "UserPoolId": pool.id.to_string(),
                    "ClientId": client.map(|c| c.id.to_string()),
                }));
            }
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for row in rows {
                    println!(
                        "{}\t{}\t{}",
                        row["TenantName"].as_str().unwrap_or_default(),
                        row["UserPoolId"].as_str().unwrap_or_default(),
                        row["ClientId"].as_str().unwrap_or_default()
                    );
                }
            }
        }
        TenantCommand::Show { name, json } => {
            let (pool, _) = services.tenant(&name).await?;
            let clients = services
                .store
                .list_clients(&pool.id)
                .await
                .map_err(AuthError::from)?;
            let value = json!({
                "TenantName": pool.name,
                "UserPoolId": pool.id.to_string(),
                "Issuer": services.issuer.issuer(&pool.id),
                "Settings": pool.settings,
                "Clients": clients.iter().map(|c| json!({
                    "ClientId": c.id.to_string(),
                    "ClientName": c.name,
                    "Default": c.is_default,
                    "IdTokenValiditySeconds": c.validity.id_token_seconds,
                    "AccessTokenValiditySeconds": c.validity.access_token_seconds,
                    "RefreshTokenValiditySeconds": c.validity.refresh_token_seconds,
                })).collect::<Vec<_>>(),
            });
            if json {
                println!("{value}");
            } else {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&value).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

fn parse_username(raw: &str) -> Result<Username, CliError> {
    Username::parse(raw).map_err(CliError::Usage)
}

/// Reads one line from standard input: passwords never travel in argv, where `ps` and shell
/// history would show them.
fn read_password() -> Result<SecretString, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(CliError::Usage(
            "expected the password on standard input, e.g. printf '%s' \"$PASSWORD\" | gatehouse user create …".into(),
        ));
    }
    Ok(secret(password))
}

async fn user(services: &Services, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Create {
            tenant,
            username,
            email,
            attributes,
            temporary,
            disabled,
        } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let mut map = BTreeMap::new();
            if let Some(email) = email {
                map.insert("email".to_owned(), email);
            }
            for pair in attributes {
                let (name, value) = pair.split_once('=').ok_or_else(|| {
                    CliError::Usage(format!("--attribute {pair:?} must be NAME=VALUE"))
                })?;
                map.insert(name.to_owned(), value.to_owned());
            }
            let attributes = UserAttributes::parse(map).map_err(CliError::Usage)?;
            let username = parse_username(&username)?;
            let password = read_password()?;
            let user = services
                .create_user(
                    &pool,
                    NewUser {
                        username,
                        password,
                        temporary,
                        attributes,
                        enabled: !disabled,
                    },
                )
                .await?;
            println!(
                "created {} (sub {}, status {})",
                user.username,
                user.sub,
                user.status.as_str()
            );
        }
        UserCommand::SetPassword {
            tenant,
            username,
            temporary,
        } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            let password = read_password()?;
            services
                .set_user_password(&pool, &username, &password, temporary)
                .await?;
            println!(
                "password set for {}; their sessions were revoked",
                username.as_str()
            );
        }
        UserCommand::Disable { tenant, username } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            services.set_user_enabled(&pool, &username, false).await?;
            println!(
                "disabled {}; their sessions were revoked",
                username.as_str()
            );
        }
        UserCommand::Enable { tenant, username } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            services.set_user_enabled(&pool, &username, true).await?;
            println!("enabled {}", username.as_str());
        }
        UserCommand::RequireReset { tenant, username } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            services.require_password_reset(&pool, &username).await?;
            println!("{} must reset their password", username.as_str());
        }
        UserCommand::ConfirmationCode { tenant, username } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            match services.pending_confirmation_code(&pool, &username).await? {
                Some(code) => println!(
                    "{}",
                    gatehouse::domain::secret::ExposeSecret::expose_secret(&code)
                ),
                None => {
                    return Err(CliError::Usage(format!(
                        "{} has no pending confirmation code",
                        username.as_str()
                    )));
                }
            }
        }
        UserCommand::Delete { tenant, username } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let username = parse_username(&username)?;
            services.delete_user(&pool, &username).await?;
            println!("deleted {}", username.as_str());
        }
        UserCommand::List { tenant, json } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let users = services
                .store
                .list_users(&pool.id)
                .await
                .map_err(AuthError::from)?;
            let rows: Vec<_> = users
                .iter()
                .map(|u| {
                    json!({
                        "Username": u.username,
                        "Sub": u.sub.to_string(),
                        "UserStatus": u.status.as_str(),
                        "Enabled": u.enabled,
                        "Attributes": u.attributes.as_map(),
                    })
                })
                .collect();
            if json {
                println!("{}", serde_json::Value::Array(rows));
            } else {
                for u in &users {
                    println!(
                        "{}\t{}\t{}\t{}",
                        u.username,
                        u.sub,
                        u.status.as_str(),
                        if u.enabled { "enabled" } else { "disabled" }
                    );
                }
            }
        }
    }
    Ok(())
}

fn client_json(client: &gatehouse::domain::app_client::AppClient) -> serde_json::Value {
    json!({
        "ClientId": client.id.to_string(),
        "ClientName": client.name,
        "Default": client.is_default,
        "IdTokenValiditySeconds": client.validity.id_token_seconds,
        "AccessTokenValiditySeconds": client.validity.access_token_seconds,
        "RefreshTokenValiditySeconds": client.validity.refresh_token_seconds,
        "RefreshTokenGraceSeconds": client.refresh_grace_seconds,
        "ReadAttributes": client.settings.read_attributes,
        "WriteAttributes": client.settings.write_attributes,
    })
}

async fn client(services: &Services, command: ClientCommand) -> Result<(), CliError> {
    match command {
        ClientCommand::List { tenant, json } => {
            let (pool, _) = services.tenant(&tenant).await?;
            let clients = services
                .store
                .list_clients(&pool.id)
                .await
                .map_err(AuthError::from)?;
            if json {
                println!(
                    "{}",
                    serde_json::Value::Array(clients.iter().map(client_json).collect())
                );
            } else {
                for c in &clients {
                    println!(
                        "{}\t{}\tid {}s\taccess {}s\trefresh {}s\tgrace {}s{}",
                        c.id,
                        c.name,
                        c.validity.id_token_seconds,
                        c.validity.access_token_seconds,
                        c.validity.refresh_token_seconds,
                        c.refresh_grace_seconds,
                        if c.is_default { "\t(default)" } else { "" }
                    );
                }
            }
        }
        ClientCommand::Update {
            tenant,
            client_id,
            name,
            id_token_validity,
            access_token_validity,
            refresh_token_validity,
            refresh_grace,
            read_attributes,
            write_attributes,
        } => {
            let names = |list: Option<Vec<String>>| {
                list.map(|l| l.into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>())
            };
            let (pool, _) = services.tenant(&tenant).await?;
            let id = client_id
                .as_deref()
                .map(gatehouse::domain::ids::ClientId::parse)
                .transpose()
                .map_err(CliError::Usage)?;
            let current = services.client_of(&pool, id.as_ref()).await?;
            let updated = services
                .update_client(
                    &current,
                    &gatehouse::manage::clients::ClientChanges {
                        name,
                        id_token_seconds: id_token_validity,
                        access_token_seconds: access_token_validity,
                        refresh_token_seconds: refresh_token_validity,
                        refresh_grace_seconds: refresh_grace,
                        read_attributes: names(read_attributes),
                        write_attributes: names(write_attributes),
                    },
                )
                .await?;
            println!("{}", client_json(&updated));
        }
    }
    Ok(())
}

async fn keys(services: &Services, command: KeysCommand) -> Result<(), CliError> {
    let (tenant, json, rotate) = match command {
        KeysCommand::List { tenant, json } => (tenant, json, false),
        KeysCommand::Rotate { tenant, json } => (tenant, json, true),
    };
    let (pool, _) = services.tenant(&tenant).await?;
    if rotate {
        let pending = services.keys.rotate(&pool.id).await?;
        if !json {
            for key in &pending {
                println!(
                    "published {} key {}; it signs from {}",
                    key.purpose.as_str(),
                    key.kid,
                    timestamp(key.activates_at)
                );
            }
        }
    }
    let keys = services.keys.list(&pool.id).await?;
    let rows: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "Kid": k.kid,
                "Purpose": k.purpose.as_str(),
                "State": k.state.as_str(),
                "Algorithm": k.alg,
                "CreatedAt": k.created_at,
                "ActivatesAt": k.activates_at,
                "RetiredAt": k.retired_at,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::Value::Array(rows));
    } else if !rotate {
        for k in &keys {
            println!(
                "{}\t{}\t{}\tcreated {}\tsigns from {}{}",
                k.kid,
                k.purpose.as_str(),
                k.state.as_str(),
                timestamp(k.created_at),
                timestamp(k.activates_at),
                k.retired_at
                    .map(|at| format!("\tretired {}", timestamp(at)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

fn timestamp(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}
