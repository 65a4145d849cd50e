//! App client secrets: generated once, stored encrypted under the key-encryption key, and
//! checked as Cognito checks them (`SECRET_HASH` = Base64(HMAC-SHA256(secret, username +
//! client id)) on sign-in, the secret itself on token operations), in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngExt;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{AuthError, NotAuthorized, Services};
use crate::domain::app_client::AppClient;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::User;

/// Cognito secrets are 24–64 characters of `[\w+]`; real ones look like 51 of `[a-z0-9]`.
const SECRET_LEN: usize = 51;

/// Base64(HMAC-SHA256(secret, username + client id)).
fn secret_hash(
    client: &AppClient,
    client_secret: &SecretString,
    username: &str,
) -> Result<String, AuthError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.expose_secret().as_bytes())
        .map_err(AuthError::internal)?;
    mac.update(username.as_bytes());
    mac.update(client.id.as_str().as_bytes());
    Ok(STANDARD.encode(mac.finalize().into_bytes()))
}

fn refused(client: &AppClient, message: String) -> AuthError {
    tracing::debug!(client = %client.id, %message, "client secret check failed");
    AuthError::NotAuthorized(NotAuthorized::Other(message))
}

impl Services {
    /// Draws a new secret and its stored (encrypted) form.
    pub fn new_client_secret(
        &self,
        client: &AppClient,
    ) -> Result<(SecretString, String), AuthError> {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let value: String = (0..SECRET_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        let sealed = self
            .kek
            .encrypt(value.as_bytes(), client.id.as_str())
            .map_err(AuthError::internal)?;
        Ok((secret(value), sealed))
    }

    /// The client's secret in plaintext, for Describe and for checking.
    pub fn client_secret(&self, client: &AppClient) -> Result<Option<SecretString>, AuthError> {
        let Some(sealed) = &client.secret_encrypted else {
            return Ok(None);
        };
        let bytes = self
            .kek
            .decrypt(sealed, client.id.as_str())
            .map_err(AuthError::internal)?;
        let text = String::from_utf8(bytes).map_err(AuthError::internal)?;
        Ok(Some(secret(text)))
    }

    /// Checks `SECRET_HASH` for clients that have a secret; clients without one ignore it.
    pub fn check_secret_hash(
        &self,
        client: &AppClient,
        username: &str,
        provided: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        let Some(client_secret) = self.client_secret(client)? else {
            return Ok(());
        };
        let Some(provided) = provided else {
            return Err(refused(
                client,
                format!(
                    "Client {} is configured for secret but secret was not received",
                    client.id
                ),
            ));
        };
        let expected = secret_hash(client, &client_secret, username)?;
        if expected
            .as_bytes()
            .ct_eq(provided.expose_secret().as_bytes())
            .into()
        {
            Ok(())
        } else {
            Err(refused(
                client,
                format!("Unable to verify secret hash for client {}", client.id),
            ))
        }
    }

    /// The `SECRET_HASH` the client itself would send for `username` (None for a client
    /// without a secret): the hosted pages act for the client whose `client_id` their
    /// authorization request proved, as Cognito's managed login does, so they hold no
    /// secret of their own to send.
    pub(super) fn own_secret_hash(
        &self,
        client: &AppClient,
        username: &str,
    ) -> Result<Option<SecretString>, AuthError> {
        let Some(client_secret) = self.client_secret(client)? else {
            return Ok(None);
        };
        Ok(Some(secret(secret_hash(client, &client_secret, username)?)))
    }

    /// Refuses a missing `SECRET_HASH` for a client that has a secret, before anything else
    /// (the token, the user) is looked at.
    pub fn check_secret_hash_present(
        &self,
        client: &AppClient,
        provided: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        if client.secret_encrypted.is_some() && provided.is_none() {
            return Err(refused(
                client,
                format!(
                    "Client {} is configured for secret but secret was not received",
                    client.id
                ),
            ));
        }
        Ok(())
    }

    /// `SECRET_HASH` on a refresh: computed over the token owner's username (or, as some
    /// SDKs do, the `sub`).
    pub fn check_refresh_secret_hash(
        &self,
        client: &AppClient,
        owner: &User,
        provided: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        self.check_secret_hash(client, &owner.username, provided)
            .or_else(|error| {
                self.check_secret_hash(client, &owner.sub.to_string(), provided)
                    .map_err(|_| error)
            })
    }

    /// Checks a `ClientSecret` sent as it is (GetTokensFromRefreshToken, RevokeToken).
    pub fn check_client_secret(
        &self,
        client: &AppClient,
        provided: Option<&SecretString>,
    ) -> Result<(), AuthError> {
        let Some(client_secret) = self.client_secret(client)? else {
            return Ok(());
        };
        let matches = provided.is_some_and(|p| {
            bool::from(
                p.expose_secret()
                    .as_bytes()
                    .ct_eq(client_secret.expose_secret().as_bytes()),
            )
        });
        if matches {
            Ok(())
        } else {
            Err(refused(
                client,
                format!(
                    "Client {} is configured for secret but secret was not received or is wrong",
                    client.id
                ),
            ))
        }
    }
}
