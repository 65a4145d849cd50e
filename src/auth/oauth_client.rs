//! Client authentication at the OAuth 2.0 endpoints (`/oauth2/token`, `/oauth2/revoke`): the
//! client named by `client_id`, in the pool the request was addressed to (if it named one),
//! proven by its secret when it has one (docs/oauth2.md, "Client authentication").

use crate::domain::app_client::AppClient;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::secret::SecretString;

use super::{AuthError, NotAuthorized, Services};

/// An app client that proved itself at an OAuth endpoint. Only
/// [`Services::authenticate_oauth_client`] makes one, so a use case that takes it knows the
/// secret was checked.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient(AppClient);

impl AuthenticatedClient {
    pub fn client(&self) -> &AppClient {
        &self.0
    }

    /// Whether the client proved a secret (a confidential client) rather than only naming
    /// itself (a public client).
    pub fn is_confidential(&self) -> bool {
        self.0.secret_encrypted.is_some()
    }
}

fn refused(message: String) -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::Other(message))
}

impl Services {
    /// Finds and authenticates the client: unknown, another pool's (when `pool` is named),
    /// a confidential client without its secret or with a wrong one (compared in constant
    /// time), and a public client that sends a secret anyway are all refused alike.
    pub async fn authenticate_oauth_client(
        &self,
        raw_client_id: &str,
        pool: Option<&UserPoolId>,
        secret: Option<&SecretString>,
    ) -> Result<AuthenticatedClient, AuthError> {
        let unknown = || refused("Client authentication failed".into());
        let id = ClientId::parse(raw_client_id).map_err(|_| unknown())?;
        let client = self
            .store
            .client_by_id(&id)
            .await?
            .filter(|client| pool.is_none_or(|pool| *pool == client.pool_id))
            .ok_or_else(unknown)?;
        if client.secret_encrypted.is_none() {
            if secret.is_some() {
                return Err(refused(format!("Client {id} has no secret")));
            }
        } else {
            self.check_client_secret(&client, secret)?;
        }
        Ok(AuthenticatedClient(client))
    }
}
