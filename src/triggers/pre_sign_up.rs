//! `PreSignUp`: before a user is created by `SignUp` (`PreSignUp_SignUp`) or
//! `AdminCreateUser` (`PreSignUp_AdminCreateUser`). The function may refuse the sign-up (no
//! user is created), confirm the user at once, and mark their e-mail address or phone number
//! verified.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Caller, TriggerError, Triggers, event, flag, invalid_response, string_map};
use crate::domain::attributes::UserAttributes;

pub const KIND: &str = "PreSignUp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreSignUpSource {
    SignUp,
    AdminCreateUser,
}

impl PreSignUpSource {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::SignUp => "PreSignUp_SignUp",
            Self::AdminCreateUser => "PreSignUp_AdminCreateUser",
        }
    }
}

pub struct PreSignUp<'a> {
    pub source: PreSignUpSource,
    pub caller: Caller<'a>,
    /// The attributes the user is about to be created with.
    pub attributes: &'a UserAttributes,
    pub validation_data: &'a BTreeMap<String, String>,
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// What the function decided (`response`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreSignUpAnswer {
    pub auto_confirm_user: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
}

impl Triggers {
    pub async fn pre_sign_up(
        &self,
        function: &str,
        request: PreSignUp<'_>,
    ) -> Result<PreSignUpAnswer, TriggerError> {
        let attributes = string_map(request.attributes.as_map());
        let event = event(
            request.source.trigger_source(),
            &request.caller,
            json!({
                "userAttributes": attributes,
                "validationData": (!request.validation_data.is_empty())
                    .then(|| string_map(request.validation_data)),
                "clientMetadata": string_map(request.client_metadata),
            }),
            json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false}),
        );
        let response = self.call(KIND, function, event).await?;
        if !(response.is_object() || response.is_null()) {
            return Err(invalid_response());
        }
        Ok(PreSignUpAnswer {
            auto_confirm_user: flag(&response, "autoConfirmUser")?,
            auto_verify_email: flag(&response, "autoVerifyEmail")?,
            auto_verify_phone: flag(&response, "autoVerifyPhone")?,
        })
    }
}
