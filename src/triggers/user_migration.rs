//! `UserMigration`: when a sign-in (`UserMigration_Authentication`) or a forgotten-password
//! request (`UserMigration_ForgotPassword`) names a user the pool does not have, the function
//! may vouch for them (it checks them against the system they come from) and give the
//! attributes they are created with. The sign-in event is the only one that carries a
//! password: the one the user typed, which the function checks and Gatehouse then stores as
//! an Argon2 hash (docs/triggers.md, "UserMigration").

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Caller, TriggerError, Triggers, event, flag, invalid_response, string_map};
use crate::domain::attributes::UserAttributes;
use crate::domain::message::Medium;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::UserStatus;

pub const KIND: &str = "UserMigration";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationSource {
    /// A sign-in by password: the event carries it.
    Authentication,
    /// `ForgotPassword`: no password.
    ForgotPassword,
}

impl MigrationSource {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::Authentication => "UserMigration_Authentication",
            Self::ForgotPassword => "UserMigration_ForgotPassword",
        }
    }
}

pub struct UserMigration<'a> {
    pub source: MigrationSource,
    pub caller: Caller<'a>,
    /// The password typed at sign-in; None for `ForgotPassword`.
    pub password: Option<&'a SecretString>,
    pub validation_data: &'a BTreeMap<String, String>,
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// The user the function vouched for (`response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigratedUser {
    pub attributes: UserAttributes,
    /// `CONFIRMED` or `RESET_REQUIRED`.
    pub final_status: UserStatus,
    /// `messageAction: SUPPRESS`: no welcome message.
    pub suppress_message: bool,
    pub desired_delivery_mediums: Vec<Medium>,
    pub force_alias_creation: bool,
}

/// What the function answered: a user to create, or nothing (it threw, as Cognito's
/// documentation has a function do for a user it does not know).
pub type MigrationAnswer = Result<MigratedUser, TriggerError>;

impl Triggers {
    pub async fn user_migration(
        &self,
        function: &str,
        request: UserMigration<'_>,
    ) -> MigrationAnswer {
        let mut payload = json!({
            "validationData": (!request.validation_data.is_empty())
                .then(|| string_map(request.validation_data)),
            "clientMetadata": string_map(request.client_metadata),
        });
        if let Some(password) = request.password {
            payload["password"] = Value::String(password.expose_secret().to_owned());
        }
        let event = event(
            request.source.trigger_source(),
            &request.caller,
            payload,
            json!({
                "userAttributes": null,
                "finalUserStatus": null,
                "messageAction": null,
                "desiredDeliveryMediums": null,
                "forceAliasCreation": null,
            }),
        );
        let response = self.call(KIND, function, event).await?;
        read_answer(&response)
    }
}

/// Reads the function's `response`; anything Cognito could not read is
/// `InvalidLambdaResponseException`.
fn read_answer(response: &Value) -> MigrationAnswer {
    let Value::Object(members) = response else {
        return Err(invalid_response());
    };
    let attributes = match members.get("userAttributes") {
        Some(Value::Object(attributes)) => attributes
            .iter()
            .map(|(name, value)| match value {
                Value::String(value) => Ok((name.clone(), value.clone())),
                _ => Err(invalid_response()),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()?,
        // A function that vouches for nobody: the user stays unknown.
        _ => return Err(invalid_response()),
    };
    let final_status = match members.get("finalUserStatus") {
        None | Some(Value::Null) => UserStatus::Confirmed,
        Some(Value::String(status)) if status == "CONFIRMED" => UserStatus::Confirmed,
        Some(Value::String(status)) if status == "RESET_REQUIRED" => UserStatus::ResetRequired,
        Some(_) => return Err(invalid_response()),
    };
    let suppress_message = match members.get("messageAction") {
        None | Some(Value::Null) => false,
        Some(Value::String(action)) if action == "SUPPRESS" => true,
        Some(_) => return Err(invalid_response()),
    };
    let desired_delivery_mediums = match members.get("desiredDeliveryMediums") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(mediums)) => mediums
            .iter()
            .map(|medium| match medium.as_str() {
                Some("EMAIL") => Ok(Medium::Email),
                Some("SMS") => Ok(Medium::Sms),
                _ => Err(invalid_response()),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid_response()),
    };
    Ok(MigratedUser {
        attributes: UserAttributes::from_stored(attributes),
        final_status,
        suppress_message,
        desired_delivery_mediums,
        force_alias_creation: flag(response, "forceAliasCreation")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_names_the_user_and_how_they_end() {
        let answer = read_answer(&json!({
            "userAttributes": {"email": "a@example.com", "email_verified": "true"},
            "finalUserStatus": "RESET_REQUIRED",
            "messageAction": "SUPPRESS",
            "desiredDeliveryMediums": ["EMAIL"],
            "forceAliasCreation": true,
        }))
        .unwrap();
        assert_eq!(answer.attributes.get("email"), Some("a@example.com"));
        assert_eq!(answer.final_status, UserStatus::ResetRequired);
        assert!(answer.suppress_message);
        assert_eq!(answer.desired_delivery_mediums, vec![Medium::Email]);
        assert!(answer.force_alias_creation);
    }

    #[test]
    fn an_unreadable_answer_is_refused() {
        for response in [
            json!(null),
            json!({}),
            json!({"userAttributes": {"email": 1}}),
            json!({"userAttributes": {}, "finalUserStatus": "UNCONFIRMED"}),
            json!({"userAttributes": {}, "messageAction": "SEND"}),
            json!({"userAttributes": {}, "desiredDeliveryMediums": ["FAX"]}),
        ] {
            assert_eq!(
                read_answer(&response),
                Err(invalid_response()),
                "{response}"
            );
        }
    }
}
