//! `gatehouse migrate`: bring the database schema up to date and exit.

use gatehouse::app::{self, StartupError};
use gatehouse::config::Settings;

use super::CliError;

/// Opening the store applies pending migrations; what is left is to say where the schema stands.
pub(super) async fn migrate(settings: &Settings) -> Result<(), CliError> {
    let store = app::open_store(settings).await?;
    let status = gatehouse::store::Store::schema_status(&*store)
        .await
        .map_err(StartupError::from)?;
    println!("database schema at version {}", status.binary_version);
    Ok(())
}
