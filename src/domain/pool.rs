//! User pools. Two pools may share a name, as in Cognito; the login API finds a pool by its
//! login name (its `TenantName`), which is unique and which only some pools have.

use std::collections::BTreeMap;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::clock::UnixSeconds;
use super::contact_verification::{AutoVerifiedAttributes, UserAttributeUpdateSettings};
use super::ids::UserPoolId;
use super::lockout::LockoutPolicy;
use super::message::{Medium, MessageKind};
use super::message_template::{InviteMessageTemplate, Template, VerificationMessageTemplate};
use super::password_policy::PasswordPolicy;
use super::pool_config::{
    AccountRecoverySetting, DeletionProtection, DeviceConfiguration, LambdaConfig,
    MfaConfiguration, SmsConfiguration, UserPoolAddOns,
};
use super::schema::Schema;
use super::sign_in_names::SignInNames;

/// A pool's name (Cognito's `PoolName`), and the form of a login name (the login API's
/// `TenantName`). Cognito's pattern (`[\w\s+=,.@-]+`, 1–128 characters) minus leading and
/// trailing whitespace, which would make two login names look alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolName(String);

pub const MAX_POOL_NAME_CHARS: usize = 128;

impl PoolName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 || chars > MAX_POOL_NAME_CHARS {
            return Err(format!(
                "pool name must be 1-{MAX_POOL_NAME_CHARS} characters"
            ));
        }
        if raw.trim() != raw {
            return Err("pool name must not start or end with whitespace".into());
        }
        let allowed = |c: char| c.is_alphanumeric() || c == '_' || c == ' ' || "+=,.@-".contains(c);
        if !raw.chars().all(allowed) {
            return Err(
                "pool name may contain only letters, digits, spaces and _ + = , . @ -".into(),
            );
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Per-pool behaviour, stored as one JSON document so new settings need no migration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PoolSettings {
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub admin_create_user_config: AdminCreateUserConfig,
    pub email_configuration: EmailConfiguration,
    /// The wording of codes (sign-up, reset, attribute verification); unset members take
    /// Cognito's defaults.
    pub verification_message_template: VerificationMessageTemplate,
    /// Cognito's `SmsAuthenticationMessage`: stored and returned; MFA is not served yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_authentication_message: Option<String>,
    /// Contact attributes sent a code at sign-up and when changed.
    pub auto_verified_attributes: AutoVerifiedAttributes,
    /// Contact attributes whose change waits for its code.
    pub user_attribute_update_settings: UserAttributeUpdateSettings,

    /// While `ACTIVE`, `DeleteUserPool` is refused.
    pub deletion_protection: DeletionProtection,
    /// Stored and returned; see [`MfaConfiguration`].
    pub mfa_configuration: MfaConfiguration,
    /// The pool's Lambda triggers, stored and returned as given.
    pub lambda_config: LambdaConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_recovery_setting: Option<AccountRecoverySetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_configuration: Option<SmsConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_configuration: Option<DeviceConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_add_ons: Option<UserPoolAddOns>,
    /// The declared attribute schema; None for pools that declared none (the CLI, seed files
    /// without `Schema`, pools stored before schemas existed), whose schema is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<Schema>,
    /// `UsernameAttributes`, `AliasAttributes` and `UsernameConfiguration`.
    pub sign_in_names: SignInNames,
    /// Cognito's `UserPoolTags`, without the login-name tag (that one is the pool's
    /// `login_name`, see [`PoolTags`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub user_pool_tags: BTreeMap<String, String>,
    pub software_token_mfa_configuration: SoftwareTokenMfaConfiguration,
    /// Set: e-mailed sign-in codes (`EMAIL_OTP`) are a factor, worded by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_mfa_configuration: Option<EmailMfaConfiguration>,
    /// Set: texted sign-in codes (`SMS_MFA`, held in the outbox) are a factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms_mfa_configuration: Option<SmsMfaConfiguration>,
}

/// Cognito's `SmsMfaConfigType`: the wording of texted sign-in codes and the SNS settings
/// (stored and returned; Gatehouse has no carrier and holds texts in the outbox).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SmsMfaConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_authentication_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_configuration: Option<SmsConfiguration>,
}

/// Cognito's `SoftwareTokenMfaConfigType`: whether TOTP authenticator apps are a factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SoftwareTokenMfaConfiguration {
    pub enabled: bool,
}

/// Cognito's `EmailMfaConfigType`: the message and subject of e-mailed sign-in codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmailMfaConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// Cognito's bounds on the e-mailed MFA code's message and subject, and the texted one's.
const EMAIL_MFA_MESSAGE_CHARS: std::ops::RangeInclusive<usize> = 6..=20_000;
const EMAIL_MFA_SUBJECT_CHARS: std::ops::RangeInclusive<usize> = 1..=140;
const SMS_MFA_MESSAGE_CHARS: std::ops::RangeInclusive<usize> = 6..=140;

impl EmailMfaConfiguration {
    /// Checks it as Cognito does: a message of 6-20000 characters with `{####}`, a subject of
    /// 1-140 characters on one line. The refusal is `InvalidParameterException`'s message.
    pub fn check(&self) -> Result<(), String> {
        if let Some(message) = &self.message
            && (!EMAIL_MFA_MESSAGE_CHARS.contains(&message.chars().count())
                || !message.contains("{####}"))
        {
            return Err(
                "EmailMfaConfiguration.Message must be 6-20000 characters and contain {####}"
                    .into(),
            );
        }
        if let Some(subject) = &self.subject
            && (!EMAIL_MFA_SUBJECT_CHARS.contains(&subject.chars().count())
                || subject.chars().any(char::is_control))
        {
            return Err(
                "EmailMfaConfiguration.Subject must be 1-140 characters on one line".into(),
            );
        }
        Ok(())
    }
}

impl SmsMfaConfiguration {
    /// Checks it as Cognito does: a message of 6-140 characters with `{####}`, and the SMS
    /// configuration's own rules.
    pub fn check(&self) -> Result<(), String> {
        if let Some(message) = &self.sms_authentication_message
            && (!SMS_MFA_MESSAGE_CHARS.contains(&message.chars().count())
                || !message.contains("{####}"))
        {
            return Err(
                "SmsMfaConfiguration.SmsAuthenticationMessage must be 6-140 characters \
                        and contain {####}"
                    .into(),
            );
        }
        if let Some(sms) = &self.sms_configuration {
            sms.validate()?;
        }
        Ok(())
    }
}

impl PoolSettings {
    /// Whether sign-ins in this pool may be asked for a TOTP code: MFA is `OPTIONAL` or `ON`
    /// and authenticator apps are an enabled factor.
    pub fn totp_mfa_active(&self) -> bool {
        self.mfa_configuration != MfaConfiguration::Off
            && self.software_token_mfa_configuration.enabled
    }

    /// Whether sign-ins in this pool may be asked for any second factor.
    pub fn mfa_active(&self) -> bool {
        self.mfa_configuration != MfaConfiguration::Off
            && (self.software_token_mfa_configuration.enabled
                || self.email_mfa_configuration.is_some()
                || self.sms_mfa_configuration.is_some())
    }
}

impl PoolSettings {
    /// The schema every attribute write is checked against (domain/schema.rs).
    pub fn schema(&self) -> Cow<'_, Schema> {
        match &self.schema {
            Some(declared) => Cow::Borrowed(declared),
            None => Cow::Owned(Schema::open()),
        }
    }
}

/// The tag through which the Cognito API gives a pool its login name (the login API's
/// `TenantName`): docs/cognito-compatibility.md, "Pool names and the login API".
pub const LOGIN_NAME_TAG: &str = "gatehouse:tenant";

/// Cognito's limits on `UserPoolTags`.
pub const MAX_TAGS: usize = 50;
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;

/// A pool's tags as the Cognito API gives them, split into the login name (the
/// [`LOGIN_NAME_TAG`]'s value) and the rest, which are stored as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolTags {
    pub login_name: Option<PoolName>,
    pub other: BTreeMap<String, String>,
}

impl PoolTags {
    /// Checks tags as Cognito does (at most 50; keys 1–128 characters, values up to 256, of
    /// letters, digits, spaces and `_ . : / = + - @`), and the login name as a pool name.
    pub fn parse(tags: BTreeMap<String, String>) -> Result<Self, String> {
        if tags.len() > MAX_TAGS {
            return Err(format!("Member must have at most {MAX_TAGS} entries"));
        }
        let allowed = |c: char| {
            c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_.:/=+-@".contains(c)
        };
        let mut parsed = Self::default();
        for (key, value) in tags {
            let key_chars = key.chars().count();
            if key_chars == 0 || key_chars > MAX_TAG_KEY_CHARS || !key.chars().all(allowed) {
                return Err(format!(
                    "Map keys must satisfy constraint: [Member must have length between 1 and \
                     {MAX_TAG_KEY_CHARS}, Member must satisfy regular expression pattern: \
                     ^([\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*)$]"
                ));
            }
            if value.chars().count() > MAX_TAG_VALUE_CHARS || !value.chars().all(allowed) {
                return Err(format!(
                    "Map values must satisfy constraint: [Member must have length less than or \
                     equal to {MAX_TAG_VALUE_CHARS}, Member must satisfy regular expression \
                     pattern: ^([\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*)$]"
                ));
            }
            if key == LOGIN_NAME_TAG {
                parsed.login_name = Some(
                    PoolName::parse(&value)
                        .map_err(|e| format!("the {LOGIN_NAME_TAG} tag: {e}"))?,
                );
            } else {
                parsed.other.insert(key, value);
            }
        }
        Ok(parsed)
    }
}

impl PoolSettings {
    /// The template a message of `kind` on `medium` is rendered from.
    pub fn message_template(&self, kind: MessageKind, medium: Medium) -> Template {
        Template::select(
            &self.verification_message_template,
            self.admin_create_user_config
                .invite_message_template
                .as_ref(),
            kind,
            medium,
        )
    }
}

/// Cognito's `EmailConfiguration`, of which Gatehouse uses the sender address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EmailConfiguration {
    /// The pool's sender (`From`), e.g. `Acme <no-reply@acme.example>`; None uses the
    /// server's GATEHOUSE_MAIL_FROM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The rest of Cognito's `EmailConfiguration`, stored and returned as given: Gatehouse
    /// sends through its own SMTP server (docs/operations.md), not SES.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_email_address: Option<String>,
    /// `COGNITO_DEFAULT` or `DEVELOPER`; None answers `DEVELOPER` (the pool's own sender).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_sending_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_set: Option<String>,
}

impl EmailConfiguration {
    /// Checks a sender address as given to `CreateUserPool`/`UpdateUserPool`: a mailbox
    /// (`a@b` or `Name <a@b>`) on one line, so it cannot smuggle in mail headers.
    pub fn parse_from(raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        let address = match (raw.rfind('<'), raw.strip_suffix('>')) {
            (Some(open), Some(inner)) => &inner[open + 1..],
            _ => raw,
        };
        let well_formed = address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if raw.is_empty()
            || raw.chars().count() > 320
            || raw.chars().any(char::is_control)
            || !well_formed
            || address.contains(char::is_whitespace)
        {
            return Err("EmailConfiguration.From must be an address such as \
                        Name <no-reply@example.com>"
                .into());
        }
        Ok(raw.to_owned())
    }
}

/// Cognito's `AdminCreateUserConfig`: who may create users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdminCreateUserConfig {
    /// While true, only operators create users (AdminCreateUser, the CLI, seed files) and
    /// `SignUp` is refused.
    pub allow_admin_create_user_only: bool,
    /// The wording of invitations; None (or unset members) takes Cognito's defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_message_template: Option<InviteMessageTemplate>,
    /// Cognito's older name for how long a temporary password lasts; stored and returned as
    /// given (`TemporaryPasswordValidityDays` in the password policy is what Gatehouse applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_account_validity_days: Option<u32>,
}

impl Default for AdminCreateUserConfig {
    /// Self-registration off: the default for pools made by the CLI and seed files, and for
    /// pools stored before the setting existed. `CreateUserPool` asks for Cognito's default instead.
    fn default() -> Self {
        Self::SELF_REGISTRATION_OFF
    }
}

impl AdminCreateUserConfig {
    pub const SELF_REGISTRATION_OFF: Self = Self {
        allow_admin_create_user_only: true,
        invite_message_template: None,
        unused_account_validity_days: None,
    };
    /// Cognito's default for `CreateUserPool` and `UpdateUserPool`.
    pub const COGNITO_DEFAULT: Self = Self {
        allow_admin_create_user_only: false,
        invite_message_template: None,
        unused_account_validity_days: None,
    };

    pub fn allows_sign_up(&self) -> bool {
        !self.allow_admin_create_user_only
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub id: UserPoolId,
    /// Cognito's `PoolName`; not unique.
    pub name: String,
    /// The name the login API finds the pool by (its `TenantName`), unique among pools;
    /// None for a pool the login API does not serve.
    pub login_name: Option<String>,
    pub settings: PoolSettings,
    pub created_at: UnixSeconds,
    /// When its settings, tags or schema last changed (Cognito's `LastModifiedDate`).
    pub updated_at: UnixSeconds,
}

impl UserPool {
    /// Every tag, as `DescribeUserPool` and `ListTagsForResource` show them: the stored ones
    /// and the login name as the [`LOGIN_NAME_TAG`].
    pub fn tags(&self) -> BTreeMap<String, String> {
        let mut tags = self.settings.user_pool_tags.clone();
        if let Some(login_name) = &self.login_name {
            tags.insert(LOGIN_NAME_TAG.to_owned(), login_name.clone());
        }
        tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_names_follow_cognitos_pattern() {
        for good in ["acme", "Acme Corp", "team.dev@eu", "a-b_c+d=e,f"] {
            assert!(PoolName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", " acme", "acme ", "ac/me", "ac\u{0}me", "ac\nme"] {
            assert!(PoolName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(PoolName::parse(&"t".repeat(129)).is_err());
    }

    #[test]
    fn settings_default_to_cognitos() {
        let settings: PoolSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings, PoolSettings::default());
        assert_eq!(settings.password_policy.minimum_length, 8);
        assert_eq!(settings.lockout.free_failures, 5);
        // Self-registration is off unless a pool says otherwise, also for pools stored
        // before the setting existed.
        assert!(!settings.admin_create_user_config.allows_sign_up());
        let open: PoolSettings =
            serde_json::from_str(r#"{"AdminCreateUserConfig":{"AllowAdminCreateUserOnly":false}}"#)
                .unwrap();
        assert!(open.admin_create_user_config.allows_sign_up());
    }

    #[test]
    fn the_login_name_tag_is_split_from_the_others() {
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let parsed = PoolTags::parse(tags(&[(LOGIN_NAME_TAG, "acme"), ("team", "id")])).unwrap();
        assert_eq!(parsed.login_name, Some(PoolName::parse("acme").unwrap()));
        assert_eq!(parsed.other, tags(&[("team", "id")]));
        assert_eq!(
            PoolTags::parse(tags(&[("empty", "")])).unwrap().login_name,
            None
        );
        for bad in [
            tags(&[(LOGIN_NAME_TAG, "")]),
            tags(&[(LOGIN_NAME_TAG, " acme")]),
            tags(&[("", "v")]),
            tags(&[("k", "no\nnewlines")]),
            tags(&[("k#", "v")]),
        ] {
            assert!(PoolTags::parse(bad.clone()).is_err(), "{bad:?}");
        }
        let many: BTreeMap<_, _> = (0..=MAX_TAGS)
            .map(|i| (format!("k{i}"), String::new()))
            .collect();
        assert!(PoolTags::parse(many).is_err());
    }

    #[test]
    fn sender_addresses_are_one_mailbox() {
        for good in ["a@b.example", "Acme <no-reply@acme.example>"] {
            assert_eq!(EmailConfiguration::parse_from(good).as_deref(), Ok(good));
        }
        for bad in ["", "nobody", "a@b\r\nBcc: x@y", "Acme <>", "@b", "a b@c"] {
            assert!(EmailConfiguration::parse_from(bad).is_err(), "{bad:?}");
        }
    }
}
