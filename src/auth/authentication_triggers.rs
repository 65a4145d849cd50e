//! The sign-in triggers, `PreAuthentication` and `PostAuthentication`, as every sign-in path
//! calls them (password, SRP, the second factor, the new-password challenge, the login API
//! and the hosted pages): nothing is invoked for a pool that names no function.

use std::collections::BTreeMap;

use super::{AuthError, Services};
use crate::domain::app_client::AppClient;
use crate::domain::pool::UserPool;
use crate::domain::user::User;
use crate::triggers::Caller;

impl Services {
    /// `PreAuthentication_Authentication`: the function may refuse the sign-in.
    pub(super) async fn pre_authentication(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        validation_data: &BTreeMap<String, String>,
    ) -> Result<(), AuthError> {
        let Some(function) = &pool.settings.lambda_config.pre_authentication else {
            return Ok(());
        };
        self.triggers
            .pre_authentication(function, caller(pool, client, user), user, validation_data)
            .await?;
        Ok(())
    }

    /// `PostAuthentication_Authentication`: called before the session is started, so a
    /// refusal leaves no session behind.
    pub(super) async fn post_authentication(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<(), AuthError> {
        let Some(function) = &pool.settings.lambda_config.post_authentication else {
            return Ok(());
        };
        self.triggers
            .post_authentication(function, caller(pool, client, user), user, client_metadata)
            .await?;
        Ok(())
    }
}

fn caller<'a>(pool: &'a UserPool, client: &'a AppClient, user: &'a User) -> Caller<'a> {
    Caller {
        pool: &pool.id,
        client: Some(&client.id),
        user_name: &user.username,
    }
}
