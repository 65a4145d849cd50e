//! What readiness probes and metrics ask about the database: reachable, at the expected
//! schema, how busy its connections are.

use crate::auth::Services;
use crate::store::{ConnectionUsage, SchemaStatus, StoreError};

impl Services {
    /// A cheap round trip to the database.
    pub async fn database_ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// Whether the database schema is the one this binary expects.
    pub async fn schema_status(&self) -> Result<SchemaStatus, StoreError> {
        self.store.schema_status().await
    }

    /// The database connection pool right now.
    pub fn database_connections(&self) -> ConnectionUsage {
        self.store.connections()
    }
}
