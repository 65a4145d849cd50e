//! Password reset on the hosted pages (docs/oauth2.md, "Sign-up and password reset pages"):
//! the API's `ForgotPassword` and `ConfirmForgotPassword` (`forgot_password.rs`), so the
//! code's limits, the password policy and the existence rules (an unknown user gets the
//! answer a known one gets, where the client prevents existence errors) are the API's. The
//! pages act for the app client their authorization request proved, with the `SECRET_HASH`
//! it would send.

use super::messages::CodeDelivery;
use super::{AuthError, Services};
use crate::domain::ids::ClientId;
use crate::domain::secret::SecretString;
use crate::domain::username::Username;

impl Services {
    /// `ForgotPassword` for the hosted page: the same answers, an unknown user's included.
    pub async fn hosted_forgot_password(
        &self,
        client: &ClientId,
        username: &Username,
    ) -> Result<CodeDelivery, AuthError> {
        let (app_client, _) = self.client_and_pool(client).await?;
        let secret_hash = self.own_secret_hash(&app_client, username.as_str())?;
        self.forgot_password(client, username, secret_hash.as_ref())
            .await
    }

    /// `ConfirmForgotPassword` for the hosted page.
    pub async fn hosted_confirm_forgot_password(
        &self,
        client: &ClientId,
        username: &Username,
        code: &SecretString,
        proposed: &SecretString,
    ) -> Result<(), AuthError> {
        let (app_client, _) = self.client_and_pool(client).await?;
        let secret_hash = self.own_secret_hash(&app_client, username.as_str())?;
        self.confirm_forgot_password(
            client,
            username,
            code,
            proposed,
            secret_hash.as_ref(),
            &std::collections::BTreeMap::new(),
        )
        .await
    }
}
