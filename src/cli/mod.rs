//! The command line: the top-level parser and its dispatch to one module per command group.

mod client;
mod keys;
mod migrate;
mod outbox;
mod pool;
mod seed;
mod serve;
mod user;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gatehouse::app::{self, StartupError};
use gatehouse::auth::{AuthError, Services};
use gatehouse::config::{ConfigError, LogFormat, Settings};

use client::ClientCommand;
use keys::KeysCommand;
use outbox::OutboxCommand;
use pool::PoolCommand;
use user::UserCommand;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "A self-contained identity provider that speaks the AWS Cognito User Pools dialect"
)]
pub(super) struct Cli {
    #[command(flatten)]
    pub settings: Settings,
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
    /// Manage user pools (a pool's name is the login API's TenantName).
    #[command(subcommand, visible_alias = "tenant")]
    Pool(PoolCommand),
    /// Manage users of a pool.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a pool's app clients (token lifetimes, refresh grace).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Inspect and rotate a pool's signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Read the outbox: messages sent or held (codes, invitations).
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Apply a declarative seed file of pools, clients, groups and users (idempotent).
    Seed { file: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub(super) enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Usage(String),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Starts the log as GATEHOUSE_LOG and GATEHOUSE_LOG_FORMAT say, before anything else runs;
/// a filter that does not parse is refused here, naming the variable.
pub(super) fn init_logging(settings: &Settings) -> Result<(), ConfigError> {
    let telemetry = settings.telemetry.validate()?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(telemetry.env_filter())
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal; files and log collectors get plain text.
        .with_ansi(std::io::stderr().is_terminal());
    match telemetry.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

pub(super) async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = cli.settings;
    match cli.command {
        Command::Serve { seed } => serve::serve(settings, seed).await,
        Command::Migrate => migrate::migrate(&settings).await,
        Command::Pool(command) => pool::pool(&services(&settings).await?, command).await,
        Command::User(command) => user::user(&services(&settings).await?, command).await,
        Command::Client(command) => client::client(&services(&settings).await?, command).await,
        Command::Keys(command) => keys::keys(&services(&settings).await?, command).await,
        Command::Outbox(command) => outbox::outbox(&services(&settings).await?, command).await,
        Command::Seed { file } => {
            let services = services(&settings).await?;
            let report = seed::apply_seed_file(&services, &file).await?;
            println!("{}", seed::seed_summary(&report));
            Ok(())
        }
    }
}

async fn services(settings: &Settings) -> Result<Services, CliError> {
    Ok(app::open_services(settings).await?)
}
