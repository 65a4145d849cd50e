//! The pool settings Cognito lets `CreateUserPool` and `UpdateUserPool` set that Gatehouse
//! keeps and returns as they were set: deletion protection (enforced), and MFA, Lambda
//! triggers, account recovery, SMS, device tracking and advanced security (stored and
//! returned only; docs/cognito-compatibility.md says which of them act). Each type is
//! Cognito's shape with its member names, so what is stored is what `DescribeUserPool`
//! answers; unknown members are refused when a request is read.

use serde::{Deserialize, Serialize};

/// `DeletionProtection`: while `ACTIVE`, `DeleteUserPool` is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeletionProtection {
    Active,
    #[default]
    Inactive,
}

/// `MfaConfiguration`: whether sign-ins ask for a second factor (`OPTIONAL`: users who set one
/// up; `ON`: everyone, setting one up at sign-in if needed). See auth/mfa_challenge.rs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MfaConfiguration {
    #[default]
    Off,
    On,
    Optional,
}

impl MfaConfiguration {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Optional => "OPTIONAL",
            Self::On => "ON",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "OFF" => Some(Self::Off),
            "OPTIONAL" => Some(Self::Optional),
            "ON" => Some(Self::On),
            _ => None,
        }
    }
}

/// A Lambda version and function, as `PreTokenGenerationConfig`, `CustomSMSSender` and
/// `CustomEmailSender` name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct VersionedLambda {
    pub lambda_version: String,
    pub lambda_arn: String,
}

/// `LambdaConfig`: the pool's triggers, stored and returned as given; `triggers/` invokes
/// those docs/triggers.md lists. Every member is an ARN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct LambdaConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_sign_up: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_confirmation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_authentication: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_authentication: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub define_auth_challenge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_auth_challenge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_auth_challenge_response: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_token_generation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_migration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pre_token_generation_config: Option<VersionedLambda>,
    #[serde(rename = "CustomSMSSender", skip_serializing_if = "Option::is_none")]
    pub custom_sms_sender: Option<VersionedLambda>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_email_sender: Option<VersionedLambda>,
    #[serde(rename = "KMSKeyID", skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
}

/// Cognito's `ArnType`: `arn:partition:service:region:account:resource`, 20–2048 characters.
pub fn is_arn(raw: &str) -> bool {
    let length = raw.chars().count();
    let mut parts = raw.splitn(6, ':');
    let word = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphanumeric() || "_+=/,.@-".contains(c))
    };
    let (Some(arn), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    (20..=2048).contains(&length)
        && arn == "arn"
        && word(partition)
        && word(service)
        && (region.is_empty() || word(region))
        && !account.is_empty()
        && account.chars().all(|c| c.is_ascii_digit())
        && resource.split(':').all(word)
}

fn arn(member: &str, value: Option<&String>) -> Result<(), String> {
    match value {
        Some(value) if !is_arn(value) => Err(format!(
            "Value at '{member}' failed to satisfy constraint: Member must satisfy regular \
             expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
        )),
        _ => Ok(()),
    }
}

fn versioned(
    member: &str,
    value: Option<&VersionedLambda>,
    versions: &[&str],
) -> Result<(), String> {
    let Some(lambda) = value else { return Ok(()) };
    arn(&format!("{member}.lambdaArn"), Some(&lambda.lambda_arn))?;
    if !versions.contains(&lambda.lambda_version.as_str()) {
        return Err(format!(
            "Value at '{member}.lambdaVersion' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            versions.join(", ")
        ));
    }
    Ok(())
}

impl LambdaConfig {
    /// Checks every ARN and version, and returns the configuration as Cognito keeps it:
    /// `PreTokenGeneration` and `PreTokenGenerationConfig` name the same function, so one
    /// given alone fills in the other (a bare `PreTokenGeneration` is version `V1_0`).
    pub fn normalised(mut self) -> Result<Self, String> {
        for (member, value) in [
            ("lambdaConfig.preSignUp", &self.pre_sign_up),
            ("lambdaConfig.customMessage", &self.custom_message),
            ("lambdaConfig.postConfirmation", &self.post_confirmation),
            ("lambdaConfig.preAuthentication", &self.pre_authentication),
            ("lambdaConfig.postAuthentication", &self.post_authentication),
            (
                "lambdaConfig.defineAuthChallenge",
                &self.define_auth_challenge,
            ),
            (
                "lambdaConfig.createAuthChallenge",
                &self.create_auth_challenge,
            ),
            (
                "lambdaConfig.verifyAuthChallengeResponse",
                &self.verify_auth_challenge_response,
            ),
            (
                "lambdaConfig.preTokenGeneration",
                &self.pre_token_generation,
            ),
            ("lambdaConfig.userMigration", &self.user_migration),
            ("lambdaConfig.kMSKeyID", &self.kms_key_id),
        ] {
            arn(member, value.as_ref())?;
        }
        versioned(
            "lambdaConfig.preTokenGenerationConfig",
            self.pre_token_generation_config.as_ref(),
            &["V1_0", "V2_0", "V3_0"],
        )?;
        versioned(
            "lambdaConfig.customSMSSender",
            self.custom_sms_sender.as_ref(),
            &["V1_0"],
        )?;
        versioned(
            "lambdaConfig.customEmailSender",
            self.custom_email_sender.as_ref(),
            &["V1_0"],
        )?;
        if (self.custom_sms_sender.is_some() || self.custom_email_sender.is_some())
            && self.kms_key_id.is_none()
        {
            return Err(
                "KMSKeyID is required when CustomSMSSender or CustomEmailSender is set".into(),
            );
        }
        match (
            self.pre_token_generation.clone(),
            self.pre_token_generation_config.clone(),
        ) {
            (Some(arn), Some(config)) if arn != config.lambda_arn => {
                return Err(
                    "PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must \
                            name the same function"
                        .into(),
                );
            }
            (Some(arn), None) => {
                self.pre_token_generation_config = Some(VersionedLambda {
                    lambda_version: "V1_0".into(),
                    lambda_arn: arn,
                });
            }
            (None, Some(config)) => self.pre_token_generation = Some(config.lambda_arn),
            _ => {}
        }
        Ok(self)
    }
}

/// One of `AccountRecoverySetting.RecoveryMechanisms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RecoveryOption {
    pub priority: u32,
    pub name: RecoveryMechanism,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryMechanism {
    VerifiedEmail,
    VerifiedPhoneNumber,
    AdminOnly,
}

/// `AccountRecoverySetting`: where a forgotten-password code may go, in order. Stored and
/// returned; Gatehouse sends reset codes by e-mail (docs/cognito-compatibility.md).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct AccountRecoverySetting {
    pub recovery_mechanisms: Vec<RecoveryOption>,
}

impl AccountRecoverySetting {
    /// Cognito's rules: one or two mechanisms, priorities 1 and 2 used once each,
    /// `admin_only` alone.
    pub fn validate(&self) -> Result<(), String> {
        let mechanisms = &self.recovery_mechanisms;
        if mechanisms.is_empty() || mechanisms.len() > 2 {
            return Err(
                "Value at 'accountRecoverySetting.recoveryMechanisms' failed to \
                        satisfy constraint: Member must have length between 1 and 2"
                    .into(),
            );
        }
        if mechanisms.iter().any(|m| !(1..=2).contains(&m.priority)) {
            return Err(
                "Value at 'accountRecoverySetting.recoveryMechanisms.priority' \
                        failed to satisfy constraint: Member must have value between 1 and 2"
                    .into(),
            );
        }
        if mechanisms.len() == 2 {
            if mechanisms[0].priority == mechanisms[1].priority {
                return Err("Recovery mechanisms must have distinct priorities".into());
            }
            if mechanisms[0].name == mechanisms[1].name {
                return Err("Recovery mechanisms must be distinct".into());
            }
            if mechanisms
                .iter()
                .any(|m| m.name == RecoveryMechanism::AdminOnly)
            {
                return Err("admin_only cannot be combined with another recovery mechanism".into());
            }
        }
        Ok(())
    }
}

/// `SmsConfiguration`: the SNS role Cognito would send texts with. Stored and returned;
/// Gatehouse sends no SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SmsConfiguration {
    pub sns_caller_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sns_region: Option<String>,
}

impl SmsConfiguration {
    pub fn validate(&self) -> Result<(), String> {
        arn("smsConfiguration.snsCallerArn", Some(&self.sns_caller_arn))?;
        if let Some(region) = &self.sns_region {
            let ok = (5..=32).contains(&region.len())
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Err("Value at 'smsConfiguration.snsRegion' failed to satisfy \
                            constraint: Member must satisfy regular expression pattern: \
                            [-0-9a-z]+ and have length between 5 and 32"
                    .into());
            }
        }
        Ok(())
    }
}

/// `DeviceConfiguration`: device tracking. Stored and returned; Gatehouse remembers no devices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct DeviceConfiguration {
    pub challenge_required_on_new_device: bool,
    pub device_only_remembered_on_user_prompt: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum AdvancedSecurityMode {
    Off,
    Audit,
    Enforced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CustomAuthMode {
    Audit,
    Enforced,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AdvancedSecurityAdditionalFlows {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_auth_mode: Option<CustomAuthMode>,
}

/// `UserPoolAddOns` (threat protection). Stored and returned; Gatehouse's own protections
/// (docs/security.md) apply whatever the mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct UserPoolAddOns {
    pub advanced_security_mode: AdvancedSecurityMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced_security_additional_flows: Option<AdvancedSecurityAdditionalFlows>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_cognitos_pattern() {
        assert!(is_arn(
            "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"
        ));
        assert!(is_arn("arn:aws:iam::123456789012:role/sns-caller"));
        for bad in [
            "",
            "not-an-arn-at-all-really",
            "arn:aws:lambda:us-east-1:account:function:x",
            "arn:aws:lambda:us-east-1:123456789012:",
            "arn:aws:lambda:us east:123456789012:function:x",
        ] {
            assert!(!is_arn(bad), "{bad}");
        }
    }

    #[test]
    fn pre_token_generation_is_kept_in_both_forms() {
        let arn = "arn:aws:lambda:us-east-1:123456789012:function:tokens".to_owned();
        let bare = LambdaConfig {
            pre_token_generation: Some(arn.clone()),
            ..LambdaConfig::default()
        }
        .normalised()
        .unwrap();
        assert_eq!(
            bare.pre_token_generation_config,
            Some(VersionedLambda {
                lambda_version: "V1_0".into(),
                lambda_arn: arn.clone()
            })
        );
        let versioned = LambdaConfig {
            pre_token_generation_config: Some(VersionedLambda {
                lambda_version: "V2_0".into(),
                lambda_arn: arn.clone(),
            }),
            ..LambdaConfig::default()
        }
        .normalised()
        .unwrap();
        assert_eq!(versioned.pre_token_generation, Some(arn));
        assert!(
            LambdaConfig {
                custom_email_sender: Some(VersionedLambda {
                    lambda_version: "V1_0".into(),
                    lambda_arn: "arn:aws:lambda:us-east-1:123456789012:function:mail".into(),
                }),
                ..LambdaConfig::default()
            }
            .normalised()
            .is_err(),
            "a custom sender needs its KMS key"
        );
    }

    #[test]
    fn recovery_settings_follow_cognitos_rules() {
        let option = |priority, name| RecoveryOption { priority, name };
        let setting = |list: Vec<RecoveryOption>| AccountRecoverySetting {
            recovery_mechanisms: list,
        };
        use RecoveryMechanism::*;
        assert!(
            setting(vec![
                option(1, VerifiedEmail),
                option(2, VerifiedPhoneNumber)
            ])
            .validate()
            .is_ok()
        );
        assert!(setting(vec![option(1, AdminOnly)]).validate().is_ok());
        for bad in [
            vec![],
            vec![option(3, VerifiedEmail)],
            vec![option(1, VerifiedEmail), option(1, VerifiedPhoneNumber)],
            vec![option(1, VerifiedEmail), option(2, VerifiedEmail)],
            vec![option(1, AdminOnly), option(2, VerifiedEmail)],
        ] {
            assert!(setting(bad.clone()).validate().is_err(), "{bad:?}");
        }
    }
}
