//! Declarative fixtures: a JSON file of user pools with their clients, groups and users, applied
//! so that running it again changes nothing. Existing things are brought in line with the
//! file; things the file does not mention are left alone.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::{AuthError, Services};
use crate::crypto::password::Verification;
use crate::domain::app_client::AppClient;
use crate::domain::attributes::UserAttributes;
use crate::domain::client_declaration::ClientConfig;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::lockout::{LockoutChanges, LockoutPolicy};
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{
    EmailMfaConfiguration, LOGIN_NAME_TAG, PoolName, PoolSettings, PoolTags, SmsMfaConfiguration,
    SoftwareTokenMfaConfiguration, UserPool,
};
use crate::domain::pool_config::MfaConfiguration;
use crate::domain::pool_declaration::{Omitted, PoolConfig};
use crate::domain::schema::{Moment, Schema, SchemaAttributeSpec};
use crate::domain::secret::SecretString;
use crate::domain::sign_in_names::{SignInNames, UsernameConfiguration};
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::GroupRecord;

use super::clients::{ClientChanges, NewAppClient};
use super::mfa_config::PoolMfaConfig;
use super::pools::FixedIds;
use super::users::NewUser;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedFile {
    /// `Pools`; files written before the CLI said "pool" call it `Tenants`, which still works.
    #[serde(alias = "Tenants")]
    pub pools: Vec<SeedPool>,
    /// Where trigger functions are invoked, by ARN: read by `serve --seed` before the server
    /// starts, beside `GATEHOUSE_LAMBDA_FUNCTION_URLS` (docs/triggers.md, "Configuration").
    /// Configuration, not pool data: seeding a running server's database ignores it.
    #[serde(default)]
    pub lambda_function_urls: std::collections::BTreeMap<String, String>,
}

/// A pool of the file. Besides Gatehouse's own members (its ids, `Lockout`, the default
/// client, and the clients, groups and users to put in it), it takes every setting
/// `CreateUserPool` takes, under the same names, read by the same code
/// (`domain/pool_declaration.rs` and the schema and sign-in-name rules), so it is described as
/// the same pool created through the Cognito API is (docs/operations.md, "Seed files").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SeedPool {
    /// The pool's `PoolName`, and its login name (the login API's `TenantName`).
    pub name: String,
    /// Pin the pool id (`<region>_<alphanumerics>`) so app configuration can be static.
    pub pool_id: Option<String>,
    /// Pin the default client's id.
    pub client_id: Option<String>,
    /// `Policies.PasswordPolicy` under its older name; a file gives one or the other.
    pub password_policy: Option<PasswordPolicy>,
    /// Lockout thresholds; members left out take Cognito's defaults (5 free failures, at
    /// most 900 s locked, forgotten after 900 quiet seconds).
    pub lockout: Option<LockoutChanges>,
    /// The pool's attribute schema, as `CreateUserPool`'s `Schema` gives it; left out, the
    /// pool takes any `custom:` attribute (an open schema) and an existing one keeps what
    /// it has.
    pub schema: Option<Vec<SchemaAttributeSpec>>,
    /// `UsernameAttributes`, `AliasAttributes` and `UsernameConfiguration`: set when the
    /// pool is created, as in Cognito; a file may repeat them but not change them.
    pub username_attributes: Option<Vec<String>>,
    pub alias_attributes: Option<Vec<String>>,
    pub username_configuration: Option<UsernameConfiguration>,
    /// `UserPoolTags`; the `gatehouse:tenant` tag, if given, must be the pool's `Name`.
    pub user_pool_tags: Option<BTreeMap<String, String>>,
    /// Lifetimes and grace of the default client (the one `/Login` uses).
    pub default_client: Option<SeedClientSettings>,
    /// `OFF`, `OPTIONAL` or `ON`, as SetUserPoolMfaConfig takes it; left out, a new pool has
    /// MFA off and an existing one keeps what it has.
    pub mfa_configuration: Option<MfaConfiguration>,
    /// `{"Enabled": true}`: TOTP authenticator apps are a factor (`OPTIONAL` and `ON` need
    /// it); left out, the pool keeps what it has.
    pub software_token_mfa_configuration: Option<SoftwareTokenMfaConfiguration>,
    /// `{"Message": "... {####}", "Subject": "..."}`: e-mailed sign-in codes are a factor,
    /// as SetUserPoolMfaConfig's `EmailMfaConfiguration`; left out, the pool keeps what it has.
    pub email_mfa_configuration: Option<EmailMfaConfiguration>,
    /// `{"SmsAuthenticationMessage": "... {####}"}`: texted codes (held in the outbox) are a
    /// factor; left out, the pool keeps what it has.
    pub sms_mfa_configuration: Option<SmsMfaConfiguration>,
    /// `{"CSS": "...", "ImageFile": "<base64>"}`: the hosted pages' pool-wide branding, as
    /// SetUICustomization takes it and checks it; left out, the pool keeps what it has.
    #[serde(rename = "UICustomization")]
    pub ui_customization: Option<SeedUiCustomization>,
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Every other member: the settings `CreateUserPool` and `UpdateUserPool` share
    /// (`Policies`, `AdminCreateUserConfig`, the message templates, `AutoVerifiedAttributes`,
    /// `DeletionProtection`, `LambdaConfig`, ...), read as [`PoolConfig`], which refuses
    /// members it does not know.
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

/// A pool's branding in a seed file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SeedUiCustomization {
    #[serde(rename = "CSS")]
    pub css: Option<String>,
    /// The logo, base64-encoded.
    pub image_file: Option<String>,
}

impl SeedPool {
    /// The pool's settings as the file declares them over `current` (what a new pool starts
    /// with, or what an existing one has): what the file gives replaces the pool's, what it
    /// leaves out stays, so applying the file again changes nothing.
    fn settings(&self, current: &PoolSettings, exists: bool) -> Result<PoolSettings, String> {
        let config: PoolConfig = serde_json::from_value(Value::Object(self.settings.clone()))
            .map_err(|e| e.to_string())?;
        if self.password_policy.is_some() && config.has_password_policy() {
            return Err("give PasswordPolicy or Policies.PasswordPolicy, not both".into());
        }
        let mut settings = config
            .apply_to(current.clone(), Omitted::Kept)
            .map_err(|e| e.to_string())?;
        if let Some(policy) = &self.password_policy {
            settings.password_policy = policy.clone();
        }
        settings.password_policy.validate()?;
        if let Some(lockout) = &self.lockout {
            settings.lockout = lockout.apply_to(&LockoutPolicy::default())?;
        }
        if let Some(schema) = &self.schema {
            settings.schema = Some(Schema::declare(schema).map_err(|e| e.to_string())?);
        }
        if self.username_attributes.is_some()
            || self.alias_attributes.is_some()
            || self.username_configuration.is_some()
        {
            // Gatehouse's pools compare names without their case unless told otherwise.
            let names = SignInNames::declare(
                self.username_attributes.clone(),
                self.alias_attributes.clone(),
                self.username_configuration.clone(),
                false,
            )
            .map_err(|e| e.to_string())?;
            if exists && names != current.sign_in_names {
                return Err(
                    "UsernameAttributes, AliasAttributes and UsernameConfiguration \
                            cannot change once the pool exists"
                        .into(),
                );
            }
            settings.sign_in_names = names;
        }
        if let Some(tags) = &self.user_pool_tags {
            let tags = PoolTags::parse(tags.clone())?;
            if tags
                .login_name
                .as_ref()
                .is_some_and(|n| n.as_str() != self.name)
            {
                return Err(format!("the {LOGIN_NAME_TAG} tag must be the pool's Name"));
            }
            settings.user_pool_tags = tags.other;
        }
        Ok(settings)
    }
}

/// A client's settings in the file: every setting `CreateUserPoolClient` takes, under the
/// same names, read by the same code (`domain/client_declaration.rs`), and Gatehouse's older
/// members, lifetimes in seconds and the refresh grace, which win where both are given.
/// What the file leaves out stays as the client has it (for a new client, what Gatehouse
/// gives the clients it makes).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SeedClientSettings {
    pub id_token_validity_seconds: Option<i64>,
    pub access_token_validity_seconds: Option<i64>,
    pub refresh_token_validity_seconds: Option<i64>,
    /// Seconds a rotated refresh token's predecessor may be exchanged once more (0-60).
    pub refresh_token_grace_seconds: Option<i64>,
    /// Every other member, read as [`ClientConfig`], which refuses members it does not know.
    #[serde(flatten)]
    pub settings: Map<String, Value>,
}

impl SeedClientSettings {
    fn changes(&self) -> ClientChanges {
        ClientChanges {
            name: None,
            id_token_seconds: self.id_token_validity_seconds,
            access_token_seconds: self.access_token_validity_seconds,
            refresh_token_seconds: self.refresh_token_validity_seconds,
            refresh_grace_seconds: self.refresh_token_grace_seconds,
            read_attributes: None,
            write_attributes: None,
        }
    }

    /// `client` as the file declares it, checked as `UpdateUserPoolClient` checks a client.
    fn declared(
        &self,
        pool: &UserPool,
        client: &AppClient,
        name: &str,
    ) -> Result<AppClient, String> {
        let config: ClientConfig = serde_json::from_value(Value::Object(self.settings.clone()))
            .map_err(|e| e.to_string())?;
        let parsed = config
            .or_current(client)
            .parse("updating", pool, client.secret_encrypted.is_some())
            .map_err(|e| e.to_string())?;
        let declared = AppClient {
            name: name.to_owned(),
            validity: parsed.validity,
            refresh_grace_seconds: parsed.refresh_grace_seconds,
            settings: parsed.settings,
            ..client.clone()
        };
        self.changes()
            .apply_to(&declared, &pool.settings.schema())
            .map_err(|e| e.to_string())
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SeedClient {
    pub name: String,
    pub client_id: Option<String>,
    /// Whether the client has a secret (`CreateUserPoolClient`'s `GenerateSecret`); set when
    /// the client is created, as in Cognito.
    pub generate_secret: Option<bool>,
    #[serde(flatten)]
    pub settings: SeedClientSettings,
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

/// A seed pool's MFA members, as SetUserPoolMfaConfig takes them; `None` keeps the pool's.
struct SeedMfa {
    mode: Option<MfaConfiguration>,
    software_token: Option<SoftwareTokenMfaConfiguration>,
    email: Option<EmailMfaConfiguration>,
    sms: Option<SmsMfaConfiguration>,
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
        let existing = self.store.pool_by_login_name(name.as_str()).await?;
        let current = existing
            .as_ref()
            .map_or_else(PoolSettings::default, |pool| pool.settings.clone());
        let settings = entry
            .settings(&current, existing.is_some())
            .map_err(|e| invalid(&context, e))?;
        let (pool, default_client) = match existing {
            Some(_) => self.find_pool(name.as_str()).await?,
            None => {
                report.pools_created += 1;
                self.create_pool(
                    &name,
                    settings.clone(),
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
        let pool = self.align_settings(pool, settings).await?;
        let pool = self
            .align_mfa(
                &context,
                pool,
                SeedMfa {
                    mode: entry.mfa_configuration,
                    software_token: entry.software_token_mfa_configuration,
                    email: entry.email_mfa_configuration.clone(),
                    sms: entry.sms_mfa_configuration.clone(),
                },
            )
            .await?;
        if let Some(branding) = &entry.ui_customization {
            self.align_ui_customization(
                &pool,
                branding.css.as_deref(),
                branding.image_file.as_deref(),
            )
            .await
            .map_err(|e| invalid(&context, e))?;
        }
        if let Some(settings) = &entry.default_client {
            self.align_client(&pool, &default_client, &default_client.name, settings)
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

    /// The pool's settings become the file's; written only if they differ.
    async fn align_settings(
        &self,
        pool: UserPool,
        settings: PoolSettings,
    ) -> Result<UserPool, AuthError> {
        if settings == pool.settings {
            return Ok(pool);
        }
        let mut pool = pool;
        pool.settings = settings;
        pool.updated_at = self.clock.now();
        self.store
            .update_pool_settings(&pool.id, &pool.settings, pool.updated_at)
            .await?;
        Ok(pool)
    }

    /// The file's MFA configuration replaces the pool's where the file gives it, checked
    /// as SetUserPoolMfaConfig checks it.
    async fn align_mfa(
        &self,
        context: &str,
        pool: UserPool,
        file: SeedMfa,
    ) -> Result<UserPool, AuthError> {
        let current = PoolMfaConfig::of(&pool);
        let wanted = PoolMfaConfig {
            mfa_configuration: file.mode.unwrap_or(current.mfa_configuration),
            software_token: file.software_token.unwrap_or(current.software_token),
            email: file.email.or_else(|| current.email.clone()),
            sms: file.sms.or_else(|| current.sms.clone()),
        };
        if wanted == current {
            return Ok(pool);
        }
        self.set_pool_mfa_config(&pool, wanted)
            .await
            .map_err(|e| invalid(context, e))?;
        // The configuration moves other settings too (an SMS message is also the pool's
        // SmsAuthenticationMessage), so the pool is read back whole.
        Ok(self.pool_by_id(&pool.id).await?.unwrap_or(pool))
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
        let wants_secret = client.generate_secret.unwrap_or(false);
        let current = match found {
            Some(found) => {
                if client.generate_secret.is_some()
                    && wants_secret != found.secret_encrypted.is_some()
                {
                    return Err(invalid(
                        &context,
                        "GenerateSecret cannot change once the client exists",
                    ));
                }
                found.clone()
            }
            None => {
                report.clients_created += 1;
                self.create_client(pool, &client.name, id, wants_secret)
                    .await?
            }
        };
        self.align_client(pool, &current, &client.name, &client.settings)
            .await
            .map_err(|e| invalid(&context, e))?;
        Ok(())
    }

    /// The client's settings become the file's; written only if they differ.
    async fn align_client(
        &self,
        pool: &UserPool,
        client: &AppClient,
        name: &str,
        settings: &SeedClientSettings,
    ) -> Result<(), AuthError> {
        let declared = settings
            .declared(pool, client, name)
            .map_err(AuthError::InvalidParameter)?;
        if declared != *client {
            self.reconfigure_client(
                client,
                NewAppClient {
                    name: declared.name,
                    generate_secret: false,
                    validity: declared.validity,
                    refresh_grace_seconds: declared.refresh_grace_seconds,
                    settings: declared.settings,
                },
            )
            .await?;
        }
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
