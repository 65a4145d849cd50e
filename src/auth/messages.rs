//! Messages to users (codes, invitations) go through the durable outbox: the flow that sends
//! one writes it there, sealed under the key-encryption key, and a background worker on
//! every replica delivers what is due over SMTP (`mail.rs`). A message is leased before it is
//! sent, so no two replicas send it; one that fails is retried with exponential backoff, so a
//! message outlives an SMTP outage. Without SMTP (the embedded default), and for SMS (no
//! carrier), messages are held in the outbox, where `gatehouse outbox list` and the dev
//! endpoint read them (docs/operations.md, "Messages").

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::{AuthError, Services};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::message::{Medium, MessageContent, MessageKind, mask_destination};
use crate::domain::message_template::Template;
use crate::domain::pool::UserPool;
use crate::domain::user::User;
use crate::store::{OutboxFilter, OutboxRecord, OutboxState};
use crate::triggers::custom_message::{CustomMessage, CustomMessageSource};
use crate::triggers::{Caller, user_attributes};

/// How long a worker holds a message it is sending. Well above the SMTP timeout (`mail.rs`),
/// so a lease never runs out while its holder is still talking to the server.
pub const LEASE_SECONDS: i64 = 120;
/// Messages one delivery pass claims at most.
pub const DELIVERY_BATCH: u32 = 20;
/// The first retry waits this long; each further failure doubles it, up to the ceiling.
pub const FIRST_RETRY_SECONDS: i64 = 30;
pub const MAX_RETRY_SECONDS: i64 = 3_600;
/// Delivered and held messages are kept this long, then purged by housekeeping.
pub const RETENTION_SECONDS: i64 = 7 * 86_400;

/// How this server delivers mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// Whether an SMTP server is configured: if not, e-mail is held in the outbox.
    pub smtp: bool,
    /// The sender of pools without their own (`EmailConfiguration.From`).
    pub default_sender: String,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp: false,
            default_sender: DEFAULT_SENDER.to_owned(),
        }
    }
}

pub const DEFAULT_SENDER: &str = "no-reply@localhost";

/// One e-mail on its way to the SMTP server.
pub struct OutgoingMail {
    pub from: String,
    pub to: String,
    pub content: MessageContent,
}

/// Why the SMTP server did not take a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Worth retrying: the server is down, busy, or answered 4xx.
    Transient(String),
    /// The server refused it for good (5xx, a malformed address): retrying cannot help.
    Permanent(String),
}

/// Sends e-mail (the SMTP transport in `mail.rs`).
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), SendFailure>;
}

/// Where a message went, as `CodeDeliveryDetails` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    pub medium: Medium,
    /// Masked (`a***@e***`).
    pub destination: String,
}

/// A message in the outbox with its content opened, for the operator and the dev endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub pool_id: UserPoolId,
    pub destination: String,
    pub medium: String,
    pub template: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: UnixSeconds,
    pub sent_at: Option<UnixSeconds>,
    pub content: MessageContent,
}

/// What one delivery pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryPass {
    pub sent: u32,
    pub retrying: u32,
    pub failed: u32,
}

/// The wait before the next attempt after `attempts` failed ones.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    FIRST_RETRY_SECONDS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_SECONDS)
}

/// Whom a message is worded for, as the `CustomMessage` function is told.
pub(crate) struct WordingRequest<'a> {
    pub source: CustomMessageSource,
    pub medium: Medium,
    pub user: &'a User,
    /// The app client of the operation, where there is one (`callerContext.clientId`).
    pub client: Option<&'a ClientId>,
    pub client_metadata: &'a BTreeMap<String, String>,
}

/// What a sealed message is bound to: moved to another row, it does not open.
fn binding(id: &str, pool: &UserPoolId, medium: &str, destination: &str) -> String {
    format!("outbox|{id}|{pool}|{medium}|{destination}")
}

impl Services {
    /// Renders a message of `kind` to `user` from the pool's template for `medium` (or the
    /// wording of the pool's `CustomMessage` function, asked as `source`), with the user name
    /// and `code` filled in, and writes it to the outbox for `destination`. The function sees
    /// only the placeholders, never the code; it is called before anything is written, and
    /// no transaction is held while it runs.
    pub(crate) async fn send_message(
        &self,
        pool: &UserPool,
        (medium, destination): (Medium, &str),
        kind: MessageKind,
        (source, user): (CustomMessageSource, &User),
        code: &str,
    ) -> Result<CodeDelivery, AuthError> {
        let template = pool.settings.message_template(kind, medium);
        let no_metadata = BTreeMap::new();
        let asked = WordingRequest {
            source,
            medium,
            user,
            client: None,
            client_metadata: &no_metadata,
        };
        let template = self.worded(pool, template, &asked).await?;
        let content = MessageContent::render(&template, &user.username, code);
        self.queue_message(pool, medium, destination, kind, &content)
            .await
    }

    /// `template` as the pool's `CustomMessage` function words it (placeholders still in
    /// it), or unchanged when the pool has no such function. Nothing is written: a caller
    /// asks before it stores the code the message will carry, so a failing function leaves
    /// no code and no challenge behind.
    pub(crate) async fn worded(
        &self,
        pool: &UserPool,
        mut template: Template,
        asked: &WordingRequest<'_>,
    ) -> Result<Template, AuthError> {
        let Some(function) = &pool.settings.lambda_config.custom_message else {
            return Ok(template);
        };
        let wording = self
            .triggers
            .custom_message(
                function,
                CustomMessage {
                    source: asked.source,
                    caller: Caller {
                        pool: &pool.id,
                        client: asked.client,
                        user_name: &asked.user.username,
                    },
                    user_attributes: user_attributes(asked.user),
                    client_metadata: asked.client_metadata,
                    medium: asked.medium,
                },
            )
            .await?;
        if let Some(message) = wording.message {
            template.body = message;
        }
        if let Some(subject) = wording.subject {
            template.subject = subject;
        }
        Ok(template)
    }

    /// Writes a message for `destination` to the outbox. E-mail waits there for the delivery
    /// worker when SMTP is configured; otherwise, and for SMS, it is held.
    pub(crate) async fn queue_message(
        &self,
        pool: &UserPool,
        medium: Medium,
        destination: &str,
        kind: MessageKind,
        content: &MessageContent,
    ) -> Result<CodeDelivery, AuthError> {
        // Time-ordered (UUIDv7), so messages written in the same second still list in the
        // order they were written.
        let id = uuid::Uuid::now_v7().to_string();
        let plaintext = serde_json::to_vec(content).map_err(AuthError::internal)?;
        let content_sealed = self
            .kek
            .seal_bound(
                &plaintext,
                &binding(&id, &pool.id, medium.as_str(), destination),
            )
            .map_err(AuthError::internal)?;
        let state = match medium {
            Medium::Email if self.mail.smtp => OutboxState::Pending,
            Medium::Email | Medium::Sms => OutboxState::Held,
        };
        let now = self.clock.now();
        self.store
            .enqueue_message(&OutboxRecord {
                id: id.clone(),
                pool_id: pool.id.clone(),
                destination: destination.to_owned(),
                medium: medium.as_str().to_owned(),
                template: kind.as_str().to_owned(),
                sender: pool.settings.email_configuration.from.clone(),
                content_sealed,
                state,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                sent_at: None,
                created_at: now,
            })
            .await?;
        // The id and where it went, never what it says: the content holds a code.
        tracing::info!(pool = %pool.id, message_id = %id, medium = medium.as_str(), kind = kind.as_str(), state = state.as_str(), "message queued");
        Ok(CodeDelivery {
            medium,
            destination: mask_destination(medium, destination),
        })
    }

    fn open_message(&self, record: &OutboxRecord) -> Result<MessageContent, AuthError> {
        let plaintext = self
            .kek
            .open_bound(
                &record.content_sealed,
                &binding(
                    &record.id,
                    &record.pool_id,
                    &record.medium,
                    &record.destination,
                ),
            )
            .map_err(|e| AuthError::internal(format!("outbox message {}: {e}", record.id)))?;
        serde_json::from_slice(&plaintext).map_err(AuthError::internal)
    }

    /// Messages in the outbox, newest first, opened (`gatehouse outbox list`, the dev
    /// endpoint).
    pub async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>, AuthError> {
        let records = self.store.list_messages(filter).await?;
        records
            .into_iter()
            .map(|record| {
                let content = self.open_message(&record)?;
                Ok(OutboxMessage {
                    id: record.id,
                    pool_id: record.pool_id,
                    destination: record.destination,
                    medium: record.medium,
                    template: record.template,
                    state: record.state,
                    attempts: record.attempts,
                    last_error: record.last_error,
                    created_at: record.created_at,
                    sent_at: record.sent_at,
                    content,
                })
            })
            .collect()
    }

    /// One pass of the delivery worker: leases what is due to `owner` and sends it.
    pub async fn deliver_due_messages(
        &self,
        mailer: &dyn Mailer,
        owner: &str,
    ) -> Result<DeliveryPass, AuthError> {
        let now = self.clock.now();
        let claimed = self
            .store
            .claim_due_messages(owner, now, now + LEASE_SECONDS, DELIVERY_BATCH)
            .await?;
        let mut pass = DeliveryPass::default();
        for record in claimed {
            let outcome = match self.open_message(&record) {
                Ok(content) => {
                    mailer
                        .send(&OutgoingMail {
                            from: record
                                .sender
                                .clone()
                                .unwrap_or_else(|| self.mail.default_sender.clone()),
                            to: record.destination.clone(),
                            content,
                        })
                        .await
                }
                Err(error) => Err(SendFailure::Permanent(error.to_string())),
            };
            let now = self.clock.now();
            match outcome {
                Ok(()) => {
                    if self.store.mark_message_sent(&record.id, owner, now).await? {
                        pass.sent += 1;
                        tracing::info!(message_id = %record.id, pool = %record.pool_id, "message sent");
                    } else {
                        tracing::warn!(message_id = %record.id, "message sent after its lease ran out");
                    }
                }
                Err(SendFailure::Transient(error)) => {
                    let attempts = record.attempts + 1;
                    let next = now + retry_delay(attempts);
                    self.store
                        .mark_message_failed(&record.id, owner, &error, next, false)
                        .await?;
                    pass.retrying += 1;
                    tracing::warn!(message_id = %record.id, attempts, retry_at = next, %error, "message not delivered; will retry");
                }
                Err(SendFailure::Permanent(error)) => {
                    self.store
                        .mark_message_failed(&record.id, owner, &error, now, true)
                        .await?;
                    pass.failed += 1;
                    tracing::error!(message_id = %record.id, %error, "message refused for good; not retried");
                }
            }
        }
        Ok(pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_to_an_hour() {
        assert_eq!(retry_delay(1), 30);
        assert_eq!(retry_delay(2), 60);
        assert_eq!(retry_delay(3), 120);
        assert_eq!(retry_delay(8), 3_600);
        assert_eq!(retry_delay(1_000), 3_600);
    }
}
