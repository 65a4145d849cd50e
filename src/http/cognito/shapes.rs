//! Cognito's output shapes for pools, clients, users and groups (botocore names), built from
//! domain types. Timestamps are epoch seconds, as the AWS JSON protocol sends them.

use serde::{Deserialize, Serialize};

use crate::domain::app_client::{AppClient, TimeUnit};
use crate::domain::client_oauth::OAuthSettings;
use crate::domain::contact_verification::UserAttributeUpdateSettings;
use crate::domain::message_template::{InviteMessageTemplate, VerificationMessageTemplate};
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::pool::{EmailConfiguration, UserPool};
use crate::domain::pool_config::{
    AccountRecoverySetting, DeletionProtection, DeviceConfiguration, LambdaConfig,
    MfaConfiguration, SmsConfiguration, UserPoolAddOns,
};
use crate::domain::schema::SchemaAttribute;
use crate::domain::user::User;
use crate::manage::groups::GroupRecord;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AttributeType {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
}

/// Reads `[{Name, Value}]` into validated attributes.
pub(super) fn parse_attributes(
    list: Vec<AttributeType>,
) -> Result<crate::domain::attributes::UserAttributes, crate::http::error::ApiError> {
    let map = list
        .into_iter()
        .map(|a| (a.name, a.value.unwrap_or_default()))
        .collect();
    crate::domain::attributes::UserAttributes::parse(map)
        .map_err(|e| super::constraint("userAttributes", &e))
}

/// The pool's ARN, which `TagResource` and its kin name it by. Account id 000000000000:
/// there is no AWS account behind a Gatehouse pool.
pub(super) fn pool_arn(pool: &UserPool) -> String {
    format!(
        "arn:aws:cognito-idp:{}:000000000000:userpool/{}",
        pool.id.region(),
        pool.id
    )
}

/// `sub` first, then the stored attributes.
pub(super) fn attributes(user: &User) -> Vec<AttributeType> {
    std::iter::once(AttributeType {
        name: "sub".into(),
        value: Some(user.sub.to_string()),
    })
    .chain(
        user.attributes
            .as_map()
            .iter()
            .map(|(name, value)| AttributeType {
                name: name.clone(),
                value: Some(value.clone()),
            }),
    )
    .collect()
}

/// Cognito's legacy `MFAOptionsType` (an SMS second factor per attribute).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MfaOptionType {
    pub delivery_medium: &'static str,
    pub attribute_name: &'static str,
}

/// A user's second factors as Cognito reports them. Cognito leaves each member out for a
/// user without MFA, and Gatehouse has no MFA yet, so for now every user is such a user
/// (docs/cognito-compatibility.md, "What AdminGetUser and ListUsers show").
#[derive(Serialize, Default)]
pub(super) struct MfaSettings {
    #[serde(rename = "MFAOptions", skip_serializing_if = "Option::is_none")]
    pub mfa_options: Option<Vec<MfaOptionType>>,
    #[serde(rename = "UserMFASettingList", skip_serializing_if = "Option::is_none")]
    pub user_mfa_setting_list: Option<Vec<&'static str>>,
    #[serde(
        rename = "PreferredMfaSetting",
        skip_serializing_if = "Option::is_none"
    )]
    pub preferred_mfa_setting: Option<&'static str>,
}

pub(super) fn mfa_settings(_user: &User) -> MfaSettings {
    MfaSettings::default()
}

/// A user as `ListUsers` (and `AdminCreateUser`) show one: `UserCreateDate` and
/// `UserLastModifiedDate` in epoch seconds, `sub` among the attributes.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserType {
    pub username: String,
    pub attributes: Vec<AttributeType>,
    pub user_create_date: i64,
    pub user_last_modified_date: i64,
    pub enabled: bool,
    pub user_status: &'static str,
    #[serde(rename = "MFAOptions", skip_serializing_if = "Option::is_none")]
    pub mfa_options: Option<Vec<MfaOptionType>>,
}

pub(super) fn user(user: &User) -> UserType {
    UserType {
        username: user.username.clone(),
        attributes: attributes(user),
        user_create_date: user.created_at,
        user_last_modified_date: user.updated_at,
        enabled: user.enabled,
        user_status: user.status.as_str(),
        mfa_options: mfa_settings(user).mfa_options,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PasswordPolicyType {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub temporary_password_validity_days: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PoliciesType {
    pub password_policy: PasswordPolicyType,
}

fn policy(policy: &PasswordPolicy) -> PasswordPolicyType {
    PasswordPolicyType {
        minimum_length: policy.minimum_length,
        require_uppercase: policy.require_uppercase,
        require_lowercase: policy.require_lowercase,
        require_numbers: policy.require_numbers,
        require_symbols: policy.require_symbols,
        temporary_password_validity_days: policy.temporary_password_validity_days,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AdminCreateUserConfigType {
    pub allow_admin_create_user_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_message_template: Option<InviteMessageTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_account_validity_days: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPoolType {
    pub id: String,
    pub name: String,
    /// The pool's domain prefix (DescribeUserPool only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The pool's custom domain (DescribeUserPool only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
    pub policies: PoliciesType,
    pub admin_create_user_config: AdminCreateUserConfigType,
    pub email_configuration: EmailConfigurationType,
    /// Always present, with `DefaultEmailOption`, as Cognito answers.
    pub verification_message_template: VerificationMessageTemplate,
    /// The older names of three template members, kept in step with them as Cognito does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verification_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verification_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_verification_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_authentication_message: Option<String>,
    /// Only when the pool names some, as Cognito answers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub auto_verified_attributes: Vec<String>,
    pub user_attribute_update_settings: UserAttributeUpdateSettings,
    pub deletion_protection: DeletionProtection,
    pub mfa_configuration: MfaConfiguration,
    /// Always present, `{}` without triggers, as Cognito answers.
    pub lambda_config: LambdaConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_recovery_setting: Option<AccountRecoverySetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_configuration: Option<SmsConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_configuration: Option<DeviceConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_pool_add_ons: Option<UserPoolAddOns>,
    /// Every attribute of the pool's schema, standard ones first, in Cognito's shape.
    pub schema_attributes: Vec<SchemaAttribute>,
    pub arn: String,
    pub creation_date: i64,
    pub last_modified_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimated_number_of_users: Option<usize>,
    /// `UsernameAttributes`, `AliasAttributes`, `UsernameConfiguration`.
    #[serde(flatten)]
    pub sign_in_names: super::admin::sign_in_names::SignInNamesType,
    /// With the login name as the `gatehouse:tenant` tag.
    pub user_pool_tags: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EmailConfigurationType {
    /// As set; `DEVELOPER` (Cognito's name for "sent by the pool's own configuration")
    /// when the pool never said.
    pub email_sending_account: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_email_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_set: Option<String>,
}

fn email_configuration(config: &EmailConfiguration) -> EmailConfigurationType {
    EmailConfigurationType {
        email_sending_account: config
            .email_sending_account
            .clone()
            .unwrap_or_else(|| "DEVELOPER".to_owned()),
        from: config.from.clone(),
        source_arn: config.source_arn.clone(),
        reply_to_email_address: config.reply_to_email_address.clone(),
        configuration_set: config.configuration_set.clone(),
    }
}

pub(super) fn pool(pool: &UserPool, users: Option<usize>) -> UserPoolType {
    UserPoolType {
        id: pool.id.to_string(),
        name: pool.name.clone(),
        domain: None,
        custom_domain: None,
        policies: PoliciesType {
            password_policy: policy(&pool.settings.password_policy),
        },
        admin_create_user_config: AdminCreateUserConfigType {
            allow_admin_create_user_only: pool
                .settings
                .admin_create_user_config
                .allow_admin_create_user_only,
            invite_message_template: pool
                .settings
                .admin_create_user_config
                .invite_message_template
                .clone(),
            unused_account_validity_days: pool
                .settings
                .admin_create_user_config
                .unused_account_validity_days,
        },
        verification_message_template: pool.settings.verification_message_template.clone(),
        email_verification_message: pool
            .settings
            .verification_message_template
            .email_message
            .clone(),
        email_verification_subject: pool
            .settings
            .verification_message_template
            .email_subject
            .clone(),
        sms_verification_message: pool
            .settings
            .verification_message_template
            .sms_message
            .clone(),
        sms_authentication_message: pool.settings.sms_authentication_message.clone(),
        auto_verified_attributes: pool.settings.auto_verified_attributes.names().to_vec(),
        user_attribute_update_settings: pool.settings.user_attribute_update_settings.clone(),
        email_configuration: email_configuration(&pool.settings.email_configuration),
        deletion_protection: pool.settings.deletion_protection,
        mfa_configuration: pool.settings.mfa_configuration,
        lambda_config: pool.settings.lambda_config.clone(),
        account_recovery_setting: pool.settings.account_recovery_setting.clone(),
        sms_configuration: pool.settings.sms_configuration.clone(),
        device_configuration: pool.settings.device_configuration.clone(),
        user_pool_add_ons: pool.settings.user_pool_add_ons.clone(),
        schema_attributes: pool.settings.schema().attributes().to_vec(),
        arn: pool_arn(pool),
        creation_date: pool.created_at,
        last_modified_date: pool.updated_at,
        estimated_number_of_users: users,
        sign_in_names: super::admin::sign_in_names::shape(&pool.settings.sign_in_names),
        user_pool_tags: pool.tags(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPoolDescriptionType {
    pub id: String,
    pub name: String,
    pub creation_date: i64,
    pub last_modified_date: i64,
}

pub(super) fn pool_description(pool: &UserPool) -> UserPoolDescriptionType {
    UserPoolDescriptionType {
        id: pool.id.to_string(),
        name: pool.name.clone(),
        creation_date: pool.created_at,
        last_modified_date: pool.updated_at,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TokenValidityUnitsType {
    pub access_token: TimeUnit,
    pub id_token: TimeUnit,
    pub refresh_token: TimeUnit,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RefreshTokenRotationType {
    pub feature: &'static str,
    pub retry_grace_period_seconds: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPoolClientType {
    pub user_pool_id: String,
    pub client_name: String,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub creation_date: i64,
    pub last_modified_date: i64,
    pub refresh_token_validity: i64,
    pub access_token_validity: i64,
    pub id_token_validity: i64,
    pub token_validity_units: TokenValidityUnitsType,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: &'static str,
    pub enable_token_revocation: bool,
    pub refresh_token_rotation: RefreshTokenRotationType,
    /// Only when the client names its own lists, as Cognito answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_attributes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_attributes: Option<Vec<String>>,
    /// `CallbackURLs` … `AllowedOAuthFlowsUserPoolClient`, under Cognito's names; the
    /// lists only when set, as Cognito answers.
    #[serde(flatten)]
    pub oauth: OAuthSettings,
    pub auth_session_validity: i64,
    pub enable_propagate_additional_user_context_data: bool,
}

/// The client with its lifetimes in the units it was configured in.
pub(super) fn client(client: &AppClient, secret: Option<String>) -> UserPoolClientType {
    let units = &client.settings.token_validity_units;
    UserPoolClientType {
        user_pool_id: client.pool_id.to_string(),
        client_name: client.name.clone(),
        client_id: client.id.to_string(),
        client_secret: secret,
        creation_date: client.created_at,
        last_modified_date: client.updated_at,
        refresh_token_validity: client.validity.refresh_token_seconds
            / units.refresh_token.seconds(),
        access_token_validity: client.validity.access_token_seconds / units.access_token.seconds(),
        id_token_validity: client.validity.id_token_seconds / units.id_token.seconds(),
        token_validity_units: TokenValidityUnitsType {
            access_token: units.access_token,
            id_token: units.id_token,
            refresh_token: units.refresh_token,
        },
        explicit_auth_flows: client.settings.explicit_auth_flows.clone(),
        prevent_user_existence_errors: if client.settings.prevent_user_existence_errors {
            "ENABLED"
        } else {
            "LEGACY"
        },
        enable_token_revocation: client.settings.enable_token_revocation,
        refresh_token_rotation: RefreshTokenRotationType {
            feature: if client.settings.refresh_token_rotation {
                "ENABLED"
            } else {
                "DISABLED"
            },
            retry_grace_period_seconds: client.refresh_grace_seconds,
        },
        read_attributes: client.settings.read_attributes.clone(),
        write_attributes: client.settings.write_attributes.clone(),
        oauth: client.settings.oauth.clone(),
        auth_session_validity: client.settings.auth_session_validity_minutes,
        enable_propagate_additional_user_context_data: client
            .settings
            .enable_propagate_additional_user_context_data,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UserPoolClientDescription {
    pub client_id: String,
    pub user_pool_id: String,
    pub client_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GroupType {
    pub group_name: String,
    pub user_pool_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precedence: Option<i64>,
    pub last_modified_date: i64,
    pub creation_date: i64,
}

pub(super) fn group(group: &GroupRecord) -> GroupType {
    GroupType {
        group_name: group.name.clone(),
        user_pool_id: group.pool_id.to_string(),
        description: group.description.clone(),
        role_arn: group.role_arn.clone(),
        precedence: group.precedence,
        last_modified_date: group.updated_at,
        creation_date: group.created_at,
    }
}

/// Cognito's `CodeDeliveryDetailsType`: where a code went, masked.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CodeDeliveryDetailsType {
    pub destination: String,
    pub delivery_medium: &'static str,
    pub attribute_name: &'static str,
}

pub(super) fn code_delivery(
    delivery: crate::auth::messages::CodeDelivery,
) -> CodeDeliveryDetailsType {
    CodeDeliveryDetailsType {
        destination: delivery.destination,
        delivery_medium: delivery.medium.as_str(),
        attribute_name: delivery.medium.attribute(),
    }
}
