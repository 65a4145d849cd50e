//! App clients: adding them to a pool, and their settings (token lifetimes, the refresh-token
//! grace window, attribute access).

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::app_client::{AppClient, ClientSettings, TimeUnit, TokenValidity};
use crate::domain::attribute_access::{InvalidAttributeList, parse_attribute_lists};
use crate::domain::ids::ClientId;
use crate::domain::pool::UserPool;
use crate::domain::schema::Schema;
use crate::store::StoreError;

/// Cognito's bounds for `RetryGracePeriodSeconds`.
pub const MAX_REFRESH_GRACE_SECONDS: i64 = 60;

/// Changes to apply; None leaves a setting as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientChanges {
    pub name: Option<String>,
    pub id_token_seconds: Option<i64>,
    pub access_token_seconds: Option<i64>,
    pub refresh_token_seconds: Option<i64>,
    pub refresh_grace_seconds: Option<i64>,
    /// A new `ReadAttributes` list (validated against the write list the client ends with).
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
}

impl ClientChanges {
    /// The client as it would be after the changes, validated; the attribute lists against
    /// the pool's `schema`.
    pub fn apply_to(&self, client: &AppClient, schema: &Schema) -> Result<AppClient, AuthError> {
        let mut updated = client.clone();
        if let Some(name) = &self.name {
            if name.is_empty() || name.chars().count() > 128 {
                return Err(AuthError::InvalidParameter(
                    "client name must be 1-128 characters".into(),
                ));
            }
            updated.name = name.clone();
        }
        // A lifetime given in seconds is shown in the client's unit only when it is a whole
        // number of it; otherwise its unit becomes seconds.
        let units = &mut updated.settings.token_validity_units;
        let in_unit = |seconds: i64, unit: &mut TimeUnit| {
            if seconds % unit.seconds() != 0 {
                *unit = TimeUnit::Seconds;
            }
            seconds
        };
        if let Some(seconds) = self.id_token_seconds {
            updated.validity.id_token_seconds = in_unit(seconds, &mut units.id_token);
        }
        if let Some(seconds) = self.access_token_seconds {
            updated.validity.access_token_seconds = in_unit(seconds, &mut units.access_token);
        }
        if let Some(seconds) = self.refresh_token_seconds {
            updated.validity.refresh_token_seconds = in_unit(seconds, &mut units.refresh_token);
        }
        if let Some(seconds) = self.refresh_grace_seconds {
            if !(0..=MAX_REFRESH_GRACE_SECONDS).contains(&seconds) {
                return Err(AuthError::InvalidParameter(format!(
                    "the refresh token grace period must be 0-{MAX_REFRESH_GRACE_SECONDS} seconds"
                )));
            }
            updated.refresh_grace_seconds = seconds;
        }
        if self.read_attributes.is_some() || self.write_attributes.is_some() {
            let read = self
                .read_attributes
                .as_ref()
                .or(client.settings.read_attributes.as_ref());
            let write = self
                .write_attributes
                .as_ref()
                .or(client.settings.write_attributes.as_ref());
            let lists =
                parse_attribute_lists(schema, read.map(Vec::as_slice), write.map(Vec::as_slice))
                    .map_err(|invalid| {
                        AuthError::InvalidParameter(match invalid {
                            InvalidAttributeList::Read => {
                                "read attributes must be attributes of the \
                         pool (standard, or custom:... ones its schema has)"
                                    .into()
                            }
                            InvalidAttributeList::Write => {
                                "write attributes must be attributes of the \
                         pool (standard, or custom:... ones its schema has) that the client \
                         can also read"
                                    .into()
                            }
                        })
                    })?;
            updated.settings.read_attributes = lists.read;
            updated.settings.write_attributes = lists.write;
        }
        updated
            .validity
            .validate()
            .map_err(AuthError::InvalidParameter)?;
        Ok(updated)
    }
}

/// A client to create through the Cognito API.
#[derive(Debug, Clone)]
pub struct NewAppClient {
    pub name: String,
    pub generate_secret: bool,
    pub validity: TokenValidity,
    pub refresh_grace_seconds: i64,
    pub settings: ClientSettings,
}

impl Services {
    /// Creates a client; returns it with its secret when one was generated.
    pub async fn create_app_client(
        &self,
        pool: &UserPool,
        new: NewAppClient,
    ) -> Result<(AppClient, Option<crate::domain::secret::SecretString>), AuthError> {
        check_client(&new.name, &new.validity, new.refresh_grace_seconds)?;
        self.check_client_scopes(&pool.id, &new.settings.oauth)
            .await?;
        let now = self.clock.now();
        let mut client = AppClient {
            id: ClientId::generate(),
            pool_id: pool.id.clone(),
            name: new.name,
            is_default: false,
            validity: new.validity,
            refresh_grace_seconds: new.refresh_grace_seconds,
            settings: new.settings,
            secret_encrypted: None,
            created_at: now,
            updated_at: now,
        };
        let secret = if new.generate_secret {
            let (secret, sealed) = self.new_client_secret(&client)?;
            client.secret_encrypted = Some(sealed);
            Some(secret)
        } else {
            None
        };
        self.store.create_client(&client).await?;
        crate::auth::audit::AuditEvent::new(
            "client_created",
            pool.id.as_str(),
            crate::auth::audit::Outcome::Success,
        )
        .with_client(client.id.as_str())
        .emit();
        Ok((client, secret))
    }

    /// Finds a client of the pool; without an id, the pool's default client.
    pub async fn client_of(
        &self,
        pool: &UserPool,
        id: Option<&ClientId>,
    ) -> Result<AppClient, AuthError> {
        let client = match id {
            Some(id) => self.store.client_by_id(id).await?,
            None => self.store.default_client(&pool.id).await?,
        };
        client
            .filter(|c| c.pool_id == pool.id)
            .ok_or_else(|| AuthError::ResourceNotFound("User pool client does not exist.".into()))
    }

    /// UpdateUserPoolClient: replaces every setting of the client with `new` (Cognito resets
    /// whatever a request leaves out); the id, the secret and the default flag stay. Existing
    /// sessions keep the absolute expiry they were created with.
    pub async fn reconfigure_client(
        &self,
        client: &AppClient,
        new: NewAppClient,
    ) -> Result<AppClient, AuthError> {
        check_client(&new.name, &new.validity, new.refresh_grace_seconds)?;
        self.check_client_scopes(&client.pool_id, &new.settings.oauth)
            .await?;
        let updated = AppClient {
            name: new.name,
            validity: new.validity,
            refresh_grace_seconds: new.refresh_grace_seconds,
            settings: new.settings,
            updated_at: self.clock.now(),
            ..client.clone()
        };
        self.store
            .update_client(&updated, updated.updated_at)
            .await?;
        crate::auth::audit::AuditEvent::new(
            "client_updated",
            client.pool_id.as_str(),
            crate::auth::audit::Outcome::Success,
        )
        .with_client(client.id.as_str())
        .emit();
        Ok(updated)
    }

    /// DeleteUserPoolClient: the client goes with its sessions, so its refresh tokens stop
    /// working and its access tokens are refused from the next request (access tokens are
    /// checked against their session). Any client may be deleted, the pool's default one too
    /// (docs/cognito-compatibility.md).
    pub async fn delete_client(&self, client: &AppClient) -> Result<(), AuthError> {
        if !self
            .store
            .delete_client(&client.pool_id, &client.id)
            .await?
        {
            return Err(AuthError::ResourceNotFound(
                "User pool client does not exist.".into(),
            ));
        }
        AuditEvent::new("client_deleted", client.pool_id.as_str(), Outcome::Success)
            .with_client(client.id.as_str())
            .emit();
        Ok(())
    }

    /// Applies changes to a client; returns it as stored. Existing sessions keep the absolute
    /// expiry they were created with.
    pub async fn update_client(
        &self,
        client: &AppClient,
        changes: &ClientChanges,
    ) -> Result<AppClient, AuthError> {
        // The attribute lists are checked against the pool's schema, read only when they change.
        let schema = match (&changes.read_attributes, &changes.write_attributes) {
            (None, None) => Schema::open(),
            _ => self
                .store
                .pool_by_id(&client.pool_id)
                .await?
                .map(|pool| pool.settings.schema().into_owned())
                .ok_or_else(|| AuthError::ResourceNotFound("User pool does not exist.".into()))?,
        };
        let mut updated = changes.apply_to(client, &schema)?;
        if updated != *client {
            updated.updated_at = self.clock.now();
            self.store
                .update_client(&updated, updated.updated_at)
                .await?;
            crate::auth::audit::AuditEvent::new(
                "client_updated",
                client.pool_id.as_str(),
                crate::auth::audit::Outcome::Success,
            )
            .with_client(client.id.as_str())
            .emit();
        }
        Ok(updated)
    }
}

/// What Create and UpdateUserPoolClient check beyond the request's shape.
fn check_client(name: &str, validity: &TokenValidity, grace: i64) -> Result<(), AuthError> {
    if name.is_empty() || name.chars().count() > 128 {
        return Err(AuthError::InvalidParameter(
            "ClientName must be 1-128 characters".into(),
        ));
    }
    validity.validate().map_err(AuthError::InvalidParameter)?;
    if !(0..=MAX_REFRESH_GRACE_SECONDS).contains(&grace) {
        return Err(AuthError::InvalidParameter(format!(
            "RetryGracePeriodSeconds must be 0-{MAX_REFRESH_GRACE_SECONDS}"
        )));
    }
    Ok(())
}

impl Services {
    /// The client with this id, in whichever pool.
    pub async fn client_by_id(&self, id: &ClientId) -> Result<Option<AppClient>, AuthError> {
        Ok(self.store.client_by_id(id).await?)
    }

    /// A pool's clients.
    pub async fn list_clients(&self, pool: &UserPool) -> Result<Vec<AppClient>, AuthError> {
        Ok(self.store.list_clients(&pool.id).await?)
    }

    /// The client a pool was created with, if it still has one.
    pub async fn default_client(&self, pool: &UserPool) -> Result<Option<AppClient>, AuthError> {
        Ok(self.store.default_client(&pool.id).await?)
    }

    /// Adds another app client to a pool, with the settings Gatehouse gives the clients it
    /// makes (seed files then declare the rest), and a secret if asked.
    pub async fn create_client(
        &self,
        pool: &UserPool,
        name: &str,
        id: Option<ClientId>,
        generate_secret: bool,
    ) -> Result<AppClient, AuthError> {
        if name.is_empty() || name.chars().count() > 128 {
            return Err(AuthError::InvalidParameter(
                "client name must be 1-128 characters".into(),
            ));
        }
        let now = self.clock.now();
        let mut client = AppClient {
            id: id.unwrap_or_else(ClientId::generate),
            pool_id: pool.id.clone(),
            name: name.to_owned(),
            is_default: false,
            validity: TokenValidity::default(),
            refresh_grace_seconds: 0,
            settings: ClientSettings::default(),
            secret_encrypted: None,
            created_at: now,
            updated_at: now,
        };
        if generate_secret {
            client.secret_encrypted = Some(self.new_client_secret(&client)?.1);
        }
        match self.store.create_client(&client).await {
            Ok(()) => {
                AuditEvent::new("client_created", pool.id.as_str(), Outcome::Success)
                    .with_client(client.id.as_str())
                    .emit();
                Ok(client)
            }
            Err(StoreError::Conflict(_)) => Err(AuthError::AlreadyExists(format!(
                "an app client with id {} already exists",
                client.id
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::app_client::{ClientSettings, TokenValidity};
    use crate::domain::ids::{Region, UserPoolId};

    fn client() -> AppClient {
        AppClient {
            id: ClientId::generate(),
            pool_id: UserPoolId::generate(&Region::parse("us-east-1").unwrap()),
            name: "web".into(),
            is_default: true,
            validity: TokenValidity::default(),
            refresh_grace_seconds: 0,
            settings: ClientSettings::default(),
            secret_encrypted: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn changes_apply_and_are_validated() {
        let changed = ClientChanges {
            access_token_seconds: Some(300),
            refresh_grace_seconds: Some(60),
            ..ClientChanges::default()
        }
        .apply_to(&client(), &Schema::open())
        .unwrap();
        assert_eq!(changed.validity.access_token_seconds, 300);
        assert_eq!(changed.refresh_grace_seconds, 60);
        for bad in [
            ClientChanges {
                refresh_grace_seconds: Some(61),
                ..ClientChanges::default()
            },
            ClientChanges {
                refresh_grace_seconds: Some(-1),
                ..ClientChanges::default()
            },
            ClientChanges {
                id_token_seconds: Some(299),
                ..ClientChanges::default()
            },
            ClientChanges {
                refresh_token_seconds: Some(3_650 * 86_400 + 1),
                ..ClientChanges::default()
            },
            ClientChanges {
                name: Some(String::new()),
                ..ClientChanges::default()
            },
        ] {
            assert!(bad.apply_to(&client(), &Schema::open()).is_err(), "{bad:?}");
        }
    }
}
