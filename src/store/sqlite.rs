//! What only SQLite needs: file creation, connection pragmas and a file lock for migrations.

use std::fs::{File, OpenOptions};
use std::path::PathBuf;

use sqlx::AnyConnection;

use super::StoreError;

/// `sqlite://gatehouse.db` should create the file on first start, as the README promises.
pub(super) fn normalise_url(url: &str) -> String {
    if is_in_memory(url) || url.contains("mode=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}mode=rwc")
}

pub(super) fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The database file a URL names, if it names one.
pub(super) fn database_path(url: &str) -> Option<PathBuf> {
    if is_in_memory(url) {
        return None;
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// Per-connection settings: enforce foreign keys (SQLite's default is off), wait for a busy
/// writer instead of failing, and use WAL so readers never block the writer.
pub(super) async fn configure_connection(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
         PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Holds an exclusive lock on `<database>.migrate-lock` while migrating, so two processes
/// starting on one file apply nothing twice. The lock dies with the process.
pub(super) struct MigrationLock(#[allow(dead_code, reason = "held for its Drop")] Option<File>);

pub(super) async fn take_migration_lock(url: &str) -> Result<MigrationLock, StoreError> {
    let Some(path) = database_path(url) else {
        return Ok(MigrationLock(None));
    };
    let mut lock_path = path.into_os_string();
    lock_path.push(".migrate-lock");
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<File> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| StoreError::Internal(format!("migration lock task failed: {e}")))?
    .map_err(|e| {
        StoreError::Unavailable(format!("cannot lock the database file for migration: {e}"))
    })?;
    Ok(MigrationLock(Some(file)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_gain_create_mode() {
        assert_eq!(
            normalise_url("sqlite://gatehouse.db"),
            "sqlite://gatehouse.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://a.db?x=1"),
            "sqlite://a.db?x=1&mode=rwc"
        );
        assert_eq!(normalise_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            normalise_url("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
    }

    #[test]
    fn database_paths_are_read_from_urls() {
        assert_eq!(
            database_path("sqlite://data/g.db?mode=rwc"),
            Some(PathBuf::from("data/g.db"))
        );
        assert_eq!(database_path("sqlite:g.db"), Some(PathBuf::from("g.db")));
        assert_eq!(database_path("sqlite::memory:"), None);
    }
}
