//! `gatehouse migrate`: bring the database schema up to date and exit.

use gatehouse::app;
use gatehouse::config::Settings;

use super::CliError;

pub(super) async fn migrate(settings: &Settings) -> Result<(), CliError> {
    let status = app::migrate(settings).await?;
    println!("database schema at version {}", status.binary_version);
    Ok(())
}
