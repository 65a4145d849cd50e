//! Reading and deleting user pools, for the Cognito admin operations and the CLI.

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::ids::UserPoolId;
use crate::domain::pool::UserPool;

impl Services {
    /// The pool with this id, if it exists.
    pub async fn pool_by_id(&self, id: &UserPoolId) -> Result<Option<UserPool>, AuthError> {
        Ok(self.store.pool_by_id(id).await?)
    }

    /// Every pool; they are few.
    pub async fn list_pools(&self) -> Result<Vec<UserPool>, AuthError> {
        Ok(self.store.list_pools().await?)
    }

    /// Deletes a pool with its clients, users and sessions; audited.
    pub async fn delete_pool(&self, pool: &UserPool) -> Result<(), AuthError> {
        self.store.delete_pool(&pool.id).await?;
        AuditEvent::new("pool_deleted", pool.id.as_str(), Outcome::Success).emit();
        Ok(())
    }

    /// How many users a pool has (DescribeUserPool's EstimatedNumberOfUsers).
    pub async fn count_users(&self, pool: &UserPool) -> Result<i64, AuthError> {
        Ok(self.store.count_users(&pool.id).await?)
    }
}
