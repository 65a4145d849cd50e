//! Finding a user by the name they typed, and choosing the username a new user gets, under
//! the pool's sign-in names (`domain/sign_in_names.rs`): every flow that takes a username
//! (sign-in, SRP, sign-up confirmation, password reset, the Admin* operations) looks it up
//! here, so an e-mail alias works wherever a username does. docs/cognito-compatibility.md,
//! "Sign-in names".

use super::{AuthError, Services};
use crate::domain::attributes::UserAttributes;
use crate::domain::ids::Sub;
use crate::domain::pool::UserPool;
use crate::domain::user::User;
use crate::domain::username::{Username, UsernameKey};
use crate::store::StoreError;

/// Who a new user is: the sub, the stored username and its lookup key.
pub(crate) struct NewIdentity {
    pub sub: Sub,
    pub username: String,
    pub key: UsernameKey,
}

impl Services {
    /// The user `name` signs in: by username, else by sign-in alias (one indexed query).
    pub(crate) async fn user_by_sign_in_name(
        &self,
        pool: &UserPool,
        name: &Username,
    ) -> Result<Option<User>, AuthError> {
        let key = pool.settings.sign_in_names.key(name);
        Ok(self.store.user_by_sign_in_name(&pool.id, &key).await?)
    }

    /// The user an administrator names (`Admin*` operations): by username or alias, as at
    /// sign-in, or by their `sub`, as Cognito accepts.
    pub(crate) async fn user_named_by_admin(
        &self,
        pool: &UserPool,
        name: &Username,
    ) -> Result<Option<User>, AuthError> {
        if let Some(user) = self.user_by_sign_in_name(pool, name).await? {
            return Ok(Some(user));
        }
        let Ok(sub) = Sub::parse(name.as_str()) else {
            return Ok(None);
        };
        Ok(self
            .store
            .user_by_sub(&sub)
            .await?
            .filter(|user| user.pool_id == pool.id))
    }

    /// Moves the sign-in aliases `attributes` would give a user away from whoever holds them
    /// (`ForceAliasCreation`), so the write that follows can claim them.
    pub(crate) async fn force_aliases(
        &self,
        pool: &UserPool,
        sub: &Sub,
        attributes: &UserAttributes,
    ) -> Result<(), AuthError> {
        let keys: Vec<UsernameKey> = pool
            .settings
            .sign_in_names
            .aliases(attributes)
            .into_iter()
            .map(|alias| alias.key)
            .collect();
        if !keys.is_empty() {
            self.store
                .release_sign_in_aliases(&pool.id, &keys, sub)
                .await?;
        }
        Ok(())
    }
}

/// The identity of a user about to be created under the name `requested`. In a pool whose
/// users sign up under an e-mail address or phone number, that name must be one; it goes
/// into the attribute, and the username becomes a fresh UUID that is also the `sub`, as in
/// Cognito.
pub(crate) fn new_identity(
    pool: &UserPool,
    requested: &Username,
    attributes: &mut UserAttributes,
) -> Result<NewIdentity, AuthError> {
    let names = &pool.settings.sign_in_names;
    let sub = Sub::generate();
    if !names.by_username_attribute() {
        return Ok(NewIdentity {
            sub,
            username: requested.as_str().to_owned(),
            key: names.key(requested),
        });
    }
    let attribute = names
        .username_attribute_of(requested.as_str())
        .map_err(AuthError::InvalidParameter)?;
    if let Some(given) = attributes.get(attribute.name())
        && names.value_key(given) != Some(names.key(requested))
    {
        return Err(AuthError::InvalidParameter(format!(
            "The {} attribute must be the username in this user pool.",
            attribute.name()
        )));
    }
    attributes.set(attribute.name(), requested.as_str());
    let username = sub.to_string();
    let key = Username::parse(&username)
        .map(|name| names.key(&name))
        .map_err(AuthError::internal)?;
    Ok(NewIdentity { sub, username, key })
}

/// The refusal of a user creation that hit a taken name: in a pool whose users are created
/// under an e-mail address or phone number, a taken one is a taken username.
pub(crate) fn creation_conflict(pool: &UserPool, error: StoreError) -> AuthError {
    match error.alias_taken().map(str::to_owned) {
        Some(attribute) if pool.settings.sign_in_names.by_username_attribute() => {
            AuthError::UsernameAttributeExists(attribute)
        }
        Some(_) => error.into(),
        None if matches!(error, StoreError::Conflict(_)) => AuthError::UsernameExists,
        None => error.into(),
    }
}
