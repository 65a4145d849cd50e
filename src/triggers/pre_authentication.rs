//! `PreAuthentication` (`PreAuthentication_Authentication`): on every sign-in, once the
//! password (or SRP proof) is proven and before anything else is decided. An error refuses the
//! sign-in. See docs/triggers.md for why it runs after the password check.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Caller, TriggerError, Triggers, event, ignored, string_map, user_attributes};
use crate::domain::user::User;

pub const KIND: &str = "PreAuthentication";

impl Triggers {
    pub async fn pre_authentication(
        &self,
        function: &str,
        caller: Caller<'_>,
        user: &User,
        validation_data: &BTreeMap<String, String>,
    ) -> Result<(), TriggerError> {
        let event = event(
            "PreAuthentication_Authentication",
            &caller,
            json!({
                "userAttributes": user_attributes(user),
                "validationData": string_map(validation_data),
                "userNotFound": false,
            }),
            json!({}),
        );
        ignored(&self.call(KIND, function, event).await?)
    }
}
