//! Creating, finding, changing and deleting user pools, for the Cognito admin operations, the
//! CLI and seed files. A pool's name is the login API's `TenantName`.

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::lockout::LockoutChanges;
use crate::domain::pool::{PoolName, PoolSettings, UserPool};
use crate::domain::pool_config::DeletionProtection;
use crate::store::StoreError;

/// Ids to use instead of fresh random ones, so fixtures can pin them.
#[derive(Debug, Clone, Default)]
pub struct FixedIds {
    pub pool_id: Option<UserPoolId>,
    pub client_id: Option<ClientId>,
}

impl Services {
    /// Creates a pool with its default app client (the one `/Login` uses).
    pub async fn create_pool(
        &self,
        name: &PoolName,
        settings: PoolSettings,
        ids: FixedIds,
    ) -> Result<(UserPool, AppClient), AuthError> {
        settings
            .password_policy
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        settings
            .lockout
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        let now = self.clock.now();
        let pool = UserPool {
            id: ids
                .pool_id
                .unwrap_or_else(|| UserPoolId::generate(&self.region)),
            name: name.as_str().to_owned(),
            settings,
            created_at: now,
        };
        let client = AppClient {
            id: ids.client_id.unwrap_or_else(ClientId::generate),
            pool_id: pool.id.clone(),
            name: format!("{} default client", name.as_str()),
            is_default: true,
            validity: TokenValidity::default(),
            refresh_grace_seconds: 0,
            settings: ClientSettings::default(),
            secret_encrypted: None,
            created_at: now,
        };
        match self.store.create_pool(&pool, &client).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AuthError::AlreadyExists(format!(
                    "a pool named {:?} (or one with the same pool or client id) already exists",
                    name.as_str()
                )));
            }
            Err(e) => return Err(e.into()),
        }
        // Create the signing keys now, so the JWKS is complete before the first sign-in.
        self.keys.jwks(&pool.id).await?;
        AuditEvent::new("pool_created", pool.id.as_str(), Outcome::Success)
            .with_client(client.id.as_str())
            .emit();
        Ok((pool, client))
    }

    /// Finds a pool by name (the login API's `TenantName`), with its default client.
    pub async fn find_pool(&self, name: &str) -> Result<(UserPool, AppClient), AuthError> {
        let not_found = || AuthError::ResourceNotFound(format!("Pool {name:?} does not exist."));
        let pool = self.store.pool_by_name(name).await?.ok_or_else(not_found)?;
        let client = self
            .store
            .default_client(&pool.id)
            .await?
            .ok_or_else(not_found)?;
        Ok((pool, client))
    }

    /// Changes a pool's lockout thresholds and, when given, whether only operators create
    /// users; sign-ins and sign-ups see the change from the next request.
    pub async fn update_pool(
        &self,
        name: &str,
        changes: &LockoutChanges,
        allow_admin_create_user_only: Option<bool>,
    ) -> Result<UserPool, AuthError> {
        let (mut pool, _) = self.find_pool(name).await?;
        let mut settings = pool.settings.clone();
        settings.lockout = changes
            .apply_to(&pool.settings.lockout)
            .map_err(AuthError::InvalidParameter)?;
        if let Some(only) = allow_admin_create_user_only {
            settings
                .admin_create_user_config
                .allow_admin_create_user_only = only;
        }
        if settings != pool.settings {
            pool.settings = settings;
            self.store
                .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
                .await?;
            tracing::info!(pool = %pool.id, "pool settings changed");
        }
        Ok(pool)
    }

    /// Replaces a pool's settings (`UpdateUserPool`), validated as on creation.
    pub async fn replace_pool_settings(
        &self,
        pool: &UserPool,
        settings: PoolSettings,
    ) -> Result<(), AuthError> {
        settings
            .password_policy
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        settings
            .lockout
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        if !self
            .store
            .update_pool_settings(&pool.id, &settings, self.clock.now())
            .await?
        {
            return Err(AuthError::ResourceNotFound(format!(
                "User pool {} does not exist.",
                pool.id
            )));
        }
        AuditEvent::new("pool_updated", pool.id.as_str(), Outcome::Success).emit();
        Ok(())
    }

    /// The pool with this id, if it exists.
    pub async fn pool_by_id(&self, id: &UserPoolId) -> Result<Option<UserPool>, AuthError> {
        Ok(self.store.pool_by_id(id).await?)
    }

    /// Every pool; they are few.
    pub async fn list_pools(&self) -> Result<Vec<UserPool>, AuthError> {
        Ok(self.store.list_pools().await?)
    }

    /// Deletes a pool with its clients, users and sessions; audited. A pool with deletion
    /// protection on is refused, as Cognito refuses it, until an update turns it off.
    pub async fn delete_pool(&self, pool: &UserPool) -> Result<(), AuthError> {
        if pool.settings.deletion_protection == DeletionProtection::Active {
            return Err(AuthError::InvalidParameter(
                "The user pool cannot be deleted because deletion protection is activated. \
                 Deletion protection must be inactivated first."
                    .into(),
            ));
        }
        self.store.delete_pool(&pool.id).await?;
        AuditEvent::new("pool_deleted", pool.id.as_str(), Outcome::Success).emit();
        Ok(())
    }

    /// How many users a pool has (DescribeUserPool's EstimatedNumberOfUsers).
    pub async fn count_users(&self, pool: &UserPool) -> Result<i64, AuthError> {
        Ok(self.store.count_users(&pool.id).await?)
    }
}
