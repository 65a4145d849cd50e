//! `gatehouse seed`: apply a declarative seed file, with a progress bar at a terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use gatehouse::auth::Services;
use gatehouse::manage::seed::{SeedFile, SeedProgress};

use super::CliError;

pub(super) async fn apply_seed_file(
    services: &Services,
    file: &PathBuf,
) -> Result<gatehouse::manage::seed::SeedReport, CliError> {
    apply_seed(services, read_seed_file(file)?).await
}

/// Reads and parses a seed file.
pub(super) fn read_seed_file(file: &PathBuf) -> Result<SeedFile, CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read seed file {}: {e}", file.display())))?;
    Ok(SeedFile::parse(&text)?)
}

/// Puts a parsed seed file's pools, clients, groups and users in the database.
pub(super) async fn apply_seed(
    services: &Services,
    seed: SeedFile,
) -> Result<gatehouse::manage::seed::SeedReport, CliError> {
    let progress = SeedBar::new();
    let report = services.apply_seed_reporting(seed, &progress).await;
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

/// The wording ("tenants") predates the CLI's `pool` and stays, so scripts reading it keep
/// working.
pub(super) fn seed_summary(report: &gatehouse::manage::seed::SeedReport) -> String {
    let pools: Vec<String> = report
        .pools
        .iter()
        .map(|t| format!("{} (pool {}, client {})", t.name, t.pool_id, t.client_id))
        .collect();
    format!(
        "seed applied: {} tenants created, {} clients created, {} users created, {} users updated; tenants: {}",
        report.pools_created,
        report.clients_created,
        report.users_created,
        report.users_updated,
        pools.join(", ")
    )
}
