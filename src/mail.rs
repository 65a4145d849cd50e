//! SMTP delivery through `lettre` (tokio, rustls with the ring provider and the system's
//! root certificates, as the rest of the binary uses). The outbox worker in
//! `auth/messages.rs` calls it; nothing here decides what to send or when.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::messages::{Mailer, OutgoingMail, SendFailure};

/// One SMTP conversation may take this long before it counts as failed (and is retried);
/// well below the outbox lease (`auth/messages.rs`), so a lease never runs out mid-send.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    /// From GATEHOUSE_SMTP_URL: `smtps://user:pass@host:465` (TLS from the first byte),
    /// `smtp://user:pass@host:587?tls=starttls` (STARTTLS required), or `smtp://host:25`
    /// (plain, for a relay on the same host). Credentials are percent-encoded.
    pub fn from_url(url: &SecretString) -> Result<Self, String> {
        let url = url.expose_secret();
        // lettre calls STARTTLS-required `tls=required`; accept the name operators know too.
        let url = url.replace("tls=starttls", "tls=required");
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            // The error names no part of the URL, so it cannot leak the password.
            .map_err(|_| {
                "GATEHOUSE_SMTP_URL must look like smtps://user:pass@host:465 or \
                 smtp://host:587?tls=starttls"
                    .to_owned()
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Self { transport })
    }
}

fn message(mail: &OutgoingMail) -> Result<Message, SendFailure> {
    let from: Mailbox = mail
        .from
        .parse()
        .map_err(|e| SendFailure::Permanent(format!("sender address: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| SendFailure::Permanent(format!("recipient address: {e}")))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.content.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.content.text.clone(),
            mail.content.html.clone(),
        ))
        .map_err(|e| SendFailure::Permanent(format!("message: {e}")))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendFailure> {
        let message = message(mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            // A 5xx answer: the server will never take this message.
            Err(error) if error.is_permanent() => Err(SendFailure::Permanent(error.to_string())),
            // Refused connections, timeouts, TLS failures and 4xx answers may pass.
            Err(error) => Err(SendFailure::Transient(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::message::{MessageContent, MessageKind};

    #[test]
    fn urls_in_the_documented_shapes_are_accepted() {
        for url in [
            "smtps://user:pa%40ss@mail.example.com:465",
            "smtp://mail.example.com:587?tls=starttls",
            "smtp://127.0.0.1:2525",
        ] {
            assert!(
                SmtpMailer::from_url(&SecretString::from(url.to_owned())).is_ok(),
                "{url}"
            );
        }
        let refused = SmtpMailer::from_url(&SecretString::from(
            "http://user:hunter2@mail.example.com".to_owned(),
        ));
        let error = refused.err().unwrap_or_default();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("GATEHOUSE_SMTP_URL"), "{error}");
    }

    #[test]
    fn bad_addresses_are_permanent_failures() {
        let mail = OutgoingMail {
            from: "no-reply@localhost".into(),
            to: "not an address".into(),
            content: MessageContent::render(
                &crate::domain::pool::PoolSettings::default().message_template(
                    MessageKind::SignUpCode,
                    crate::domain::message::Medium::Email,
                ),
                "u",
                "123456",
            ),
        };
        assert!(matches!(message(&mail), Err(SendFailure::Permanent(_))));
    }
}
