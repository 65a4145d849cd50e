//! What only SQLite needs: file creation, connection pragmas and a file lock for migrations.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sqlx::AnyConnection;

use super::StoreError;
use crate::domain::error_chain::Context;

/// `sqlite://gatehouse.db` should create the file on first start, as docs/operations.md promises.
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

/// Creates the database file owner-only (0600) before SQLite opens it, so it is never
/// readable by other users: it holds password hashes and sessions. SQLite creates the
/// `-wal` and `-shm` files with the database file's permissions. An existing file is left
/// as it is.
pub(super) fn create_owner_only(url: &str) -> Result<(), StoreError> {
    // Only where SQLite itself would create the file (`mode=rwc`, the default we add).
    let Some(path) = database_path(url).filter(|_| url.contains("mode=rwc")) else {
        return Ok(());
    };
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Unavailable(Box::new(Context::new(
            format!("cannot create the database file {}", path.display()),
            e,
        )))),
    }
}

/// Warns about each of the database's files (the database, `-wal`, `-shm`) that other users
/// may read or write.
pub(super) fn warn_about_loose_modes(url: &str) {
    let Some(path) = database_path(url) else {
        return;
    };
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.clone().into_os_string();
        file.push(suffix);
        warn_if_loose(Path::new(&file));
    }
}

/// Logs a warning when a secret-bearing file is open to group or others (mode & 0o077).
pub(super) fn warn_if_loose(path: &Path) {
    let Ok(metadata) = std::fs::metadata(path) else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        tracing::warn!(
            path = %path.display(),
            mode = %format!("{mode:04o}"),
            "file is accessible to other users; restrict it with chmod 600"
        );
    }
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
    .map_err(|e| StoreError::Internal(Box::new(Context::new("migration lock task failed", e))))?
    .map_err(|e| {
        StoreError::Unavailable(Box::new(Context::new(
            "cannot lock the database file for migration",
            e,
        )))
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
    fn database_files_are_created_owner_only_where_sqlite_would_create_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.db");
        let url = normalise_url(&format!("sqlite://{}", path.display()));
        create_owner_only(&url).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // An existing file is left as it is; a read-only URL creates nothing.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        create_owner_only(&url).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let read_only = dir.path().join("ro.db");
        create_owner_only(&format!("sqlite://{}?mode=ro", read_only.display())).unwrap();
        assert!(!read_only.exists());
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
