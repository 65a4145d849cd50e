//! Creating, finding, changing and deleting user pools, for the Cognito admin operations, the
//! CLI and seed files. A pool's name is Cognito's `PoolName` and need not be unique; the
//! login API finds pools by their login name (its `TenantName`), which is unique. Pools made
//! by the CLI and seed files get their name as login name and a default client; pools made
//! by `CreateUserPool` get neither unless asked (docs/cognito-compatibility.md, "Pool names
//! and the login API").

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::app_client::{AppClient, ClientSettings, TokenValidity};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::lockout::LockoutChanges;
use crate::domain::pool::{PoolName, PoolSettings, PoolTags, UserPool};
use crate::domain::pool_config::DeletionProtection;
use crate::domain::schema::SchemaAttribute;
use crate::store::StoreError;

/// Compare-and-set rounds before giving up while a pool's settings keep changing.
const MAX_SETTINGS_ROUNDS: usize = 100;

/// The refusal of a login name another pool has.
fn login_name_taken(login_name: &str) -> AuthError {
    AuthError::InvalidParameter(format!(
        "Another user pool already has the login name (gatehouse:tenant) {login_name:?}"
    ))
}

/// Ids to use instead of fresh random ones, so fixtures can pin them.
#[derive(Debug, Clone, Default)]
pub struct FixedIds {
    pub pool_id: Option<UserPoolId>,
    pub client_id: Option<ClientId>,
}

impl Services {
    /// Creates a pool for the login API (the CLI and seed files): its name is also its login
    /// name, and it gets a default app client (the one `/Login` uses).
    pub async fn create_pool(
        &self,
        name: &PoolName,
        settings: PoolSettings,
        ids: FixedIds,
    ) -> Result<(UserPool, AppClient), AuthError> {
        let pool = self.new_pool(name, Some(name), settings, ids.pool_id)?;
        let client = AppClient {
            id: ids.client_id.unwrap_or_else(ClientId::generate),
            pool_id: pool.id.clone(),
            name: format!("{} default client", name.as_str()),
            is_default: true,
            validity: TokenValidity::default(),
            refresh_grace_seconds: 0,
            settings: ClientSettings::default(),
            secret_encrypted: None,
            created_at: pool.created_at,
            updated_at: pool.created_at,
        };
        let taken = AuthError::AlreadyExists(format!(
            "a pool named {:?} (or one with the same pool or client id) already exists",
            name.as_str()
        ));
        self.insert_pool(&pool, Some(&client), taken).await?;
        Ok((pool, client))
    }

    /// `CreateUserPool`: a pool as Cognito makes it, with no app client, under a name other
    /// pools may share. It gets a login name only from the `gatehouse:tenant` tag.
    pub async fn create_user_pool(
        &self,
        name: &PoolName,
        mut settings: PoolSettings,
        tags: PoolTags,
    ) -> Result<UserPool, AuthError> {
        settings.user_pool_tags = tags.other;
        let pool = self.new_pool(name, tags.login_name.as_ref(), settings, None)?;
        let taken = match &pool.login_name {
            Some(login_name) => login_name_taken(login_name),
            None => AuthError::AlreadyExists("a pool with the same id already exists".into()),
        };
        self.insert_pool(&pool, None, taken).await?;
        Ok(pool)
    }

    fn new_pool(
        &self,
        name: &PoolName,
        login_name: Option<&PoolName>,
        settings: PoolSettings,
        id: Option<UserPoolId>,
    ) -> Result<UserPool, AuthError> {
        settings
            .password_policy
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        settings
            .lockout
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        let now = self.clock.now();
        Ok(UserPool {
            id: id.unwrap_or_else(|| UserPoolId::generate(&self.region)),
            name: name.as_str().to_owned(),
            login_name: login_name.map(|n| n.as_str().to_owned()),
            settings,
            created_at: now,
            updated_at: now,
        })
    }

    async fn insert_pool(
        &self,
        pool: &UserPool,
        default_client: Option<&AppClient>,
        taken: AuthError,
    ) -> Result<(), AuthError> {
        match self.store.create_pool(pool, default_client).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(taken),
            Err(e) => return Err(e.into()),
        }
        // Create the signing keys now, so the first sign-in does not wait for RSA generation.
        // Under the fuzzer (fuzz/) they are created on first use instead, the path a pool
        // whose keys are missing takes anyway: RSA prime search instrumented by
        // AddressSanitizer takes seconds per key, and the fuzzer is after the decoders.
        #[cfg(not(fuzzing))]
        self.keys.jwks(&pool.id).await?;
        let event = AuditEvent::new("pool_created", pool.id.as_str(), Outcome::Success);
        match default_client {
            Some(client) => event.with_client(client.id.as_str()).emit(),
            None => event.emit(),
        }
        Ok(())
    }

    /// Replaces a pool's tags (`UpdateUserPool`'s `UserPoolTags`): the `gatehouse:tenant`
    /// tag sets or, when absent, removes its login name.
    pub async fn replace_pool_tags(
        &self,
        pool: &UserPool,
        tags: PoolTags,
    ) -> Result<UserPool, AuthError> {
        let mut updated = pool.clone();
        updated.login_name = tags.login_name.map(|n| n.as_str().to_owned());
        updated.settings.user_pool_tags = tags.other;
        self.store_pool_tags(pool, updated).await
    }

    /// `TagResource`: adds or overwrites tags; the `gatehouse:tenant` tag sets the login name.
    pub async fn tag_pool(&self, pool: &UserPool, tags: PoolTags) -> Result<UserPool, AuthError> {
        let mut updated = pool.clone();
        if let Some(login_name) = tags.login_name {
            updated.login_name = Some(login_name.as_str().to_owned());
        }
        updated.settings.user_pool_tags.extend(tags.other);
        if updated.settings.user_pool_tags.len() + usize::from(updated.login_name.is_some())
            > crate::domain::pool::MAX_TAGS
        {
            return Err(AuthError::InvalidParameter(format!(
                "A user pool can have at most {} tags",
                crate::domain::pool::MAX_TAGS
            )));
        }
        self.store_pool_tags(pool, updated).await
    }

    /// `UntagResource`: removing the `gatehouse:tenant` tag takes the login name away.
    pub async fn untag_pool(
        &self,
        pool: &UserPool,
        keys: &[String],
    ) -> Result<UserPool, AuthError> {
        let mut updated = pool.clone();
        for key in keys {
            if key == crate::domain::pool::LOGIN_NAME_TAG {
                updated.login_name = None;
            }
            updated.settings.user_pool_tags.remove(key);
        }
        self.store_pool_tags(pool, updated).await
    }

    async fn store_pool_tags(
        &self,
        pool: &UserPool,
        mut updated: UserPool,
    ) -> Result<UserPool, AuthError> {
        let now = self.clock.now();
        updated.updated_at = now;
        let gone = || AuthError::ResourceNotFound(format!("User pool {} does not exist.", pool.id));
        if updated.login_name != pool.login_name {
            match self
                .store
                .set_pool_login_name(&pool.id, updated.login_name.as_deref(), now)
                .await
            {
                Ok(true) => {}
                Ok(false) => return Err(gone()),
                Err(StoreError::Conflict(_)) => {
                    return Err(login_name_taken(
                        updated.login_name.as_deref().unwrap_or(""),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
            tracing::info!(pool = %pool.id, login_name = ?updated.login_name, "pool login name changed");
        }
        if updated.settings != pool.settings
            && !self
                .store
                .update_pool_settings(&pool.id, &updated.settings, now)
                .await?
        {
            return Err(gone());
        }
        AuditEvent::new("pool_updated", pool.id.as_str(), Outcome::Success).emit();
        Ok(updated)
    }

    /// Finds a pool by login name (the login API's `TenantName`), with its default client:
    /// the pool the CLI and seed files made under that name.
    pub async fn find_pool(&self, name: &str) -> Result<(UserPool, AppClient), AuthError> {
        let pool =
            self.store.pool_by_login_name(name).await?.ok_or_else(|| {
                AuthError::ResourceNotFound(format!("Pool {name:?} does not exist."))
            })?;
        let client = self.store.default_client(&pool.id).await?.ok_or_else(|| {
            AuthError::ResourceNotFound(format!("Pool {name:?} has no default client."))
        })?;
        Ok((pool, client))
    }

    /// The pool an operator names on the command line: by login name, or by pool id (for
    /// pools made by `CreateUserPool`, which need not have a login name).
    pub async fn pool_named(&self, name: &str) -> Result<UserPool, AuthError> {
        if let Some(pool) = self.store.pool_by_login_name(name).await? {
            return Ok(pool);
        }
        if let Ok(id) = UserPoolId::parse(name)
            && let Some(pool) = self.store.pool_by_id(&id).await?
        {
            return Ok(pool);
        }
        Err(AuthError::ResourceNotFound(format!(
            "Pool {name:?} does not exist."
        )))
    }

    /// Changes a pool's lockout thresholds and, when given, whether only operators create
    /// users; sign-ins and sign-ups see the change from the next request.
    pub async fn update_pool(
        &self,
        name: &str,
        changes: &LockoutChanges,
        allow_admin_create_user_only: Option<bool>,
    ) -> Result<UserPool, AuthError> {
        let mut pool = self.pool_named(name).await?;
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
            pool.updated_at = self.clock.now();
            self.store
                .update_pool_settings(&pool.id, &pool.settings, pool.updated_at)
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

    /// `AddCustomAttributes`: appends custom attributes to the pool's schema. The settings
    /// are replaced only if no one changed them meanwhile (else decided again on the fresh
    /// ones), so of concurrent additions none is lost and the limit of 50 holds.
    pub async fn add_custom_attributes(
        &self,
        pool: &UserPool,
        attributes: Vec<SchemaAttribute>,
    ) -> Result<(), AuthError> {
        let not_found =
            || AuthError::ResourceNotFound(format!("User pool {} does not exist.", pool.id));
        let mut current = pool.settings.clone();
        for _ in 0..MAX_SETTINGS_ROUNDS {
            let mut schema = current.schema().into_owned();
            schema
                .add(attributes.clone())
                .map_err(|e| AuthError::InvalidParameter(e.to_string()))?;
            let mut next = current.clone();
            next.schema = Some(schema);
            let now = self.clock.now();
            if self
                .store
                .replace_pool_settings(&pool.id, &current, &next, now)
                .await?
            {
                AuditEvent::new("pool_schema_extended", pool.id.as_str(), Outcome::Success).emit();
                return Ok(());
            }
            let stored = self
                .store
                .pool_by_id(&pool.id)
                .await?
                .ok_or_else(not_found)?;
            if stored.settings == current {
                // The same settings in another spelling (written by an older version):
                // nothing to race with, so write them as decided.
                self.store
                    .update_pool_settings(&pool.id, &next, now)
                    .await?;
                return Ok(());
            }
            current = stored.settings;
        }
        Err(AuthError::TooManyRequests)
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
