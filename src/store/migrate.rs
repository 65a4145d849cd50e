//! Schema migrations: refinery's runner driven over an sqlx connection, so the project needs
//! one database driver stack, not two. `migrations/postgres` and `migrations/sqlite` hold the
//! same versions under the same names; the files are embedded in the binary.

use refinery::Migration;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use sqlx::{AnyConnection, Connection, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::errors::classify;
use super::{Backend, StoreError};

mod postgres_migrations {
    refinery::embed_migrations!("migrations/postgres");
}

mod sqlite_migrations {
    refinery::embed_migrations!("migrations/sqlite");
}

pub(super) fn runner(backend: Backend) -> refinery::Runner {
    let runner = match backend {
        Backend::Postgres => postgres_migrations::migrations::runner(),
        Backend::Sqlite => sqlite_migrations::migrations::runner(),
    };
    // Grouped: every pending migration in one transaction, so a crash leaves the old schema.
    runner.set_grouped(true)
}

/// The newest schema version this binary carries.
pub(super) fn binary_version(backend: Backend) -> i64 {
    runner(backend)
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaStatus {
    /// None for an empty database.
    pub database_version: Option<i64>,
    pub binary_version: i64,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.database_version == Some(self.binary_version)
    }

    /// A database migrated by a newer Gatehouse: running against it could corrupt data.
    pub fn is_newer_than_binary(&self) -> bool {
        self.database_version
            .is_some_and(|version| version > self.binary_version)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub version: i64,
}

/// Reads the applied version; an absent history table means an empty database.
pub(super) async fn schema_status(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<SchemaStatus, StoreError> {
    let exists_query = match backend {
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'refinery_schema_history'"
        }
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'refinery_schema_history'"
        }
    };
    let (tables,): (i64,) = sqlx::query_as(exists_query)
        .fetch_one(&mut *conn)
        .await
        .map_err(classify)?;
    let database_version = if tables == 0 {
        None
    } else {
        let row = sqlx::query("SELECT CAST(MAX(version) AS BIGINT) FROM refinery_schema_history")
            .fetch_one(&mut *conn)
            .await
            .map_err(classify)?;
        row.try_get::<Option<i64>, _>(0).map_err(classify)?
    };
    Ok(SchemaStatus {
        database_version,
        binary_version: binary_version(backend),
    })
}

/// Adapts an sqlx connection to refinery's async traits (the orphan rule needs the newtype).
/// On SQLite the caller runs it with foreign keys off (a table rebuild must not cascade,
/// see [`foreign_keys`]); the migrations' result is checked before their commit instead.
pub(super) struct Migrator<'c>(pub &'c mut AnyConnection, pub Backend);

/// Turns SQLite's foreign-key enforcement off or on for this connection. Off while
/// migrating, as SQLite's own procedure for changing a table's constraints requires:
/// dropping a rebuilt table would otherwise delete every row that references it. The
/// pragma is a no-op inside a transaction, so it is set around the migration's.
pub(super) async fn foreign_keys(conn: &mut AnyConnection, on: bool) -> Result<(), sqlx::Error> {
    let pragma = if on {
        "PRAGMA foreign_keys = ON"
    } else {
        "PRAGMA foreign_keys = OFF"
    };
    sqlx::raw_sql(pragma).execute(&mut *conn).await?;
    Ok(())
}

impl AsyncTransaction for Migrator<'_> {
    type Error = sqlx::Error;

    async fn execute<'a, T: Iterator<Item = &'a str> + Send + 'a>(
        &'a mut self,
        queries: T,
    ) -> Result<usize, Self::Error> {
        let mut tx = self.0.begin().await?;
        let mut count = 0;
        for query in queries {
            // Our own embedded migration files, never user input; multi-statement, unprepared.
            sqlx::raw_sql(sqlx::AssertSqlSafe(query))
                .execute(&mut *tx)
                .await?;
            count += 1;
        }
        if self.1 == Backend::Sqlite {
            // Foreign keys were off while the migrations ran: a row they left without its
            // parent fails the whole group, before anything is committed.
            let orphan = sqlx::raw_sql("PRAGMA foreign_key_check")
                .fetch_optional(&mut *tx)
                .await?;
            if orphan.is_some() {
                return Err(sqlx::Error::Protocol(
                    "a migration left rows that violate a foreign key".into(),
                ));
            }
        }
        tx.commit().await?;
        Ok(count)
    }
}

impl AsyncQuery<Vec<Migration>> for Migrator<'_> {
    async fn query<'a>(&'a mut self, query: &'a str) -> Result<Vec<Migration>, Self::Error> {
        let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(query))
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter()
            .map(|row| {
                // The history table declares `version` as int4; SQLite may hand back an i64.
                let version: i32 = match row.try_get::<i32, _>(0) {
                    Ok(v) => v,
                    Err(_) => i32::try_from(row.try_get::<i64, _>(0)?)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                };
                let name: String = row.try_get(1)?;
                let applied_on: String = row.try_get(2)?;
                let checksum: String = row.try_get(3)?;
                Ok(Migration::applied(
                    version,
                    name,
                    OffsetDateTime::parse(&applied_on, &Rfc3339)
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    checksum
                        .parse()
                        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                ))
            })
            .collect()
    }
}

impl AsyncMigrate for Migrator<'_> {}
