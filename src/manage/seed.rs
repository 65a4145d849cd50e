//! Declarative fixtures: a JSON file of user pools with their clients, groups and users, applied
//! so that running it again changes nothing. Existing things are brought in line with the
//! file; things the file does not mention are left alone.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::auth::{AuthError, Services};
use crate::crypto::password::Verification;
use crate::domain::app_client::TokenValidity;
use crate::domain::attributes::UserAttributes;
use crate::domain::contact_verification::{AutoVerifiedAttributes, UserAttributeUpdateSettings};
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::lockout::{LockoutChanges, LockoutPolicy};
use crate::domain::message_template::{
    VerificationMessageTemplate, validate_sms_authentication_message,
};
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{
    AdminCreateUserConfig, PoolName, PoolSettings, SoftwareTokenMfaConfiguration, UserPool,
};
use crate::domain::pool_config::MfaConfiguration;
use crate::domain::schema::{Moment, Schema, SchemaAttributeSpec};
use crate::domain::secret::SecretString;
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::GroupRecord;

use super::clients::ClientChanges;
use super::mfa_config::PoolMfaConfig;
use super::pools::FixedIds;
use super::users::NewUser;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedFile {
    /// `Pools`; files written before the CLI said "pool" call it `Tenants`, which still works.
    #[serde(alias = "Tenants")]
    pub pools: Vec<SeedPool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedPool {
    pub name: String,
    /// Pin the pool id (`<region>_<alphanumerics>`) so app configuration can be static.
    pub pool_id: Option<String>,
    /// Pin the default client's id.
    pub client_id: Option<String>,
    pub password_policy: Option<PasswordPolicy>,
    /// Lockout thresholds; members left out take Cognito's defaults (5 free failures, at
    /// most 900 s locked, forgotten after 900 quiet seconds).
    pub lockout: Option<LockoutChanges>,
    /// `{"AllowAdminCreateUserOnly": false}` lets anyone `SignUp`; left out, a new pool
    /// refuses self-registration and an existing one keeps what it has.
    pub admin_create_user_config: Option<AdminCreateUserConfig>,
    /// Cognito's `VerificationMessageTemplate` (the wording of codes); left out, a new pool
    /// takes Cognito's defaults and an existing one keeps what it has.
    pub verification_message_template: Option<VerificationMessageTemplate>,
    /// Cognito's `SmsAuthenticationMessage` (stored; MFA is not served yet).
    pub sms_authentication_message: Option<String>,
    /// Contact attributes sent a code at sign-up and when changed; left out, a new pool sends
    /// codes to both (`email` first) and an existing one keeps what it has.
    pub auto_verified_attributes: Option<Vec<String>>,
    /// `{"AttributesRequireVerificationBeforeUpdate": ["email"]}`: a change waits for its code.
    pub user_attribute_update_settings: Option<SeedUserAttributeUpdateSettings>,
    /// The pool's attribute schema, as `CreateUserPool`'s `Schema` gives it; left out, the
    /// pool takes any `custom:` attribute (an open schema) and an existing one keeps what
    /// it has.
    pub schema: Option<Vec<SchemaAttributeSpec>>,
    /// Lifetimes and grace of the default client (the one `/Login` uses).
    pub default_client: Option<SeedClientSettings>,
    /// `OFF`, `OPTIONAL` or `ON`, as SetUserPoolMfaConfig takes it; left out, a new pool has
    /// MFA off and an existing one keeps what it has.
    pub mfa_configuration: Option<MfaConfiguration>,
    /// `{"Enabled": true}`: TOTP authenticator apps are a factor (`OPTIONAL` and `ON` need
    /// it); left out, the pool keeps what it has.
    pub software_token_mfa_configuration: Option<SoftwareTokenMfaConfiguration>,
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedUserAttributeUpdateSettings {
    #[serde(default)]
    pub attributes_require_verification_before_update: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedClientSettings {
    pub id_token_validity_seconds: Option<i64>,
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    /// Seconds a rotated refresh token's predecessor may be exchanged once more (0-60).
    pub refresh_token_grace_seconds: Option<i64>,
    /// The client's `ReadAttributes`; absent keeps what the client has (Cognito's default
    /// for a new one).
    pub read_attributes: Option<Vec<String>>,
    /// The client's `WriteAttributes`; absent keeps what the client has.
    pub write_attributes: Option<Vec<String>>,
}

impl SeedClientSettings {
    fn changes(&self) -> ClientChanges {
        ClientChanges {
            name: None,
            id_token_seconds: self.id_token_validity_seconds,
            access_token_seconds: self.access_token_validity_seconds,
            refresh_token_seconds: self.refresh_token_validity_seconds,
            refresh_grace_seconds: self.refresh_token_grace_seconds,
            read_attributes: self.read_attributes.clone(),
            write_attributes: self.write_attributes.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedClient {
    pub name: String,
    pub client_id: Option<String>,
    pub id_token_validity_seconds: Option<i64>,
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    pub refresh_token_grace_seconds: Option<i64>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
}

impl SeedClient {
    fn settings(&self) -> SeedClientSettings {
        SeedClientSettings {
            id_token_validity_seconds: self.id_token_validity_seconds,
            access_token_validity_seconds: self.access_token_validity_seconds,
            refresh_token_validity_seconds: self.refresh_token_validity_seconds,
            refresh_token_grace_seconds: self.refresh_token_grace_seconds,
            read_attributes: self.read_attributes.clone(),
            write_attributes: self.write_attributes.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedGroup {
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    /// The IAM role in the `cognito:roles` and `cognito:preferred_role` claims.
    pub role_arn: Option<String>,
}

/// A declared group, checked as `CreateGroup` checks it.
fn check_group(group: &SeedGroup) -> Result<(), &'static str> {
    use crate::domain::group::{
        check_description, check_group_name, check_precedence, check_role_arn,
    };
    check_group_name(&group.name)?;
    group
        .description
        .as_deref()
        .map(check_description)
        .transpose()?;
    group.precedence.map(check_precedence).transpose()?;
    group.role_arn.as_deref().map(check_role_arn).transpose()?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedUser {
    pub username: String,
    pub password: SecretString,
    #[serde(default)]
    pub temporary: bool,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// A TOTP secret in base32, enrolled as the user's verified, enabled authenticator app,
    /// so fixtures can sign in with codes computed from a known secret.
    pub totp_secret: Option<SecretString>,
}

impl std::fmt::Debug for SeedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedUser")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .field("temporary", &self.temporary)
            .finish_non_exhaustive()
    }
}

fn enabled_by_default() -> bool {
    true
}

/// What applying a seed file did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub pools_created: usize,
    pub clients_created: usize,
    pub users_created: usize,
    pub users_updated: usize,
    pub pools: Vec<SeededPool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededPool {
    pub name: String,
    pub pool_id: String,
    pub client_id: String,
}

impl SeedFile {
    pub fn parse(json: &str) -> Result<Self, AuthError> {
        serde_json::from_str(json)
            .map_err(|e| AuthError::InvalidParameter(format!("seed file: {e}")))
    }
}

fn invalid(context: &str, e: impl std::fmt::Display) -> AuthError {
    AuthError::InvalidParameter(format!("seed file, {context}: {e}"))
}

/// Told how far a seed file has got: hashing each user's password makes large files slow.
pub trait SeedProgress {
    /// The file holds this many users in all.
    fn users(&self, total: u64);
    /// One more user is in line with the file.
    fn user_applied(&self);
}

/// Reports nothing.
pub struct Silent;

impl SeedProgress for Silent {
    fn users(&self, _: u64) {}
    fn user_applied(&self) {}
}

impl Services {
    pub async fn apply_seed(&self, seed: SeedFile) -> Result<SeedReport, AuthError> {
        self.apply_seed_reporting(seed, &Silent).await
    }

    /// Applies the file, telling `progress` about each user.
    pub async fn apply_seed_reporting(
        &self,
        seed: SeedFile,
        progress: &dyn SeedProgress,
    ) -> Result<SeedReport, AuthError> {
        let mut report = SeedReport::default();
        progress.users(seed.pools.iter().map(|p| p.users.len() as u64).sum());
        for pool in seed.pools {
            self.apply_pool(pool, &mut report, progress).await?;
        }
        Ok(report)
    }

    async fn apply_pool(
        &self,
        entry: SeedPool,
        report: &mut SeedReport,
        progress: &dyn SeedProgress,
    ) -> Result<(), AuthError> {
        let context = format!("pool {:?}", entry.name);
        let name = PoolName::parse(&entry.name).map_err(|e| invalid(&context, e))?;
        let pool_id = entry
            .pool_id
            .as_deref()
            .map(UserPoolId::parse)
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let client_id = entry
            .client_id
            .as_deref()
            .map(ClientId::parse)
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let lockout = entry
            .lockout
            .as_ref()
            .map(|changes| changes.apply_to(&LockoutPolicy::default()))
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let schema = entry
            .schema
            .as_deref()
            .map(Schema::declare)
            .transpose()
            .map_err(|e| invalid(&context, e))?;

        // Templates are checked as CreateUserPool checks them, before anything is written.
        if let Some(template) = &entry.verification_message_template {
            template.validate().map_err(|e| invalid(&context, e))?;
        }
        if let Some(message) = &entry.sms_authentication_message {
            validate_sms_authentication_message(message).map_err(|e| invalid(&context, e))?;
        }
        if let Some(invitation) = entry
            .admin_create_user_config
            .as_ref()
            .and_then(|config| config.invite_message_template.as_ref())
        {
            invitation.validate().map_err(|e| invalid(&context, e))?;
        }
        let auto_verified = entry
            .auto_verified_attributes
            .clone()
            .map(AutoVerifiedAttributes::parse)
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let (pool, default_client) = match self.store.pool_by_login_name(name.as_str()).await? {
            Some(_) => self.find_pool(name.as_str()).await?,
            None => {
                let settings = PoolSettings {
                    password_policy: entry.password_policy.clone().unwrap_or_default(),
                    lockout: lockout.clone().unwrap_or_default(),
                    admin_create_user_config: entry
                        .admin_create_user_config
                        .clone()
                        .unwrap_or_default(),
                    verification_message_template: entry
                        .verification_message_template
                        .clone()
                        .unwrap_or_default(),
                    sms_authentication_message: entry.sms_authentication_message.clone(),
                    auto_verified_attributes: auto_verified.clone().unwrap_or_default(),
                    schema: schema.clone(),
                    ..PoolSettings::default()
                };
                report.pools_created += 1;
                self.create_pool(
                    &name,
                    settings,
                    FixedIds {
                        pool_id: pool_id.clone(),
                        client_id: client_id.clone(),
                    },
                )
                .await?
            }
        };
        if pool_id.as_ref().is_some_and(|id| *id != pool.id)
            || client_id
                .as_ref()
                .is_some_and(|id| *id != default_client.id)
        {
            return Err(invalid(
                &context,
                "exists with a different PoolId or ClientId than the file pins",
            ));
        }
        let pool = self.align_policy(pool, entry.password_policy).await?;
        let pool = self.align_lockout(pool, lockout).await?;
        let pool = self
            .align_admin_create_user_config(pool, entry.admin_create_user_config.clone())
            .await?;
        let pool = self
            .align_messages(
                pool,
                entry.verification_message_template.clone(),
                entry.sms_authentication_message.clone(),
            )
            .await?;
        let pool = self
            .align_verification(
                &context,
                pool,
                auto_verified,
                entry
                    .user_attribute_update_settings
                    .map(|s| s.attributes_require_verification_before_update),
            )
            .await?;
        let pool = self.align_schema(pool, schema).await?;
        let pool = self
            .align_mfa(
                &context,
                pool,
                entry.mfa_configuration,
                entry.software_token_mfa_configuration,
            )
            .await?;
        if let Some(settings) = &entry.default_client {
            self.update_client(&default_client, &settings.changes())
                .await
                .map_err(|e| invalid(&context, e))?;
        }

        for client in entry.clients {
            self.apply_client(&pool, client, report).await?;
        }
        let now = self.clock.now();
        for group in &entry.groups {
            check_group(group)
                .map_err(|e| invalid(&context, format!("group {:?}: {e}", group.name)))?;
            self.store
                .put_group(
                    &GroupRecord {
                        pool_id: pool.id.clone(),
                        name: group.name.clone(),
                        description: group.description.clone(),
                        precedence: group.precedence,
                        role_arn: group.role_arn.clone(),
                        created_at: now,
                        updated_at: now,
                    },
                    now,
                )
                .await?;
        }
        for user in entry.users {
            self.apply_user(&pool, user, report).await?;
            progress.user_applied();
        }
        report.pools.push(SeededPool {
            name: pool.name.clone(),
            pool_id: pool.id.to_string(),
            client_id: default_client.id.to_string(),
        });
        Ok(())
    }

    async fn align_policy(
        &self,
        pool: UserPool,
        policy: Option<PasswordPolicy>,
    ) -> Result<UserPool, AuthError> {
        let Some(policy) = policy else {
            return Ok(pool);
        };
        if policy == pool.settings.password_policy {
            return Ok(pool);
        }
        policy.validate().map_err(|e| invalid(&pool.name, e))?;
        let mut pool = pool;
        pool.settings.password_policy = policy;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    async fn align_lockout(
        &self,
        pool: UserPool,
        lockout: Option<LockoutPolicy>,
    ) -> Result<UserPool, AuthError> {
        let Some(lockout) = lockout else {
            return Ok(pool);
        };
        if lockout == pool.settings.lockout {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings.lockout = lockout;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    async fn align_admin_create_user_config(
        &self,
        pool: UserPool,
        config: Option<AdminCreateUserConfig>,
    ) -> Result<UserPool, AuthError> {
        let Some(config) = config else {
            return Ok(pool);
        };
        if config == pool.settings.admin_create_user_config {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings.admin_create_user_config = config;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    /// The file's templates replace the pool's where the file gives them.
    async fn align_messages(
        &self,
        pool: UserPool,
        template: Option<VerificationMessageTemplate>,
        sms_authentication_message: Option<String>,
    ) -> Result<UserPool, AuthError> {
        let mut settings = pool.settings.clone();
        if let Some(template) = template {
            settings.verification_message_template = template;
        }
        if sms_authentication_message.is_some() {
            settings.sms_authentication_message = sms_authentication_message;
        }
        if settings == pool.settings {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings = settings;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    /// The file's `AutoVerifiedAttributes` and `UserAttributeUpdateSettings` replace the
    /// pool's where the file gives them; together they must still fit (a change that waits
    /// for a code needs the code to be sent).
    async fn align_verification(
        &self,
        context: &str,
        pool: UserPool,
        auto_verified: Option<AutoVerifiedAttributes>,
        held: Option<Vec<String>>,
    ) -> Result<UserPool, AuthError> {
        let mut settings = pool.settings.clone();
        if let Some(auto) = auto_verified {
            settings.auto_verified_attributes = auto;
        }
        let held = held.unwrap_or_else(|| {
            settings
                .user_attribute_update_settings
                .attributes_require_verification_before_update
                .clone()
        });
        settings.user_attribute_update_settings =
            UserAttributeUpdateSettings::parse(held, &settings.auto_verified_attributes)
                .map_err(|e| invalid(context, e))?;
        if settings == pool.settings {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings = settings;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    /// A declared schema replaces the stored one: the file is the truth for its pools.
    async fn align_schema(
        &self,
        pool: UserPool,
        schema: Option<Schema>,
    ) -> Result<UserPool, AuthError> {
        if schema.is_none() || schema == pool.settings.schema {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings.schema = schema;
        self.store
            .update_pool_settings(&pool.id, &pool.settings, self.clock.now())
            .await?;
        Ok(pool)
    }

    /// The file's MFA configuration replaces the pool's where the file gives it, checked
    /// as SetUserPoolMfaConfig checks it.
    async fn align_mfa(
        &self,
        context: &str,
        pool: UserPool,
        mode: Option<MfaConfiguration>,
        software_token: Option<SoftwareTokenMfaConfiguration>,
    ) -> Result<UserPool, AuthError> {
        let current = PoolMfaConfig::of(&pool);
        let wanted = PoolMfaConfig {
            mfa_configuration: mode.unwrap_or(current.mfa_configuration),
            software_token: software_token.unwrap_or(current.software_token),
            ..current.clone()
        };
        if wanted == current {
            return Ok(pool);
        }
        let stored = self
            .set_pool_mfa_config(&pool, wanted)
            .await
            .map_err(|e| invalid(context, e))?;
        let mut pool = pool;
        pool.settings.mfa_configuration = stored.mfa_configuration;
        pool.settings.software_token_mfa_configuration = stored.software_token;
        Ok(pool)
    }

    async fn apply_client(
        &self,
        pool: &UserPool,
        client: SeedClient,
        report: &mut SeedReport,
    ) -> Result<(), AuthError> {
        let context = format!("client {:?}", client.name);
        let id = client
            .client_id
            .as_deref()
            .map(ClientId::parse)
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let existing = self.store.list_clients(&pool.id).await?;
        let found = existing.iter().find(|c| match &id {
            Some(id) => c.id == *id,
            None => c.name == client.name && !c.is_default,
        });
        if let Some(found) = found {
            let changes = ClientChanges {
                name: Some(client.name.clone()),
                ..client.settings().changes()
            };
            self.update_client(found, &changes)
                .await
                .map_err(|e| invalid(&context, e))?;
            return Ok(());
        }
        let defaults = TokenValidity::default();
        let validity = TokenValidity {
            id_token_seconds: client
                .id_token_validity_seconds
                .unwrap_or(defaults.id_token_seconds),
            access_token_seconds: client
                .access_token_validity_seconds
                .unwrap_or(defaults.access_token_seconds),
            refresh_token_seconds: client
                .refresh_token_validity_seconds
                .unwrap_or(defaults.refresh_token_seconds),
        };
        let created = self.create_client(pool, &client.name, id, validity).await?;
        let changes = ClientChanges {
            refresh_grace_seconds: client.refresh_token_grace_seconds,
            read_attributes: client.read_attributes,
            write_attributes: client.write_attributes,
            ..ClientChanges::default()
        };
        if changes != ClientChanges::default() {
            self.update_client(&created, &changes)
                .await
                .map_err(|e| invalid(&context, e))?;
        }
        report.clients_created += 1;
        Ok(())
    }

    async fn apply_user(
        &self,
        pool: &UserPool,
        seed: SeedUser,
        report: &mut SeedReport,
    ) -> Result<(), AuthError> {
        let context = format!("user {:?}", seed.username);
        let username = Username::parse(&seed.username).map_err(|e| invalid(&context, e))?;
        let totp_secret = seed
            .totp_secret
            .as_ref()
            .map(crate::auth::operator_mfa::decode_totp_secret)
            .transpose()
            .map_err(|e| invalid(&context, e))?;
        let attributes =
            UserAttributes::parse(seed.attributes).map_err(|e| invalid(&context, e))?;
        // The file states all of a user's attributes, so they are checked as on creation.
        let attributes = pool
            .settings
            .schema()
            .conform(Moment::Creation, &UserAttributes::default(), &attributes)
            .map_err(|e| invalid(&context, e))?;
        let user = match self.user_by_sign_in_name(pool, &username).await? {
            None => {
                let user = self
                    .create_user(
                        pool,
                        NewUser {
                            username,
                            password: seed.password,
                            temporary: seed.temporary,
                            attributes,
                            enabled: seed.enabled,
                        },
                    )
                    .await
                    .map_err(|e| invalid(&context, e))?;
                report.users_created += 1;
                if let Some(bytes) = &totp_secret {
                    self.align_totp_secret(&user, bytes).await?;
                }
                user
            }
            Some(user) => {
                let totp_changed = match &totp_secret {
                    Some(bytes) => self.align_totp_secret(&user, bytes).await?,
                    None => false,
                };
                if self
                    .align_user(
                        pool,
                        &user,
                        &seed.password,
                        seed.temporary,
                        seed.enabled,
                        attributes,
                    )
                    .await?
                    || totp_changed
                {
                    report.users_updated += 1;
                }
                user
            }
        };
        for group in &seed.groups {
            if !self
                .store
                .list_groups(&pool.id)
                .await?
                .iter()
                .any(|g| g.name == *group)
            {
                return Err(invalid(
                    &context,
                    format!("group {group:?} is not declared"),
                ));
            }
            self.store
                .add_user_to_group(&pool.id, &user.sub, group)
                .await?;
        }
        Ok(())
    }

    /// Brings an existing user in line with the file; returns whether anything changed.
    async fn align_user(
        &self,
        pool: &UserPool,
        user: &User,
        password: &SecretString,
        temporary: bool,
        enabled: bool,
        attributes: UserAttributes,
    ) -> Result<bool, AuthError> {
        let now = self.clock.now();
        let mut changed = false;
        if user.attributes != attributes {
            self.store
                .set_attributes(&user.sub, &attributes, now)
                .await?;
            changed = true;
        }
        if user.enabled != enabled {
            self.store.set_enabled(&user.sub, enabled, now).await?;
            let event = if enabled {
                "user_enabled"
            } else {
                "user_disabled"
            };
            crate::auth::audit::AuditEvent::for_user(event, &pool.id, user).emit();
            changed = true;
        }
        // A user who already replaced a temporary password keeps their own; an unanswered
        // temporary password that has expired is issued again, so long-lived development
        // databases keep working.
        let replaced_temporary = temporary && user.status == UserStatus::Confirmed;
        let expired_temporary = user.status == UserStatus::ForceChangePassword
            && user
                .temporary_password_expires_at
                .is_some_and(|expiry| now >= expiry);
        if expired_temporary {
            let username = Username::parse(&user.username).map_err(AuthError::internal)?;
            self.set_user_password(pool, &username, password, temporary)
                .await?;
            changed = true;
        } else if !replaced_temporary {
            let matches = matches!(
                self.hasher.verify(password, user.password.as_ref()).await?,
                Verification::Match { .. }
            );
            if !matches {
                let username = Username::parse(&user.username).map_err(AuthError::internal)?;
                self.set_user_password(pool, &username, password, temporary)
                    .await?;
                changed = true;
            }
        }
        Ok(changed)
    }
}
