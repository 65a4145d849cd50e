//! `gatehouse serve`: run the HTTP server, optionally seeding first.

use std::path::PathBuf;

use gatehouse::app::{App, StartupError};
use gatehouse::config::Settings;

use super::CliError;

/// How long after start-up the HTTP workers have surely started: their start-up runs code
/// that must be resident before it is handed back.
const STARTUP_SETTLE: std::time::Duration = std::time::Duration::from_secs(1);
use super::seed::{apply_seed, read_seed_file, seed_summary};

pub(super) async fn serve(mut settings: Settings, seed: Option<PathBuf>) -> Result<(), CliError> {
    // Read before the server starts: the file may say where trigger functions live.
    let seed = seed.as_ref().map(read_seed_file).transpose()?;
    if let Some(file) = &seed {
        settings.triggers = settings
            .triggers
            .with_seed_function_urls(&file.lambda_function_urls)
            .map_err(StartupError::Config)?;
    }
    let app = App::build(settings).await?;
    if let Some(file) = seed {
        let report = apply_seed(app.services(), file).await?;
        tracing::info!("{}", seed_summary(&report));
    }
    tracing::info!(address = %app.public_url(), port = app.port(), "gatehouse listening");
    if let Some(port) = app.metrics_port() {
        tracing::info!(port, "metrics listening");
    }
    tokio::spawn(release_startup_code_once_serving());
    tokio::spawn(gatehouse::memory_release::return_freed_heap_when_quiet());
    app.run_until_stopped().await?;
    tracing::info!("gatehouse stopped");
    Ok(())
}

/// Hands the code that only start-up ran back to the kernel (src/memory_release.rs): about
/// 7 MiB less resident while idle, the pages requests use faulting back in on first use.
async fn release_startup_code_once_serving() {
    tokio::time::sleep(STARTUP_SETTLE).await;
    match gatehouse::memory_release::release_executable_code_pages() {
        Ok(bytes) => tracing::debug!(bytes, "start-up code pages released"),
        Err(error) => tracing::debug!(%error, "start-up code pages kept"),
    }
}
