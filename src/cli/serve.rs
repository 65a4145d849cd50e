//! `gatehouse serve`: run the HTTP server, optionally seeding first.

use std::path::PathBuf;

use gatehouse::app::App;
use gatehouse::config::Settings;

use super::CliError;
use super::seed::{apply_seed_file, seed_summary};

pub(super) async fn serve(settings: Settings, seed: Option<PathBuf>) -> Result<(), CliError> {
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
