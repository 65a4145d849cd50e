//! The pool settings `CreateUserPool` and `UpdateUserPool` both take, read in Cognito's
//! shapes, and the catch for members an operation does not define.
//!
//! A member a request leaves out takes Cognito's default, on `UpdateUserPool` too: Cognito
//! documents that an update resets what it does not name, so callers send the whole
//! configuration (what `DescribeUserPool` returned, with their change).

use super::pool_messages::{
    InviteMessageTemplateInput, MessageInputs, UserAttributeUpdateSettingsInput,
    VerificationMessageTemplateInput, invite_message_template, message_settings,
    verification_settings,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::super::{SURFACE, constraint, failed};
use crate::auth::AuthError;
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{self, PoolSettings};
use crate::domain::pool_config::{
    AccountRecoverySetting, DeletionProtection, DeviceConfiguration, LambdaConfig,
    MfaConfiguration, SmsConfiguration, UserPoolAddOns, is_arn,
};
use crate::http::body::{decode_value, unknown_member};
use crate::http::error::ApiError;

/// The members of a request its operation's input did not take itself, flattened into that
/// input, to be read as the settings the operation shares with another ([`Self::read`]), or
/// refused when there are none to read ([`Self::refuse`]). Either way a member the
/// operation does not define is refused by name instead of dropped.
#[derive(Deserialize, Default)]
#[serde(transparent)]
pub(in crate::http::cognito) struct OtherMembers(Map<String, Value>);

impl OtherMembers {
    /// The members as `T`, whose `deny_unknown_fields` refuses the rest; error paths are
    /// the members' own (`Policies.PasswordPolicy.MinimumLength`).
    pub(in crate::http::cognito) fn read<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        decode_value(Value::Object(self.0), SURFACE)
    }

    pub(in crate::http::cognito) fn refuse(&self) -> Result<(), ApiError> {
        match self.0.keys().next() {
            None => Ok(()),
            Some(name) => {
                let name: String = name.chars().take(64).collect();
                Err(failed(AuthError::InvalidParameter(format!(
                    "1 validation error detected: {}",
                    unknown_member(".", &name)
                ))))
            }
        }
    }
}

/// The members of `CreateUserPool` and `UpdateUserPool` this file reads.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(super) struct PoolConfig {
    policies: Option<Policies>,
    admin_create_user_config: Option<AdminCreateUserConfig>,
    email_configuration: Option<EmailConfiguration>,
    deletion_protection: Option<DeletionProtection>,
    mfa_configuration: Option<MfaConfiguration>,
    lambda_config: Option<LambdaConfig>,
    account_recovery_setting: Option<AccountRecoverySetting>,
    sms_configuration: Option<SmsConfiguration>,
    device_configuration: Option<DeviceConfiguration>,
    user_pool_add_ons: Option<UserPoolAddOns>,
    verification_message_template: Option<VerificationMessageTemplateInput>,
    email_verification_message: Option<String>,
    email_verification_subject: Option<String>,
    sms_verification_message: Option<String>,
    sms_authentication_message: Option<String>,
    auto_verified_attributes: Option<Vec<String>>,
    user_attribute_update_settings: Option<UserAttributeUpdateSettingsInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Policies {
    password_policy: Option<PasswordPolicyInput>,
}

/// Cognito's `PasswordPolicyType`; a member left out keeps Gatehouse's default for it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct PasswordPolicyInput {
    minimum_length: Option<u32>,
    require_uppercase: Option<bool>,
    require_lowercase: Option<bool>,
    require_numbers: Option<bool>,
    require_symbols: Option<bool>,
    temporary_password_validity_days: Option<u32>,
}

impl PasswordPolicyInput {
    fn policy(self) -> PasswordPolicy {
        let default = PasswordPolicy::default();
        PasswordPolicy {
            minimum_length: self.minimum_length.unwrap_or(default.minimum_length),
            require_uppercase: self.require_uppercase.unwrap_or(default.require_uppercase),
            require_lowercase: self.require_lowercase.unwrap_or(default.require_lowercase),
            require_numbers: self.require_numbers.unwrap_or(default.require_numbers),
            require_symbols: self.require_symbols.unwrap_or(default.require_symbols),
            temporary_password_validity_days: self
                .temporary_password_validity_days
                .unwrap_or(default.temporary_password_validity_days),
        }
    }
}

/// Cognito's `AdminCreateUserConfigType`; a member left out takes Cognito's default
/// (self-registration on).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AdminCreateUserConfig {
    allow_admin_create_user_only: Option<bool>,
    unused_account_validity_days: Option<u32>,
    invite_message_template: Option<InviteMessageTemplateInput>,
}

/// Cognito's `EmailConfigurationType`. Gatehouse sends with `From` (or the server's sender)
/// through its own SMTP server; the rest is stored and returned.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct EmailConfiguration {
    from: Option<String>,
    source_arn: Option<String>,
    reply_to_email_address: Option<String>,
    email_sending_account: Option<String>,
    configuration_set: Option<String>,
}

fn email_configuration(
    input: Option<EmailConfiguration>,
) -> Result<pool::EmailConfiguration, ApiError> {
    let Some(input) = input else {
        return Ok(pool::EmailConfiguration::default());
    };
    let from = input
        .from
        .map(|from| pool::EmailConfiguration::parse_from(&from))
        .transpose()
        .map_err(|e| constraint("emailConfiguration.from", &e))?;
    if input.source_arn.as_deref().is_some_and(|arn| !is_arn(arn)) {
        return Err(constraint(
            "emailConfiguration.sourceArn",
            "Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
        ));
    }
    let reply_to = input
        .reply_to_email_address
        .map(|address| pool::EmailConfiguration::parse_from(&address))
        .transpose()
        .map_err(|_| {
            constraint(
                "emailConfiguration.replyToEmailAddress",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+@[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
            )
        })?;
    if let Some(account) = &input.email_sending_account
        && account != "COGNITO_DEFAULT"
        && account != "DEVELOPER"
    {
        return Err(constraint(
            "emailConfiguration.emailSendingAccount",
            "Member must satisfy enum value set: [COGNITO_DEFAULT, DEVELOPER]",
        ));
    }
    if input
        .configuration_set
        .as_deref()
        .is_some_and(|set| set.is_empty() || set.chars().count() > 64)
    {
        return Err(constraint(
            "emailConfiguration.configurationSet",
            "Member must have length between 1 and 64",
        ));
    }
    Ok(pool::EmailConfiguration {
        from,
        source_arn: input.source_arn,
        reply_to_email_address: reply_to,
        email_sending_account: input.email_sending_account,
        configuration_set: input.configuration_set,
    })
}

fn invalid(message: String) -> ApiError {
    failed(AuthError::InvalidParameter(message))
}

/// AWS's validation wording for a message that names its member itself.
fn validation(message: String) -> ApiError {
    if message.starts_with("Value at ") {
        invalid(format!("1 validation error detected: {message}"))
    } else {
        invalid(message)
    }
}

impl PoolConfig {
    /// `settings` with every member this input governs set as the request says, or to
    /// Cognito's default where it says nothing. Members it does not govern (the lockout
    /// thresholds, which are Gatehouse's own, and anything another operation owns) stay.
    pub(super) fn apply_to(self, mut settings: PoolSettings) -> Result<PoolSettings, ApiError> {
        settings.password_policy = self
            .policies
            .and_then(|p| p.password_policy)
            .map(PasswordPolicyInput::policy)
            .unwrap_or_default();
        let default = pool::AdminCreateUserConfig::COGNITO_DEFAULT;
        let admin = self.admin_create_user_config;
        let unused_days = admin.as_ref().and_then(|a| a.unused_account_validity_days);
        if unused_days.is_some_and(|days| days > 365) {
            return Err(constraint(
                "adminCreateUserConfig.unusedAccountValidityDays",
                "Member must have value less than or equal to 365",
            ));
        }
        let (only, invitation) = match admin {
            Some(a) => (a.allow_admin_create_user_only, a.invite_message_template),
            None => (None, None),
        };
        settings.admin_create_user_config = pool::AdminCreateUserConfig {
            allow_admin_create_user_only: only.unwrap_or(default.allow_admin_create_user_only),
            unused_account_validity_days: unused_days,
            invite_message_template: invite_message_template(invitation)?,
        };
        // The message templates and what they verify (`pool_messages.rs`); left out, each
        // returns to Cognito's default.
        let messages = message_settings(MessageInputs {
            verification_message_template: self.verification_message_template,
            email_verification_message: self.email_verification_message,
            email_verification_subject: self.email_verification_subject,
            sms_verification_message: self.sms_verification_message,
            sms_authentication_message: self.sms_authentication_message,
        })?;
        settings.verification_message_template = messages.verification_message_template;
        settings.sms_authentication_message = messages.sms_authentication_message;
        (
            settings.auto_verified_attributes,
            settings.user_attribute_update_settings,
        ) = verification_settings(
            self.auto_verified_attributes,
            self.user_attribute_update_settings,
        )?;
        settings.email_configuration = email_configuration(self.email_configuration)?;
        settings.deletion_protection = self.deletion_protection.unwrap_or_default();
        settings.mfa_configuration = self.mfa_configuration.unwrap_or_default();
        settings.lambda_config = self
            .lambda_config
            .unwrap_or_default()
            .normalised()
            .map_err(validation)?;
        if let Some(recovery) = &self.account_recovery_setting {
            recovery.validate().map_err(validation)?;
        }
        settings.account_recovery_setting = self.account_recovery_setting;
        if let Some(sms) = &self.sms_configuration {
            sms.validate().map_err(validation)?;
        }
        settings.sms_configuration = self.sms_configuration;
        settings.device_configuration = self.device_configuration;
        settings.user_pool_add_ons = self.user_pool_add_ons;
        Ok(settings)
    }
}
