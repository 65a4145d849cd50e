//! Messages to users (codes, invitations): what they say and where they go. Pure: rendering
//! a template and masking a destination; sending lives in `auth/messages.rs` and `mail.rs`.

use serde::{Deserialize, Serialize};

use super::ids::UserPoolId;

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

/// Why a message is sent; each has its default wording and, later, a per-pool template.
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
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUpCode => "SIGN_UP_CODE",
            Self::ResetPasswordCode => "RESET_PASSWORD_CODE",
            Self::Invitation => "INVITATION",
            Self::VerifyAttributeCode => "VERIFY_ATTRIBUTE_CODE",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "SIGN_UP_CODE" => Some(Self::SignUpCode),
            "RESET_PASSWORD_CODE" => Some(Self::ResetPasswordCode),
            "INVITATION" => Some(Self::Invitation),
            "VERIFY_ATTRIBUTE_CODE" => Some(Self::VerifyAttributeCode),
            _ => None,
        }
    }

    /// Cognito's default wording: subject and message, with `{####}` for the code and
    /// `{username}` for the user name.
    fn default_template(self) -> (&'static str, &'static str) {
        match self {
            // Cognito sends reset and attribute codes with the pool's verification message too.
            Self::SignUpCode | Self::ResetPasswordCode | Self::VerifyAttributeCode => (
                "Your verification code",
                "Your verification code is {####}.",
            ),
            Self::Invitation => (
                "Your temporary password",
                "Your username is {username} and temporary password is {####}.",
            ),
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
    /// The message of `kind` for `username`, with `code` in place of `{####}`.
    pub fn render(kind: MessageKind, username: &str, code: &str) -> Self {
        let (subject, body) = kind.default_template();
        let fill = |template: &str, escape: bool| {
            // An invitation's code is a password an administrator may have chosen, so it
            // is escaped in HTML like the user name.
            let (username, code) = if escape {
                (escape_html(username), escape_html(code))
            } else {
                (username.to_owned(), code.to_owned())
            };
            template
                .replace("{####}", &code)
                .replace("{username}", &username)
        };
        let text = fill(body, false);
        let html = format!(
            "<!DOCTYPE html><html><body><p>{}</p></body></html>",
            fill(&escape_html(body), true)
        );
        Self {
            subject: fill(subject, false),
            text,
            html,
        }
    }
}

fn escape_html(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
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
        let content = MessageContent::render(MessageKind::SignUpCode, "<b>", "123456");
        assert_eq!(content.text, "Your verification code is 123456.");
        assert!(content.html.contains("123456"));
        assert!(!content.html.contains("<b>"));
        assert!(!format!("{content:?}").contains("123456"));
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
        ] {
            assert_eq!(MessageKind::parse(kind.as_str()), Some(kind));
        }
    }
}
