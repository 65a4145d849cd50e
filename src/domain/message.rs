//! Messages to users (codes, invitations): what they say and where they go. Pure: rendering
//! a template and masking a destination; sending lives in `auth/messages.rs` and `mail.rs`.

use serde::{Deserialize, Serialize};

use super::ids::UserPoolId;
use super::message_template::{Template, escape_html, fill, html_to_text};

/// How a message reaches its user. SMS has no carrier in Gatehouse: such messages stay in
/// the outbox (docs/operations.md, "Messages").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Email,
    Sms,
}

impl Medium {
    /// Cognito's `DeliveryMedium` spelling, also the stored one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "EMAIL" => Some(Self::Email),
            "SMS" => Some(Self::Sms),
            _ => None,
        }
    }

    /// The attribute a message of this medium goes to (`CodeDeliveryDetails.AttributeName`).
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "phone_number",
        }
    }
}

/// Why a message is sent; each is rendered from its pool's template (`message_template.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// The sign-up confirmation code (`SignUp`, `ResendConfirmationCode`).
    SignUpCode,
    /// The password-reset code (`ForgotPassword`, `AdminResetUserPassword`).
    ResetPasswordCode,
    /// The invitation of a user an administrator created, with the temporary password in
    /// place of `{####}` (`AdminCreateUser`).
    Invitation,
    /// The code that verifies an e-mail address or phone number
    /// (`GetUserAttributeVerificationCode`, a changed address).
    VerifyAttributeCode,
    /// A sign-in code sent as the second factor (`EMAIL_OTP`, `SMS_MFA`), worded by the
    /// pool's MFA configuration (`auth/otp_mfa.rs`).
    MfaCode,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpCode => "SIGN_UP_CODE",
            Self::ResetPasswordCode => "RESET_PASSWORD_CODE",
            Self::Invitation => "INVITATION",
            Self::VerifyAttributeCode => "VERIFY_ATTRIBUTE_CODE",
            Self::MfaCode => "MFA_CODE",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "SIGN_UP_CODE" => Some(Self::SignUpCode),
            "RESET_PASSWORD_CODE" => Some(Self::ResetPasswordCode),
            "INVITATION" => Some(Self::Invitation),
            "VERIFY_ATTRIBUTE_CODE" => Some(Self::VerifyAttributeCode),
            "MFA_CODE" => Some(Self::MfaCode),
            _ => None,
        }
    }
}

/// What a message says: a subject and its body as text and as HTML. The bodies carry codes,
/// so this is stored only encrypted (docs/security.md, "Messages").
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContent {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for MessageContent {
    /// Never the bodies: they hold codes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageContent").finish_non_exhaustive()
    }
}

impl MessageContent {
    /// The message `template` makes for `username`, with `code` in place of `{####}`. An
    /// e-mail template is HTML, as Cognito sends it: the values are escaped into it, and the
    /// text part is its plain reading with the raw values filled in. A text message is plain
    /// text; its HTML form (kept for the outbox's uniform shape) escapes it whole.
    pub fn render(template: &Template, username: &str, code: &str) -> Self {
        let (html_body, text_template) = match template.medium {
            Medium::Email => (template.body.clone(), html_to_text(&template.body)),
            Medium::Sms => (escape_html(&template.body), template.body.clone()),
        };
        // An invitation's code is a password an administrator may have chosen, so it is
        // escaped in HTML like the user name.
        let html = fill(&html_body, &escape_html(username), &escape_html(code));
        let html = if html.to_ascii_lowercase().contains("<html") {
            html
        } else {
            format!("<!DOCTYPE html><html><body>{html}</body></html>")
        };
        Self {
            subject: fill(&template.subject, username, code),
            text: fill(&text_template, username, code),
            html,
        }
    }
}

/// What Cognito shows of the place a code went to (`CodeDeliveryDetails.Destination`):
/// `a***@e***` for an address, `+*******1234` for a phone number.
pub fn mask_destination(medium: Medium, destination: &str) -> String {
    match medium {
        Medium::Email => match destination.split_once('@') {
            Some((local, domain)) => format!(
                "{}***@{}***",
                local.chars().next().unwrap_or('*'),
                domain.chars().next().unwrap_or('*')
            ),
            None => "***".to_owned(),
        },
        Medium::Sms => {
            let chars: Vec<char> = destination.chars().collect();
            let shown = chars.len().saturating_sub(4);
            let mut masked = String::new();
            for (index, c) in chars.iter().enumerate() {
                if index >= shown || (index == 0 && *c == '+') {
                    masked.push(*c);
                } else {
                    masked.push('*');
                }
            }
            masked
        }
    }
}

/// Where a message in the outbox stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting for the delivery worker (SMTP is configured).
    Pending,
    /// Accepted by the SMTP server.
    Sent,
    /// Kept in the outbox only: no SMTP server is configured, or the medium (SMS) has no
    /// carrier. Readable with `gatehouse outbox list` and the dev endpoint.
    Held,
    /// The SMTP server refused it permanently (a 5xx answer); never retried.
    Failed,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Held => "held",
            Self::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "sent" => Some(Self::Sent),
            "held" => Some(Self::Held),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Which messages `outbox` lists (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    pub pool: Option<UserPoolId>,
    pub destination: Option<String>,
    pub limit: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(
            mask_destination(Medium::Email, "alice@example.com"),
            "a***@e***"
        );
        assert_eq!(mask_destination(Medium::Email, "broken"), "***");
        assert_eq!(
            mask_destination(Medium::Sms, "+15555550123"),
            "+*******0123"
        );
    }

    #[test]
    fn templates_fill_code_and_escape_html() {
        let template = Template {
            medium: Medium::Email,
            subject: "Code for {username}".into(),
            body: "<p>Hi {username}, your code is <b>{####}</b>.</p>".into(),
        };
        let content = MessageContent::render(&template, "<b>&", "123456");
        assert_eq!(content.subject, "Code for <b>&");
        assert_eq!(content.text, "Hi <b>&, your code is 123456.");
        assert!(
            content
                .html
                .contains("Hi &lt;b&gt;&amp;, your code is <b>123456</b>.")
        );
        assert!(content.html.starts_with("<!DOCTYPE html><html><body>"));
        assert!(!format!("{content:?}").contains("123456"));
        let sms = Template {
            medium: Medium::Sms,
            subject: String::new(),
            body: "Code <{####}>".into(),
        };
        let content = MessageContent::render(&sms, "u", "654321");
        assert_eq!(content.text, "Code <654321>");
        assert!(content.html.contains("Code &lt;654321&gt;"));
    }

    #[test]
    fn kinds_and_media_round_trip() {
        for medium in [Medium::Email, Medium::Sms] {
            assert_eq!(Medium::parse(medium.as_str()), Some(medium));
        }
        for kind in [
            MessageKind::SignUpCode,
            MessageKind::ResetPasswordCode,
            MessageKind::VerifyAttributeCode,
            MessageKind::MfaCode,
        ] {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
    }
}
