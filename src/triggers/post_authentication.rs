//! `PostAuthentication` (`PostAuthentication_Authentication`): once a sign-in has succeeded
//! (every factor proven), before its tokens are made. An error refuses the sign-in and no
//! session is started.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Caller, TriggerError, Triggers, event, ignored, string_map, user_attributes};
use crate::domain::user::User;

pub const KIND: &str = "PostAuthentication";

impl Triggers {
    pub async fn post_authentication(
        &self,
        function: &str,
        caller: Caller<'_>,
        user: &User,
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<(), TriggerError> {
        let event = event(
            "PostAuthentication_Authentication",
            &caller,
            json!({
                "userAttributes": user_attributes(user),
                "newDeviceUsed": false,
                "clientMetadata": string_map(client_metadata),
            }),
            json!({}),
        );
        ignored(&self.call(KIND, function, event).await?)
    }
}
