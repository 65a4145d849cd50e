//! The message members of `CreateUserPool` and `UpdateUserPool`: `VerificationMessageTemplate`
//! with the older `EmailVerificationMessage`, `EmailVerificationSubject` and
//! `SmsVerificationMessage` (the same settings: Cognito keeps both forms in step),
//! `SmsAuthenticationMessage`, and `AdminCreateUserConfig.InviteMessageTemplate`. Validated
//! as Cognito validates them (`domain/message_template.rs`). Also what those messages verify:
//! `AutoVerifiedAttributes` and `UserAttributeUpdateSettings` (`domain/contact_verification.rs`).

use serde::Deserialize;

use super::super::constraint;
use crate::domain::contact_verification::{AutoVerifiedAttributes, UserAttributeUpdateSettings};
use crate::domain::message_template::{
    DefaultEmailOption, InviteMessageTemplate, SettingError, VerificationMessageTemplate,
    validate_sms_authentication_message,
};
use crate::http::error::ApiError;

/// Cognito's `VerificationMessageTemplateType` as a request carries it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VerificationMessageTemplateInput {
    email_message: Option<String>,
    email_subject: Option<String>,
    sms_message: Option<String>,
    email_message_by_link: Option<String>,
    email_subject_by_link: Option<String>,
    default_email_option: Option<String>,
}

/// Cognito's `MessageTemplateType` as `InviteMessageTemplate`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InviteMessageTemplateInput {
    email_message: Option<String>,
    email_subject: Option<String>,
    #[serde(rename = "SMSMessage")]
    sms_message: Option<String>,
}

/// The message members of a pool request, each as the request gave it.
pub(super) struct MessageInputs {
    pub verification_message_template: Option<VerificationMessageTemplateInput>,
    pub email_verification_message: Option<String>,
    pub email_verification_subject: Option<String>,
    pub sms_verification_message: Option<String>,
    pub sms_authentication_message: Option<String>,
}

/// What the pool stores for the message members; a member left out takes its default.
pub(super) struct MessageSettings {
    pub verification_message_template: VerificationMessageTemplate,
    pub sms_authentication_message: Option<String>,
}

pub(super) fn refused(error: SettingError) -> ApiError {
    match error {
        SettingError::Constraint { member, rule } => constraint(&member, &rule),
        SettingError::Invalid(message) => {
            ApiError::invalid_parameter(message, super::super::SURFACE)
        }
    }
}

pub(super) fn message_settings(input: MessageInputs) -> Result<MessageSettings, ApiError> {
    let template = match input.verification_message_template {
        Some(given) => VerificationMessageTemplate {
            email_message: given.email_message,
            email_subject: given.email_subject,
            sms_message: given.sms_message,
            email_message_by_link: given.email_message_by_link,
            email_subject_by_link: given.email_subject_by_link,
            default_email_option: given
                .default_email_option
                .as_deref()
                .map(DefaultEmailOption::parse)
                .transpose()
                .map_err(refused)?
                .unwrap_or_default(),
        },
        None => VerificationMessageTemplate::default(),
    };
    template.validate().map_err(refused)?;
    let template = template
        .with_legacy(
            input.email_verification_message,
            input.email_verification_subject,
            input.sms_verification_message,
        )
        .map_err(refused)?;
    if let Some(message) = &input.sms_authentication_message {
        validate_sms_authentication_message(message).map_err(refused)?;
    }
    Ok(MessageSettings {
        verification_message_template: template,
        sms_authentication_message: input.sms_authentication_message,
    })
}

/// The invitation template a request gives; None when it gives none (or an empty one).
pub(super) fn invite_message_template(
    input: Option<InviteMessageTemplateInput>,
) -> Result<Option<InviteMessageTemplate>, ApiError> {
    let Some(input) = input else {
        return Ok(None);
    };
    let template = InviteMessageTemplate {
        email_message: input.email_message,
        email_subject: input.email_subject,
        sms_message: input.sms_message,
    };
    template.validate().map_err(refused)?;
    Ok((!template.is_empty()).then_some(template))
}

/// Cognito's `UserAttributeUpdateSettingsType` as a request carries it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserAttributeUpdateSettingsInput {
    attributes_require_verification_before_update: Option<Vec<String>>,
}

/// `AutoVerifiedAttributes` (left out: none, Cognito's default) and
/// `UserAttributeUpdateSettings` (left out: nothing waits), checked together: an attribute
/// whose change waits for its code must be one that is sent a code.
pub(super) fn verification_settings(
    auto_verified: Option<Vec<String>>,
    update: Option<UserAttributeUpdateSettingsInput>,
) -> Result<(AutoVerifiedAttributes, UserAttributeUpdateSettings), ApiError> {
    let auto = match auto_verified {
        Some(names) => AutoVerifiedAttributes::parse(names).map_err(refused)?,
        None => AutoVerifiedAttributes::none(),
    };
    let held = update
        .and_then(|settings| settings.attributes_require_verification_before_update)
        .unwrap_or_default();
    let update = UserAttributeUpdateSettings::parse(held, &auto).map_err(refused)?;
    Ok((auto, update))
}
