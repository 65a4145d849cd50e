//! What only Postgres needs: a migration lock shared by every replica.

use sqlx::AnyConnection;

use super::StoreError;
use super::errors::classify;

/// An arbitrary constant naming Gatehouse's migration lock among the database's advisory locks.
const MIGRATION_LOCK_KEY: i64 = 0x6761_7465_686f_7573; // "gatehous"

/// Blocks until no other replica is migrating. Session-scoped: released by
/// [`release_migration_lock`] or when the connection closes, so a crashed replica cannot
/// leave the lock behind.
pub(super) async fn take_migration_lock(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(())
}

pub(super) async fn release_migration_lock(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(())
}
