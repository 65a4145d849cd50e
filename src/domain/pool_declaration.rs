//! A pool's Cognito settings as they are declared: the members `CreateUserPool` and
//! `UpdateUserPool` share, read in Cognito's shapes, checked as Cognito checks them. Seed
//! files declare pools with the same members, decoded by the same type ([`PoolConfig`]), so
//! a pool declared in a file is described exactly as the same pool created through the API
//! (docs/operations.md, "Seed files").
//!
//! What a member left out means is the caller's choice ([`Omitted`]): `CreateUserPool` and
//! `UpdateUserPool` take Cognito's default (Cognito documents that an update resets what it
//! does not name), seed files keep what the pool has, so applying a file twice changes nothing.

use serde::Deserialize;

use super::contact_verification::{AutoVerifiedAttributes, UserAttributeUpdateSettings};
use super::message_template::{
    DefaultEmailOption, InviteMessageTemplate, SettingError, VerificationMessageTemplate,
    validate_sms_authentication_message,
};
use super::password_policy::PasswordPolicy;
use super::pool::{self, PoolSettings};
use super::pool_config::{
    AccountRecoverySetting, DeletionProtection, DeviceConfiguration, LambdaConfig,
    MfaConfiguration, SmsConfiguration, UserPoolAddOns, is_arn,
};

/// What a member the declaration leaves out becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Omitted {
    /// Cognito's default for it (`CreateUserPool`, `UpdateUserPool`).
    CognitoDefault,
    /// What the settings it is applied to already have (seed files).
    Kept,
}

/// The members of `CreateUserPool` and `UpdateUserPool` (and of a seed file's pool) this
/// type reads; any other member is refused by name.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PoolConfig {
    policies: Option<Policies>,
    admin_create_user_config: Option<AdminCreateUserConfigInput>,
    email_configuration: Option<EmailConfigurationInput>,
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Policies {
    password_policy: Option<PasswordPolicyInput>,
}

/// Cognito's `PasswordPolicyType`; a member left out keeps Gatehouse's default for it.
#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AdminCreateUserConfigInput {
    allow_admin_create_user_only: Option<bool>,
    unused_account_validity_days: Option<u32>,
    invite_message_template: Option<InviteMessageTemplateInput>,
}

/// Cognito's `EmailConfigurationType`. Gatehouse sends with `From` (or the server's sender)
/// through its own SMTP server; the rest is stored and returned.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct EmailConfigurationInput {
    from: Option<String>,
    source_arn: Option<String>,
    reply_to_email_address: Option<String>,
    email_sending_account: Option<String>,
    configuration_set: Option<String>,
}

/// Cognito's `VerificationMessageTemplateType` as a request carries it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VerificationMessageTemplateInput {
    email_message: Option<String>,
    email_subject: Option<String>,
    sms_message: Option<String>,
    email_message_by_link: Option<String>,
    email_subject_by_link: Option<String>,
    default_email_option: Option<String>,
}

/// Cognito's `MessageTemplateType` as `InviteMessageTemplate`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InviteMessageTemplateInput {
    email_message: Option<String>,
    email_subject: Option<String>,
    #[serde(rename = "SMSMessage")]
    sms_message: Option<String>,
}

/// Cognito's `UserAttributeUpdateSettingsType` as a request carries it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UserAttributeUpdateSettingsInput {
    attributes_require_verification_before_update: Option<Vec<String>>,
}

/// AWS's validation wording for a rule that names its member itself (`Value at '…'`).
fn validation(message: String) -> SettingError {
    if message.starts_with("Value at ") {
        SettingError::Invalid(format!("1 validation error detected: {message}"))
    } else {
        SettingError::Invalid(message)
    }
}

const ARN_PATTERN: &str = "Member must satisfy regular expression pattern: \
     arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?";

fn email_configuration(
    input: EmailConfigurationInput,
) -> Result<pool::EmailConfiguration, SettingError> {
    let from = input
        .from
        .map(|from| pool::EmailConfiguration::parse_from(&from))
        .transpose()
        .map_err(|e| SettingError::constraint("emailConfiguration.from", &e))?;
    if input.source_arn.as_deref().is_some_and(|arn| !is_arn(arn)) {
        return Err(SettingError::constraint(
            "emailConfiguration.sourceArn",
            ARN_PATTERN,
        ));
    }
    let reply_to = input
        .reply_to_email_address
        .map(|address| pool::EmailConfiguration::parse_from(&address))
        .transpose()
        .map_err(|_| {
            SettingError::constraint(
                "emailConfiguration.replyToEmailAddress",
                "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+@[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
            )
        })?;
    if let Some(account) = &input.email_sending_account
        && account != "COGNITO_DEFAULT"
        && account != "DEVELOPER"
    {
        return Err(SettingError::constraint(
            "emailConfiguration.emailSendingAccount",
            "Member must satisfy enum value set: [COGNITO_DEFAULT, DEVELOPER]",
        ));
    }
    if input
        .configuration_set
        .as_deref()
        .is_some_and(|set| set.is_empty() || set.chars().count() > 64)
    {
        return Err(SettingError::constraint(
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

fn admin_create_user_config(
    input: AdminCreateUserConfigInput,
) -> Result<pool::AdminCreateUserConfig, SettingError> {
    let default = pool::AdminCreateUserConfig::COGNITO_DEFAULT;
    if input
        .unused_account_validity_days
        .is_some_and(|days| days > 365)
    {
        return Err(SettingError::constraint(
            "adminCreateUserConfig.unusedAccountValidityDays",
            "Member must have value less than or equal to 365",
        ));
    }
    let invitation = match input.invite_message_template {
        Some(given) => {
            let template = InviteMessageTemplate {
                email_message: given.email_message,
                email_subject: given.email_subject,
                sms_message: given.sms_message,
            };
            template.validate()?;
            (!template.is_empty()).then_some(template)
        }
        None => None,
    };
    Ok(pool::AdminCreateUserConfig {
        allow_admin_create_user_only: input
            .allow_admin_create_user_only
            .unwrap_or(default.allow_admin_create_user_only),
        unused_account_validity_days: input.unused_account_validity_days,
        invite_message_template: invitation,
    })
}

fn verification_message_template(
    input: VerificationMessageTemplateInput,
) -> Result<VerificationMessageTemplate, SettingError> {
    Ok(VerificationMessageTemplate {
        email_message: input.email_message,
        email_subject: input.email_subject,
        sms_message: input.sms_message,
        email_message_by_link: input.email_message_by_link,
        email_subject_by_link: input.email_subject_by_link,
        default_email_option: input
            .default_email_option
            .as_deref()
            .map(DefaultEmailOption::parse)
            .transpose()?
            .unwrap_or_default(),
    })
}

impl PoolConfig {
    /// `settings` with every member this declaration governs set as it says; a member it
    /// leaves out becomes what `omitted` says. Members it does not govern (the lockout
    /// thresholds, which are Gatehouse's own, the schema, the sign-in names, the tags, the
    /// MFA factors) stay.
    pub fn apply_to(
        self,
        mut settings: PoolSettings,
        omitted: Omitted,
    ) -> Result<PoolSettings, SettingError> {
        let kept = omitted == Omitted::Kept;
        // `set(member, current, default)`: the value the settings end with.
        fn set<T>(given: Option<T>, current: T, kept: bool, default: impl FnOnce() -> T) -> T {
            match given {
                Some(value) => value,
                None if kept => current,
                None => default(),
            }
        }

        let policy = self
            .policies
            .map(|p| p.password_policy.map(PasswordPolicyInput::policy));
        settings.password_policy = set(
            policy.map(Option::unwrap_or_default),
            settings.password_policy,
            kept,
            PasswordPolicy::default,
        );
        let admin = self
            .admin_create_user_config
            .map(admin_create_user_config)
            .transpose()?;
        settings.admin_create_user_config =
            set(admin, settings.admin_create_user_config, kept, || {
                pool::AdminCreateUserConfig::COGNITO_DEFAULT
            });

        // The message templates: `VerificationMessageTemplate` with the older
        // `EmailVerificationMessage`, `EmailVerificationSubject` and `SmsVerificationMessage`
        // (the same settings: Cognito keeps both forms in step).
        let template = self
            .verification_message_template
            .map(verification_message_template)
            .transpose()?;
        if let Some(template) = &template {
            template.validate()?;
        }
        let template = set(
            template,
            settings.verification_message_template,
            kept,
            VerificationMessageTemplate::default,
        );
        settings.verification_message_template = template.with_legacy(
            self.email_verification_message,
            self.email_verification_subject,
            self.sms_verification_message,
        )?;
        if let Some(message) = &self.sms_authentication_message {
            validate_sms_authentication_message(message)?;
        }
        settings.sms_authentication_message = set(
            self.sms_authentication_message.map(Some),
            settings.sms_authentication_message,
            kept,
            || None,
        );

        // What the messages verify, checked together: an attribute whose change waits for its
        // code must be one that is sent a code.
        let auto = self
            .auto_verified_attributes
            .map(AutoVerifiedAttributes::parse)
            .transpose()?;
        settings.auto_verified_attributes = set(
            auto,
            settings.auto_verified_attributes,
            kept,
            AutoVerifiedAttributes::none,
        );
        let held = self.user_attribute_update_settings.map(|s| {
            s.attributes_require_verification_before_update
                .unwrap_or_default()
        });
        let held = set(
            held,
            settings
                .user_attribute_update_settings
                .attributes_require_verification_before_update,
            kept,
            Vec::new,
        );
        settings.user_attribute_update_settings =
            UserAttributeUpdateSettings::parse(held, &settings.auto_verified_attributes)?;

        let email = self
            .email_configuration
            .map(email_configuration)
            .transpose()?;
        settings.email_configuration =
            set(email, settings.email_configuration, kept, Default::default);
        settings.deletion_protection = set(
            self.deletion_protection,
            settings.deletion_protection,
            kept,
            Default::default,
        );
        settings.mfa_configuration = set(
            self.mfa_configuration,
            settings.mfa_configuration,
            kept,
            Default::default,
        );
        let lambda = self
            .lambda_config
            .map(|config| config.normalised().map_err(validation))
            .transpose()?;
        settings.lambda_config = set(lambda, settings.lambda_config, kept, Default::default);
        if let Some(recovery) = &self.account_recovery_setting {
            recovery.validate().map_err(validation)?;
        }
        settings.account_recovery_setting = set(
            self.account_recovery_setting.map(Some),
            settings.account_recovery_setting,
            kept,
            || None,
        );
        if let Some(sms) = &self.sms_configuration {
            sms.validate().map_err(validation)?;
        }
        settings.sms_configuration = set(
            self.sms_configuration.map(Some),
            settings.sms_configuration,
            kept,
            || None,
        );
        settings.device_configuration = set(
            self.device_configuration.map(Some),
            settings.device_configuration,
            kept,
            || None,
        );
        settings.user_pool_add_ons = set(
            self.user_pool_add_ons.map(Some),
            settings.user_pool_add_ons,
            kept,
            || None,
        );
        Ok(settings)
    }

    /// Whether the declaration gives a password policy (a seed file may give it in its older
    /// place, `PasswordPolicy`, but not in both).
    pub fn has_password_policy(&self) -> bool {
        self.policies.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> PoolConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn left_out_members_take_cognitos_default_or_stay() {
        let mut current = PoolSettings::default();
        current.password_policy.minimum_length = 12;
        current.deletion_protection = DeletionProtection::Active;
        let given = r#"{"AutoVerifiedAttributes": ["email"]}"#;
        let reset = config(given)
            .apply_to(current.clone(), Omitted::CognitoDefault)
            .unwrap();
        assert_eq!(reset.password_policy, PasswordPolicy::default());
        assert_eq!(reset.deletion_protection, DeletionProtection::Inactive);
        assert!(reset.admin_create_user_config.allows_sign_up());
        let kept = config(given)
            .apply_to(current.clone(), Omitted::Kept)
            .unwrap();
        assert_eq!(kept.password_policy.minimum_length, 12);
        assert_eq!(kept.deletion_protection, DeletionProtection::Active);
        assert_eq!(
            kept.admin_create_user_config,
            current.admin_create_user_config
        );
        assert_eq!(kept.auto_verified_attributes.names(), ["email"]);
        // Applying the same declaration again changes nothing.
        assert_eq!(
            config(given).apply_to(kept.clone(), Omitted::Kept).unwrap(),
            kept
        );
    }

    #[test]
    fn members_are_checked_whatever_the_mode() {
        for (json, member) in [
            (
                r#"{"EmailConfiguration": {"EmailSendingAccount": "SES"}}"#,
                Some("emailConfiguration.emailSendingAccount"),
            ),
            (
                r#"{"UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}, "AutoVerifiedAttributes": []}"#,
                None,
            ),
        ] {
            for omitted in [Omitted::CognitoDefault, Omitted::Kept] {
                let error = config(json)
                    .apply_to(PoolSettings::default(), omitted)
                    .expect_err(json);
                if let Some(member) = member {
                    assert!(
                        matches!(&error, SettingError::Constraint { member: m, .. } if m == member),
                        "{json}: {error:?}"
                    );
                }
            }
        }
        for unknown in [
            r#"{"Colour": "red"}"#,
            r#"{"DeletionProtection": "SOMETIMES"}"#,
            r#"{"Policies": {"PasswordPolicy": {"MinimumLength": 8, "Colour": 1}}}"#,
        ] {
            assert!(
                serde_json::from_str::<PoolConfig>(unknown).is_err(),
                "{unknown}"
            );
        }
    }
}
