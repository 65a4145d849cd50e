//! `PostConfirmation`: after a user is confirmed by `ConfirmSignUp`
//! (`PostConfirmation_ConfirmSignUp`) or after `ConfirmForgotPassword` sets a new password
//! (`PostConfirmation_ConfirmForgotPassword`). Its answer changes nothing, but an error (or
//! no answer) fails the operation, as in Cognito, after the confirmation is stored.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Caller, TriggerError, Triggers, event, ignored, string_map, user_attributes};
use crate::domain::user::User;

pub const KIND: &str = "PostConfirmation";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostConfirmationSource {
    ConfirmSignUp,
    ConfirmForgotPassword,
}

impl PostConfirmationSource {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::ConfirmSignUp => "PostConfirmation_ConfirmSignUp",
            Self::ConfirmForgotPassword => "PostConfirmation_ConfirmForgotPassword",
        }
    }
}

impl Triggers {
    pub async fn post_confirmation(
        &self,
        function: &str,
        source: PostConfirmationSource,
        caller: Caller<'_>,
        user: &User,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<(), TriggerError> {
        let event = event(
            source.trigger_source(),
            &caller,
            json!({
                "userAttributes": user_attributes(user),
                "clientMetadata": string_map(client_metadata),
            }),
            json!({}),
        );
        ignored(&self.call(KIND, function, event).await?)
    }
}
