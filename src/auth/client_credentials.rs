//! The `client_credentials` grant: an app client that proved its secret gets an access token
//! for itself, carrying custom scopes of the pool's resource servers, as Cognito issues it
//! (docs/oauth2.md, "client_credentials"), changed by the pool's `PreTokenGeneration`
//! function when it is a `V3_0` one (docs/triggers.md).

use std::collections::BTreeMap;

use crate::domain::app_client::AppClient;
use crate::domain::client_oauth::STANDARD_SCOPES;
use crate::domain::secret::SecretString;
use crate::triggers::pre_token_generation::{ClientTokenRequest, EventVersion, TokenOverrides};

use super::audit::{AuditEvent, Outcome};
use super::oauth_client::AuthenticatedClient;
use super::{AuthError, Services};

/// An access token of the grant (no ID or refresh token), and its lifetime in seconds.
pub struct ClientToken {
    pub access_token: SecretString,
    pub expires_in: i64,
}

impl Services {
    /// Issues the token. The client must have a secret and allow the flow
    /// (`AllowedOAuthFlows` with `client_credentials`, `AllowedOAuthFlowsUserPoolClient`):
    /// else `UnsupportedOperation` (`unauthorized_client`). `requested` is the `scope`
    /// parameter: left out, every custom scope the client is allowed and the pool still has;
    /// given, each must be one of those, or the grant is refused with `ScopeDoesNotExist`
    /// (`invalid_scope`), standard scopes included, which name a user. `client_metadata` is
    /// the request's `aws_client_metadata`, for the pool's `PreTokenGeneration` function.
    pub async fn client_credentials(
        &self,
        client: &AuthenticatedClient,
        requested: Option<&str>,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<ClientToken, AuthError> {
        let proven = client.is_confidential();
        let client = client.client();
        let oauth = &client.settings.oauth;
        let allows_flow = oauth.allowed_oauth_flows_user_pool_client
            && oauth
                .allowed_oauth_flows
                .iter()
                .any(|f| f == "client_credentials");
        if !proven || !allows_flow {
            return Err(AuthError::UnsupportedOperation(format!(
                "Client {} is not allowed the client_credentials grant",
                client.id
            )));
        }
        let existing = self.custom_scopes(&client.pool_id).await?;
        let grantable: Vec<&str> = oauth
            .custom_scopes()
            .filter(|scope| existing.contains(*scope))
            .collect();
        let scopes: Vec<&str> = match requested {
            None => grantable.clone(),
            Some(requested) => {
                let mut scopes: Vec<&str> = Vec::new();
                for scope in requested.split(' ').filter(|s| !s.is_empty()) {
                    if STANDARD_SCOPES.contains(&scope) || !grantable.contains(&scope) {
                        let shown: String = scope.chars().take(256).collect();
                        return Err(AuthError::ScopeDoesNotExist(format!(
                            "Invalid scope requested: {shown}"
                        )));
                    }
                    if !scopes.contains(&scope) {
                        scopes.push(scope);
                    }
                }
                scopes
            }
        };
        if scopes.is_empty() {
            return Err(AuthError::ScopeDoesNotExist(
                "The client has no custom scope to grant".into(),
            ));
        }
        let scopes: Vec<String> = scopes.into_iter().map(str::to_owned).collect();
        // The function is called before anything is signed: its refusal issues nothing.
        let overrides = self
            .client_token_generation(client, &scopes, client_metadata)
            .await?;
        let now = self.clock.now();
        let access_token = self
            .mint_client_access_token(client, scopes.join(" "), overrides, now)
            .await?;
        AuditEvent::new(
            "client_credentials_issued",
            client.pool_id.as_str(),
            Outcome::Success,
        )
        .with_client(client.id.as_str())
        .emit();
        Ok(ClientToken {
            access_token,
            expires_in: client.validity.access_token_seconds,
        })
    }
}

impl Services {
    /// Calls the pool's `PreTokenGeneration` function for the token, if the pool has one of
    /// version `V3_0`: Cognito calls `V1_0` and `V2_0` functions only for users' tokens
    /// (docs/triggers.md, "PreTokenGeneration versions"). Its answer, to apply to the token.
    async fn client_token_generation(
        &self,
        client: &AppClient,
        scopes: &[String],
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<Option<TokenOverrides>, AuthError> {
        let Some(pool) = self.store.pool_by_id(&client.pool_id).await? else {
            return Ok(None);
        };
        let Some(config) = &pool.settings.lambda_config.pre_token_generation_config else {
            return Ok(None);
        };
        if EventVersion::parse(&config.lambda_version) != EventVersion::V3 {
            return Ok(None);
        }
        let overrides = self
            .triggers
            .client_token_generation(
                &config.lambda_arn,
                ClientTokenRequest {
                    pool: &pool.id,
                    client: &client.id,
                    scopes,
                    client_metadata,
                },
            )
            .await?;
        Ok(Some(overrides))
    }
}
