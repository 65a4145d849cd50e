//! Housekeeping: deletes expired sessions (with their refresh tokens), spent challenges,
//! quiet failure counters, keys retired past their publication and week-old outbox messages
//! that are no longer waiting, in bounded batches; and
//! starts scheduled key rotations. Every replica may run it at once: each step is an
//! idempotent delete or a race-safe insert.

use crate::domain::lockout::MAX_LOCKOUT_WINDOW_SECONDS;
use crate::store::Purged;

use super::keys::RETIRED_KEY_PUBLICATION_SECONDS;
use super::{AuthError, Services};

/// Rows of each kind deleted per pass at most.
pub const BATCH: u32 = 1_000;
/// Revoked sessions are kept a day (the longest access-token life) for the record.
const REVOKED_SESSION_RETENTION_SECONDS: i64 = 86_400;

impl Services {
    pub async fn housekeeping_pass(&self) -> Result<Purged, AuthError> {
        let now = self.clock.now();
        let purged = self
            .store
            .purge(
                now,
                now - REVOKED_SESSION_RETENTION_SECONDS,
                // Pools choose their own quiet window; keeping every counter for the longest
                // allowed one means none is forgotten early (a stale one resets by itself).
                now - MAX_LOCKOUT_WINDOW_SECONDS,
                now - RETIRED_KEY_PUBLICATION_SECONDS,
                BATCH,
            )
            .await?;
        // Delivered and held messages go after a week; one still waiting is never dropped.
        let messages = self
            .store
            .purge_messages(now - super::messages::RETENTION_SECONDS, BATCH)
            .await?;
        if messages > 0 {
            tracing::info!(messages, "housekeeping removed old outbox messages");
        }
        if self.keys.policy().rotation_days.is_some() {
            for pool in self.store.list_pools().await? {
                self.keys.rotate_if_due(&pool.id).await?;
            }
        }
        if purged != Purged::default() {
            tracing::info!(
                sessions = purged.sessions,
                challenges = purged.challenges,
                failures = purged.failures,
                keys = purged.keys,
                "housekeeping removed expired rows"
            );
        }
        Ok(purged)
    }
}
