//! A pool's message templates, as Cognito has them: `VerificationMessageTemplate` (codes for
//! sign-up, password reset and attribute verification), `AdminCreateUserConfig.
//! InviteMessageTemplate` (invitations) and `SmsAuthenticationMessage` (stored for MFA), with
//! the placeholders `{####}` (the code or temporary password) and `{username}`.
//!
//! Validation follows Cognito's constraints (lengths, the required placeholders, its patterns);
//! rendering treats an e-mail template as HTML, as Cognito sends it, and derives the text part
//! from it (docs/cognito-compatibility.md, "Message templates").

use serde::{Deserialize, Serialize};

use super::message::{Medium, MessageKind};

/// Replaced by the code, or by an invitation's temporary password.
pub const CODE: &str = "{####}";
/// Replaced by the user's name.
pub const USERNAME: &str = "{username}";

/// Cognito's `VerificationMessageTemplate`. The older members (`EmailVerificationMessage`,
/// `EmailVerificationSubject`, `SmsVerificationMessage`) are the same three settings under
/// other names: Cognito keeps them in step, so they are stored once, here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VerificationMessageTemplate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message_by_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_subject_by_link: Option<String>,
    pub default_email_option: DefaultEmailOption,
}

/// Whether Cognito's verification e-mail carries a code or a link. Gatehouse has no page a
/// link could lead to, so it always sends the code; the choice is stored and returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultEmailOption {
    #[default]
    #[serde(rename = "CONFIRM_WITH_CODE")]
    ConfirmWithCode,
    #[serde(rename = "CONFIRM_WITH_LINK")]
    ConfirmWithLink,
}

impl DefaultEmailOption {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmWithCode => "CONFIRM_WITH_CODE",
            Self::ConfirmWithLink => "CONFIRM_WITH_LINK",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, SettingError> {
        match raw {
            "CONFIRM_WITH_CODE" => Ok(Self::ConfirmWithCode),
            "CONFIRM_WITH_LINK" => Ok(Self::ConfirmWithLink),
            _ => Err(SettingError::constraint(
                "verificationMessageTemplate.defaultEmailOption",
                "Member must satisfy enum value set: [CONFIRM_WITH_LINK, CONFIRM_WITH_CODE]",
            )),
        }
    }
}

/// Cognito's `MessageTemplateType` as `AdminCreateUserConfig.InviteMessageTemplate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InviteMessageTemplate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_subject: Option<String>,
    #[serde(rename = "SMSMessage", skip_serializing_if = "Option::is_none")]
    pub sms_message: Option<String>,
}

impl InviteMessageTemplate {
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// Why a pool setting was refused: one of Cognito's field constraints (the HTTP layer words it
/// as AWS words validation errors), or Cognito's own refusal of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingError {
    Constraint { member: String, rule: String },
    Invalid(String),
}

impl SettingError {
    pub fn constraint(member: &str, rule: &str) -> Self {
        Self::Constraint {
            member: member.to_owned(),
            rule: rule.to_owned(),
        }
    }
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Constraint { member, rule } => write!(f, "{member}: {rule}"),
            Self::Invalid(message) => f.write_str(message),
        }
    }
}

/// Cognito's pattern for an e-mail body with a code.
const EMAIL_PATTERN: &str = "Member must satisfy regular expression pattern: \
     [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*\\{####\\}[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s*]*";
/// Cognito's pattern for a text message with a code.
const SMS_PATTERN: &str = "Member must satisfy regular expression pattern: .*\\{####\\}.*";
/// Cognito's pattern for a subject.
const SUBJECT_PATTERN: &str =
    "Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\s]+";

/// What kind of text a member holds, with its length bounds and pattern.
#[derive(Clone, Copy)]
enum Shape {
    /// An e-mail body: 6–20000 characters, containing `{####}`.
    EmailBody,
    /// An e-mail body with a `{##link text##}` instead of a code.
    EmailBodyByLink,
    /// A subject: 1–140 characters on one line (a header: a line break could forge others).
    Subject,
    /// A text message: 6–140 characters on one line, containing `{####}`.
    Sms,
}

fn check(member: &str, value: &str, shape: Shape) -> Result<(), SettingError> {
    let (min, max) = match shape {
        Shape::EmailBody | Shape::EmailBodyByLink => (6, 20_000),
        Shape::Subject => (1, 140),
        Shape::Sms => (6, 140),
    };
    let length = value.chars().count();
    if length < min {
        return Err(SettingError::constraint(
            member,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if length > max {
        return Err(SettingError::constraint(
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    // Letters, marks, symbols, digits, punctuation and white space: no control characters.
    let printable = |c: char| !c.is_control() || c.is_whitespace();
    let one_line = |c: char| !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let fits = match shape {
        Shape::EmailBody => value.chars().all(printable) && value.contains(CODE),
        Shape::EmailBodyByLink => value.chars().all(printable),
        Shape::Subject => value.chars().all(|c| printable(c) && one_line(c)),
        Shape::Sms => value.chars().all(one_line) && value.contains(CODE),
    };
    if !fits {
        let pattern = match shape {
            Shape::EmailBody | Shape::EmailBodyByLink => EMAIL_PATTERN,
            Shape::Subject => SUBJECT_PATTERN,
            Shape::Sms => SMS_PATTERN,
        };
        return Err(SettingError::constraint(member, pattern));
    }
    if let Shape::EmailBodyByLink = shape
        && !has_link_placeholder(value)
    {
        // Cognito's answer to a link message without `{##text##}`.
        return Err(SettingError::Invalid("The message is invalid.".into()));
    }
    Ok(())
}

/// `{##Click here##}`: link text between `{##` and `##}`, not the code's `{####}`.
fn has_link_placeholder(value: &str) -> bool {
    let mut rest = value;
    while let Some(start) = rest.find("{##") {
        let after = &rest[start + 3..];
        if let Some(end) = after.find("##}")
            && !after[..end].trim().is_empty()
        {
            return true;
        }
        rest = after;
    }
    false
}

fn check_optional(member: &str, value: Option<&str>, shape: Shape) -> Result<(), SettingError> {
    value.map_or(Ok(()), |value| check(member, value, shape))
}

/// An invitation carries the user's name and temporary password: Cognito requires both
/// placeholders in each of its bodies.
fn check_invitation_body(member: &str, value: &str, shape: Shape) -> Result<(), SettingError> {
    check(member, value, shape)?;
    if !value.contains(USERNAME) {
        return Err(SettingError::constraint(
            member,
            "Member must contain the {username} and {####} placeholders",
        ));
    }
    Ok(())
}

impl VerificationMessageTemplate {
    /// Checks each member as `CreateUserPool`/`UpdateUserPool` would.
    pub fn validate(&self) -> Result<(), SettingError> {
        let member = |name: &str| format!("verificationMessageTemplate.{name}");
        check_optional(
            &member("emailMessage"),
            self.email_message.as_deref(),
            Shape::EmailBody,
        )?;
        check_optional(
            &member("emailSubject"),
            self.email_subject.as_deref(),
            Shape::Subject,
        )?;
        check_optional(
            &member("smsMessage"),
            self.sms_message.as_deref(),
            Shape::Sms,
        )?;
        check_optional(
            &member("emailMessageByLink"),
            self.email_message_by_link.as_deref(),
            Shape::EmailBodyByLink,
        )?;
        check_optional(
            &member("emailSubjectByLink"),
            self.email_subject_by_link.as_deref(),
            Shape::Subject,
        )
    }

    /// Folds in the older members, which name the same settings: a value given under both
    /// names must be the same. Each older member is checked under its own name.
    pub fn with_legacy(
        mut self,
        email_message: Option<String>,
        email_subject: Option<String>,
        sms_message: Option<String>,
    ) -> Result<Self, SettingError> {
        check_optional(
            "emailVerificationMessage",
            email_message.as_deref(),
            Shape::EmailBody,
        )?;
        check_optional(
            "emailVerificationSubject",
            email_subject.as_deref(),
            Shape::Subject,
        )?;
        check_optional("smsVerificationMessage", sms_message.as_deref(), Shape::Sms)?;
        let fold = |current: &mut Option<String>,
                    legacy: Option<String>,
                    names: (&str, &str)|
         -> Result<(), SettingError> {
            match (current.as_ref(), legacy) {
                (Some(current), Some(legacy)) if *current != legacy => {
                    Err(SettingError::Invalid(format!(
                        "{} and VerificationMessageTemplate.{} must be the same when both are given",
                        names.0, names.1
                    )))
                }
                (None, Some(legacy)) => {
                    *current = Some(legacy);
                    Ok(())
                }
                _ => Ok(()),
            }
        };
        fold(
            &mut self.email_message,
            email_message,
            ("EmailVerificationMessage", "EmailMessage"),
        )?;
        fold(
            &mut self.email_subject,
            email_subject,
            ("EmailVerificationSubject", "EmailSubject"),
        )?;
        fold(
            &mut self.sms_message,
            sms_message,
            ("SmsVerificationMessage", "SmsMessage"),
        )?;
        Ok(self)
    }
}

impl InviteMessageTemplate {
    pub fn validate(&self) -> Result<(), SettingError> {
        let member = |name: &str| format!("adminCreateUserConfig.inviteMessageTemplate.{name}");
        if let Some(message) = &self.email_message {
            check_invitation_body(&member("emailMessage"), message, Shape::EmailBody)?;
        }
        check_optional(
            &member("emailSubject"),
            self.email_subject.as_deref(),
            Shape::Subject,
        )?;
        if let Some(message) = &self.sms_message {
            // Cognito's spelling of this member in its errors.
            check_invitation_body(&member("sMSMessage"), message, Shape::Sms)?;
        }
        Ok(())
    }
}

/// `SmsAuthenticationMessage`: stored and returned (MFA is not served yet).
pub fn validate_sms_authentication_message(message: &str) -> Result<(), SettingError> {
    check("smsAuthenticationMessage", message, Shape::Sms)
}

/// The template a message is rendered from: the pool's, or Cognito's default wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub medium: Medium,
    /// E-mail only; a text message has none.
    pub subject: String,
    /// HTML for e-mail (as Cognito treats it), plain text for SMS.
    pub body: String,
}

/// Cognito's default wording.
pub const DEFAULT_VERIFICATION_SUBJECT: &str = "Your verification code";
pub const DEFAULT_VERIFICATION_MESSAGE: &str = "Your verification code is {####}.";
pub const DEFAULT_INVITATION_SUBJECT: &str = "Your temporary password";
pub const DEFAULT_INVITATION_MESSAGE: &str =
    "Your username is {username} and temporary password is {####}.";

impl Template {
    /// The template for a message of `kind` on `medium`, from the pool's templates: codes
    /// (sign-up, reset, attribute verification) use the verification template, as Cognito
    /// does; invitations the invitation template. A member the pool left unset takes
    /// Cognito's default.
    pub fn select(
        verification: &VerificationMessageTemplate,
        invitation: Option<&InviteMessageTemplate>,
        kind: MessageKind,
        medium: Medium,
    ) -> Self {
        let (subject, email, sms, default_subject, default_body) = match kind {
            MessageKind::SignUpCode
            | MessageKind::ResetPasswordCode
            | MessageKind::VerifyAttributeCode
            // Sign-in codes take the pool's MFA wording when it has one (auth/otp_mfa.rs).
            | MessageKind::MfaCode => (
                verification.email_subject.as_deref(),
                verification.email_message.as_deref(),
                verification.sms_message.as_deref(),
                DEFAULT_VERIFICATION_SUBJECT,
                DEFAULT_VERIFICATION_MESSAGE,
            ),
            MessageKind::Invitation => (
                invitation.and_then(|t| t.email_subject.as_deref()),
                invitation.and_then(|t| t.email_message.as_deref()),
                invitation.and_then(|t| t.sms_message.as_deref()),
                DEFAULT_INVITATION_SUBJECT,
                DEFAULT_INVITATION_MESSAGE,
            ),
        };
        match medium {
            Medium::Email => Self {
                medium,
                subject: subject.unwrap_or(default_subject).to_owned(),
                body: email.unwrap_or(default_body).to_owned(),
            },
            Medium::Sms => Self {
                medium,
                subject: String::new(),
                body: sms.unwrap_or(default_body).to_owned(),
            },
        }
    }
}

/// Replaces the placeholders in one pass, so a value that itself contains a placeholder (a
/// user named `{####}`) is never filled in again.
pub fn fill(template: &str, username: &str, code: &str) -> String {
    let mut filled = String::with_capacity(template.len() + username.len() + code.len());
    let mut rest = template;
    loop {
        let next = [(CODE, code), (USERNAME, username)]
            .into_iter()
            .filter_map(|(placeholder, value)| {
                rest.find(placeholder).map(|at| (at, placeholder, value))
            })
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, placeholder, value)) => {
                filled.push_str(&rest[..at]);
                filled.push_str(value);
                rest = &rest[at + placeholder.len()..];
            }
            None => {
                filled.push_str(rest);
                return filled;
            }
        }
    }
}

/// Escapes text for HTML, in element content and in quoted attribute values alike.
pub fn escape_html(raw: &str) -> String {
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

/// Elements whose content is never text a reader sees.
const HIDDEN: [&str; 4] = ["script", "style", "head", "title"];
/// Elements that end a line of text.
const BREAKS: [&str; 20] = [
    "br",
    "p",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "hr",
    "section",
    "article",
    "header",
    "footer",
];

/// The plain-text reading of an HTML template: tags dropped (block elements end a line, a
/// link keeps its address after its text), character references decoded, script and style
/// content left out, runs of blank space collapsed. Placeholders contain neither `<` nor `&`,
/// so they pass through unchanged and are filled in afterwards with the raw values: a value
/// never passes through this reading, so nothing a user chose can turn into markup here.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut hidden: Option<String> = None;
    let mut link: Option<String> = None;
    while !rest.is_empty() {
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        if rest.starts_with('<') {
            let Some(end) = tag_end(rest) else {
                // A `<` that opens no tag is text.
                if hidden.is_none() {
                    out.push('<');
                }
                rest = &rest[1..];
                continue;
            };
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if let Some(open) = &hidden {
                if closing && *open == name {
                    hidden = None;
                }
                continue;
            }
            if !closing && HIDDEN.contains(&name.as_str()) && !tag.ends_with('/') {
                hidden = Some(name);
                continue;
            }
            if name == "a" {
                if closing {
                    if let Some(href) = link.take()
                        && !out.ends_with(href.as_str())
                    {
                        out.push_str(" (");
                        out.push_str(&href);
                        out.push(')');
                    }
                } else {
                    link = attribute(tag, "href").map(|href| decode_entities(&href));
                }
            } else if name == "img"
                && let Some(alt) = attribute(tag, "alt")
            {
                out.push_str(&decode_entities(&alt));
            }
            if name == "br" || name == "hr" || (closing && BREAKS.contains(&name.as_str())) {
                out.push('\n');
            } else if BREAKS.contains(&name.as_str()) && !out.is_empty() && !out.ends_with('\n') {
                // An opening block element starts a line; it does not add a blank one.
                out.push('\n');
            }
            continue;
        }
        let text_end = rest.find('<').unwrap_or(rest.len());
        if hidden.is_none() {
            out.push_str(&decode_entities(&rest[..text_end]));
        }
        rest = &rest[text_end..];
    }
    tidy(&out)
}

/// The index of the `>` that ends the tag `raw` starts with, skipping quoted attribute values;
/// None when `raw` does not start a tag (`a < b`).
fn tag_end(raw: &str) -> Option<usize> {
    let second = raw[1..].chars().next()?;
    if !(second.is_ascii_alphabetic() || second == '/' || second == '!') {
        return None;
    }
    let mut quote: Option<char> = None;
    for (index, c) in raw.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(index),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a tag's inside (`a href="x"`), if quoted or bare.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut search = 0;
    while let Some(found) = lower[search..].find(name) {
        let at = search + found;
        search = at + name.len();
        let before_ok = lower[..at].ends_with(|c: char| c.is_whitespace());
        let after = lower[search..].trim_start();
        if !before_ok || !after.starts_with('=') {
            continue;
        }
        // The same offsets in the original tag: lower-casing ASCII keeps every byte in place.
        let value_start = tag.len() - after.len() + 1;
        let value = tag[value_start..].trim_start();
        return Some(match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default().to_owned(),
            _ => value
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_owned(),
        });
    }
    None
}

/// Decodes character references: the five of XML, `&nbsp;`, and numeric ones. Anything else
/// is left as written.
fn decode_entities(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        // A reference is short: look for its `;` among the next few characters only.
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(index, _)| index);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                    .and_then(char::from_u32)
                    .filter(|c| !c.is_control() || c.is_whitespace()),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Each line trimmed, runs of spaces made one, at most one blank line in a row, no blank
/// lines at either end.
fn tidy(raw: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in raw.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(|last| last.is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_templates_need_the_code_and_fit_cognitos_lengths() {
        let good = VerificationMessageTemplate {
            email_message: Some("<p>Your code: <b>{####}</b></p>".into()),
            email_subject: Some("Welcome to Acme".into()),
            sms_message: Some("Acme code {####}".into()),
            email_message_by_link: Some("Click {##here##}".into()),
            ..VerificationMessageTemplate::default()
        };
        assert_eq!(good.validate(), Ok(()));
        let refused = |template: VerificationMessageTemplate| template.validate().unwrap_err();
        let no_code = refused(VerificationMessageTemplate {
            email_message: Some("Hello there".into()),
            ..VerificationMessageTemplate::default()
        });
        assert_eq!(
            no_code,
            SettingError::constraint("verificationMessageTemplate.emailMessage", EMAIL_PATTERN)
        );
        let short = refused(VerificationMessageTemplate {
            sms_message: Some("{###}".into()),
            ..VerificationMessageTemplate::default()
        });
        assert_eq!(
            short,
            SettingError::constraint(
                "verificationMessageTemplate.smsMessage",
                "Member must have length greater than or equal to 6"
            )
        );
        let long = refused(VerificationMessageTemplate {
            email_subject: Some("s".repeat(141)),
            ..VerificationMessageTemplate::default()
        });
        assert!(matches!(long, SettingError::Constraint { rule, .. } if rule.contains("140")));
        let header = refused(VerificationMessageTemplate {
            email_subject: Some("Hi\r\nBcc: x@y".into()),
            ..VerificationMessageTemplate::default()
        });
        assert!(matches!(header, SettingError::Constraint { rule, .. } if rule == SUBJECT_PATTERN));
        let link = refused(VerificationMessageTemplate {
            email_message_by_link: Some("EMAIL CODE {####}".into()),
            ..VerificationMessageTemplate::default()
        });
        assert_eq!(
            link,
            SettingError::Invalid("The message is invalid.".into())
        );
        assert!(
            refused(VerificationMessageTemplate {
                sms_message: Some("code\n{####}".into()),
                ..VerificationMessageTemplate::default()
            })
            .to_string()
            .contains(".*\\{####\\}.*")
        );
    }

    #[test]
    fn the_older_members_are_the_same_settings() {
        let merged = VerificationMessageTemplate::default()
            .with_legacy(Some("Code {####}".into()), Some("Hi".into()), None)
            .unwrap();
        assert_eq!(merged.email_message.as_deref(), Some("Code {####}"));
        assert_eq!(merged.email_subject.as_deref(), Some("Hi"));
        let same = VerificationMessageTemplate {
            email_message: Some("Code {####}".into()),
            ..VerificationMessageTemplate::default()
        };
        assert!(
            same.clone()
                .with_legacy(Some("Code {####}".into()), None, None)
                .is_ok()
        );
        assert!(matches!(
            same.with_legacy(Some("Other {####}".into()), None, None),
            Err(SettingError::Invalid(_))
        ));
        assert!(matches!(
            VerificationMessageTemplate::default().with_legacy(None, None, Some("no code".into())),
            Err(SettingError::Constraint { member, .. }) if member == "smsVerificationMessage"
        ));
    }

    #[test]
    fn invitations_need_the_username_and_the_password() {
        let good = InviteMessageTemplate {
            email_message: Some("Hi {username}, your password is {####}".into()),
            email_subject: Some("Welcome".into()),
            sms_message: Some("{username} / {####}".into()),
        };
        assert_eq!(good.validate(), Ok(()));
        let no_name = InviteMessageTemplate {
            sms_message: Some("Your password is {####}".into()),
            ..InviteMessageTemplate::default()
        };
        assert_eq!(
            no_name.validate(),
            Err(SettingError::constraint(
                "adminCreateUserConfig.inviteMessageTemplate.sMSMessage",
                "Member must contain the {username} and {####} placeholders"
            ))
        );
        let no_code = InviteMessageTemplate {
            email_message: Some("Hello {username}".into()),
            ..InviteMessageTemplate::default()
        };
        assert!(
            matches!(no_code.validate(), Err(SettingError::Constraint { rule, .. }) if rule == EMAIL_PATTERN)
        );
    }

    #[test]
    fn placeholders_are_filled_once() {
        assert_eq!(
            fill("{username}: {####} ({username})", "{####}", "123456"),
            "{####}: 123456 ({####})"
        );
        assert_eq!(fill("no placeholders", "u", "1"), "no placeholders");
    }

    #[test]
    fn the_text_part_is_read_from_the_html() {
        let html = "<html><head><title>T</title><style>p{color:red}</style></head><body>\
                    <h1>Welcome&nbsp;to  Acme</h1><p>Your code is <b>{####}</b>.</p>\
                    <script>alert('x')</script><!-- hidden {username} -->\
                    <p>Confirm at <a href=\"https://acme.example/c?u={username}&amp;x=1\">this link</a>.\
                    <br>Tom &amp; Jerry &lt;3 &#x263A; &#65; &bogus; a < b</p></body></html>";
        assert_eq!(
            html_to_text(html),
            "Welcome to Acme\nYour code is {####}.\n\
             Confirm at this link (https://acme.example/c?u={username}&x=1).\n\
             Tom & Jerry <3 \u{263A} A &bogus; a < b"
        );
        // A template written as plain text keeps its lines.
        assert_eq!(
            html_to_text("Hi,\n\n\n  Username: {username}\nPassword: {####}\n"),
            "Hi,\n\nUsername: {username}\nPassword: {####}"
        );
        // Unterminated markup ends the text without panicking.
        for broken in [
            "<p",
            "<a href=\"x",
            "<!-- open",
            "&#xFFFFFFFF;",
            "&#0;",
            "<",
            "&",
        ] {
            let _ = html_to_text(broken);
        }
    }

    #[test]
    fn defaults_are_cognitos_and_pools_override_them() {
        let none = VerificationMessageTemplate::default();
        let email = Template::select(&none, None, MessageKind::SignUpCode, Medium::Email);
        assert_eq!(email.subject, DEFAULT_VERIFICATION_SUBJECT);
        assert_eq!(email.body, DEFAULT_VERIFICATION_MESSAGE);
        let pool = VerificationMessageTemplate {
            sms_message: Some("Acme {####}".into()),
            ..VerificationMessageTemplate::default()
        };
        let sms = Template::select(&pool, None, MessageKind::ResetPasswordCode, Medium::Sms);
        assert_eq!(sms.body, "Acme {####}");
        assert_eq!(sms.subject, "");
        let invite = InviteMessageTemplate {
            email_subject: Some("Join us".into()),
            ..InviteMessageTemplate::default()
        };
        let chosen = Template::select(&pool, Some(&invite), MessageKind::Invitation, Medium::Email);
        assert_eq!(chosen.subject, "Join us");
        assert_eq!(chosen.body, DEFAULT_INVITATION_MESSAGE);
    }
}
