//! The outbox: messages written in the request that causes them, delivered by the workers.
//! A claim is one conditional UPDATE (due, pending, not leased by someone else): on Postgres
//! a concurrent claimer of the same row waits for the first one's row lock and then
//! re-checks the condition against the new lease, so it skips the row; on SQLite writers take
//! turns. Either way, no two workers hold one message.

use async_trait::async_trait;
use sqlx::any::AnyRow;

use super::{SqlStore, corrupt, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::UserPoolId;
use crate::store::retry::Replay;
use crate::store::{OutboxFilter, OutboxRecord, OutboxState, OutboxStore, StoreError};

const COLUMNS: &str = "id, pool_id, destination, medium, template, sender, content, state, \
                       attempts, next_attempt_at, last_error, sent_at, created_at";

#[async_trait]
impl OutboxStore for SqlStore {
    async fn enqueue_message(&self, message: &OutboxRecord) -> Result<(), StoreError> {
        self.execute(
            "enqueue_message",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO outbox (id, pool_id, destination, medium, template, sender, content, \
             state, attempts, next_attempt_at, last_error, sent_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            |q| {
                q.bind(message.id.clone())
                    .bind(message.pool_id.to_string())
                    .bind(message.destination.clone())
                    .bind(message.medium.clone())
                    .bind(message.template.clone())
                    .bind(message.sender.clone())
                    .bind(message.content_sealed.clone())
                    .bind(message.state.as_str())
                    .bind(message.attempts)
                    .bind(message.next_attempt_at)
                    .bind(message.last_error.clone())
                    .bind(message.sent_at)
                    .bind(message.created_at)
            },
        )
        .await?;
        Ok(())
    }

    async fn claim_due_messages(
        &self,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        // The condition is stated twice: in the subquery that picks candidates, and on the
        // row being updated, where Postgres re-checks it after waiting for a competing claim.
        let sql = format!(
            "UPDATE outbox SET lease_owner = $1, lease_until = $2 \
             WHERE id IN (SELECT id FROM outbox WHERE state = 'pending' \
                 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) \
                 ORDER BY next_attempt_at LIMIT $4) \
             AND state = 'pending' AND next_attempt_at <= $3 \
             AND (lease_until IS NULL OR lease_until <= $3) \
             RETURNING {COLUMNS}"
        );
        let owner = owner.to_owned();
        self.fetch_all_with(
            "claim_due_messages",
            Replay::OnlyIfNothingWritten,
            sqlx::AssertSqlSafe(sql),
            move |q| {
                q.bind(owner.clone())
                    .bind(lease_until)
                    .bind(now)
                    .bind(i64::from(limit))
            },
            message_from_row,
        )
        .await
    }

    async fn mark_message_sent(
        &self,
        id: &str,
        owner: &str,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "mark_message_sent",
            Replay::Safe,
            "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, \
             last_error = NULL, lease_owner = NULL, lease_until = NULL \
             WHERE id = $2 AND lease_owner = $3 AND state = 'pending'",
            |q| q.bind(now).bind(id.to_owned()).bind(owner.to_owned()),
        )
        .await
    }

    async fn mark_message_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        next_attempt_at: UnixSeconds,
        permanent: bool,
    ) -> Result<bool, StoreError> {
        let state = if permanent {
            OutboxState::Failed
        } else {
            OutboxState::Pending
        };
        self.execute_one(
            "mark_message_failed",
            Replay::OnlyIfNothingWritten,
            "UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, \
             last_error = $3, lease_owner = NULL, lease_until = NULL \
             WHERE id = $4 AND lease_owner = $5 AND state = 'pending'",
            |q| {
                q.bind(state.as_str())
                    .bind(next_attempt_at)
                    .bind(error.to_owned())
                    .bind(id.to_owned())
                    .bind(owner.to_owned())
            },
        )
        .await
    }

    async fn list_messages(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRecord>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM outbox \
             WHERE ($1 = '' OR pool_id = $1) AND ($2 = '' OR destination = $2) \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let pool = filter
            .pool
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let destination = filter.destination.clone().unwrap_or_default();
        let limit = i64::from(filter.limit.max(1));
        self.fetch_all(
            "list_messages",
            sqlx::AssertSqlSafe(sql),
            move |q| q.bind(pool.clone()).bind(destination.clone()).bind(limit),
            message_from_row,
        )
        .await
    }

    async fn purge_messages(&self, before: UnixSeconds, batch: u32) -> Result<u64, StoreError> {
        self.execute(
            "purge_messages",
            Replay::Safe,
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox \
             WHERE state <> 'pending' AND created_at < $1 LIMIT $2)",
            |q| q.bind(before).bind(i64::from(batch)),
        )
        .await
    }
}

fn message_from_row(row: &AnyRow) -> Result<OutboxRecord, StoreError> {
    let pool: String = get(row, "pool_id")?;
    let state: String = get(row, "state")?;
    Ok(OutboxRecord {
        id: get(row, "id")?,
        pool_id: UserPoolId::parse(&pool).map_err(|e| corrupt("pool id", e))?,
        destination: get(row, "destination")?,
        medium: get(row, "medium")?,
        template: get(row, "template")?,
        sender: get(row, "sender")?,
        content_sealed: get(row, "content")?,
        state: OutboxState::parse(&state).ok_or_else(|| corrupt("outbox state", &state))?,
        attempts: get(row, "attempts")?,
        next_attempt_at: get(row, "next_attempt_at")?,
        last_error: get(row, "last_error")?,
        sent_at: get(row, "sent_at")?,
        created_at: get(row, "created_at")?,
    })
}
