//! `CustomMessage`: before a message Gatehouse sends is rendered, the function may word it.
//! The event carries the placeholders (`{####}` for the code, `{username}` for an
//! invitation's user name), never the code or password itself: the function's wording is
//! filled in afterwards, as the pool's template would be (docs/triggers.md, "CustomMessage").

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Caller, TriggerError, Triggers, event, invalid_response, string_map};
use crate::domain::message::Medium;

pub const KIND: &str = "CustomMessage";

/// The code's placeholder, in the event and in the function's answer.
pub const CODE_PARAMETER: &str = "{####}";
/// The user name's placeholder of an invitation.
pub const USERNAME_PARAMETER: &str = "{username}";

/// Which operation sends the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomMessageSource {
    SignUp,
    ResendCode,
    ForgotPassword,
    UpdateUserAttribute,
    VerifyUserAttribute,
    AdminCreateUser,
    /// A sign-in code sent as the second factor.
    Authentication,
}

impl CustomMessageSource {
    fn trigger_source(self) -> &'static str {
        match self {
            Self::SignUp => "CustomMessage_SignUp",
            Self::ResendCode => "CustomMessage_ResendCode",
            Self::ForgotPassword => "CustomMessage_ForgotPassword",
            Self::UpdateUserAttribute => "CustomMessage_UpdateUserAttribute",
            Self::VerifyUserAttribute => "CustomMessage_VerifyUserAttribute",
            Self::AdminCreateUser => "CustomMessage_AdminCreateUser",
            Self::Authentication => "CustomMessage_Authentication",
        }
    }
}

pub struct CustomMessage<'a> {
    pub source: CustomMessageSource,
    pub caller: Caller<'a>,
    /// As [`super::user_attributes`] gives them.
    pub user_attributes: Value,
    pub client_metadata: &'a BTreeMap<String, String>,
    /// The medium the message goes by: its member of the answer must hold the code.
    pub medium: Medium,
}

/// The function's wording, placeholders still in it; None keeps the pool's template.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomWording {
    pub message: Option<String>,
    /// E-mail only.
    pub subject: Option<String>,
}

impl Triggers {
    pub async fn custom_message(
        &self,
        function: &str,
        request: CustomMessage<'_>,
    ) -> Result<CustomWording, TriggerError> {
        let username_parameter =
            (request.source == CustomMessageSource::AdminCreateUser).then_some(USERNAME_PARAMETER);
        let event = event(
            request.source.trigger_source(),
            &request.caller,
            json!({
                "userAttributes": request.user_attributes,
                "codeParameter": CODE_PARAMETER,
                "usernameParameter": username_parameter,
                "linkParameter": null,
                "clientMetadata": string_map(request.client_metadata),
            }),
            json!({"smsMessage": null, "emailMessage": null, "emailSubject": null}),
        );
        let response = self.call(KIND, function, event).await?;
        read_answer(&response, request.medium)
    }
}

fn text(response: &Value, member: &str) -> Result<Option<String>, TriggerError> {
    match response.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(invalid_response()),
    }
}

/// Reads the answer for a message sent by `medium`. A wording without the code's
/// placeholder would send a message without its code: Cognito refuses it
/// (`InvalidLambdaResponseException`), and so does Gatehouse.
fn read_answer(response: &Value, medium: Medium) -> Result<CustomWording, TriggerError> {
    if !(response.is_object() || response.is_null()) {
        return Err(invalid_response());
    }
    let sms = text(response, "smsMessage")?;
    let email = text(response, "emailMessage")?;
    let subject = text(response, "emailSubject")?;
    let message = match medium {
        Medium::Email => email,
        Medium::Sms => sms,
    };
    if message
        .as_deref()
        .is_some_and(|message| !message.contains(CODE_PARAMETER))
    {
        return Err(invalid_response());
    }
    Ok(CustomWording {
        message,
        subject: subject.filter(|_| medium == Medium::Email),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wording_of_the_medium_is_kept_and_must_hold_the_code() {
        let answer = json!({"smsMessage": "SMS {####}", "emailMessage": "Mail {####}",
                            "emailSubject": "Hello"});
        assert_eq!(
            read_answer(&answer, Medium::Email).unwrap(),
            CustomWording {
                message: Some("Mail {####}".into()),
                subject: Some("Hello".into())
            }
        );
        assert_eq!(
            read_answer(&answer, Medium::Sms).unwrap(),
            CustomWording {
                message: Some("SMS {####}".into()),
                subject: None
            }
        );
        assert_eq!(
            read_answer(&json!({}), Medium::Email).unwrap(),
            CustomWording::default()
        );
        for refused in [
            json!({"emailMessage": "no code here"}),
            json!({"emailMessage": 5}),
            json!("text"),
        ] {
            assert_eq!(
                read_answer(&refused, Medium::Email),
                Err(invalid_response()),
                "{refused}"
            );
        }
    }
}
