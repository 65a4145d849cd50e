//! Users: their passwords, status and attributes. The confirmation-code methods of
//! [`UserStore`] are implemented in `codes.rs`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::aliases::sync_aliases;
use super::sessions::revoke_sessions;
use super::{Columns, SqlStore, corrupt};
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::secret::{ExposeSecret, secret};
use crate::domain::user::{StoredPasswordHash, User, UserStatus};
use crate::domain::user_filter::UserFilter;
use crate::domain::username::UsernameKey;
use crate::store::errors::{before_commit, classify};
use crate::store::retry::Replay;
use crate::store::{
    CodeAttempt, CodePurpose, CodeSpend, ConfirmationCodeRecord, Revocation, StoreError,
    UserPageKey, UserStore,
};

pub(super) const USER_COLUMNS: &str = "sub, pool_id, username, username_key, password_hash, \
    pepper_id, srp_verifier, status, enabled, attributes, tokens_valid_after, \
    temporary_password_expires_at, \
    created_at, updated_at";

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    user_from(Columns::plain(row))
}

pub(super) fn user_from(c: Columns<'_>) -> Result<User, StoreError> {
    let sub: String = c.get("sub")?;
    let pool_id: String = c.get("pool_id")?;
    let status: String = c.get("status")?;
    let attributes: String = c.get("attributes")?;
    let attributes: BTreeMap<String, String> =
        serde_json::from_str(&attributes).map_err(|e| corrupt("user attributes", e))?;
    let pepper_id: Option<String> = c.get("pepper_id")?;
    let srp_verifier: Option<String> = c.get("srp_verifier")?;
    let password = c
        .get::<Option<String>>("password_hash")?
        .map(|phc| StoredPasswordHash {
            phc: secret(phc),
            pepper_id,
            srp_verifier: srp_verifier.map(secret),
        });
    Ok(User {
        sub: Sub::parse(&sub).map_err(|e| corrupt("user sub", e))?,
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?,
        username: c.get("username")?,
        username_key: UsernameKey::from_stored(c.get("username_key")?),
        password,
        status: UserStatus::parse(&status).map_err(|e| corrupt("user status", e))?,
        enabled: c.flag("enabled")?,
        attributes: UserAttributes::from_stored(attributes),
        tokens_valid_after: c.get("tokens_valid_after")?,
        temporary_password_expires_at: c.get("temporary_password_expires_at")?,
        created_at: c.get("created_at")?,
        updated_at: c.get("updated_at")?,
    })
}

fn stored_attributes(json: &str) -> Result<UserAttributes, StoreError> {
    let map: BTreeMap<String, String> =
        serde_json::from_str(json).map_err(|e| corrupt("user attributes", e))?;
    Ok(UserAttributes::from_stored(map))
}

pub(super) fn attributes_json(attributes: &UserAttributes) -> Result<String, StoreError> {
    serde_json::to_string(attributes.as_map()).map_err(StoreError::internal)
}

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &User) -> Result<(), StoreError> {
        let attributes = &attributes_json(&user.attributes)?;
        self.retrying("create_user", Replay::OnlyIfNothingWritten, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            sqlx::query(
                "INSERT INTO users (sub, pool_id, username, username_key, password_hash, pepper_id, \
                 srp_verifier, status, enabled, attributes, tokens_valid_after, \
                 temporary_password_expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(user.sub.to_string())
            .bind(user.pool_id.as_str())
            .bind(&user.username)
            .bind(user.username_key.as_str())
            .bind(
                user.password
                    .as_ref()
                    .map(|p| p.phc.expose_secret().to_owned()),
            )
            .bind(user.password.as_ref().and_then(|p| p.pepper_id.clone()))
            .bind(
                user.password
                    .as_ref()
                    .and_then(|p| p.srp_verifier.as_ref())
                    .map(|v| v.expose_secret().to_owned()),
            )
            .bind(user.status.as_str())
            .bind(user.enabled)
            .bind(attributes.as_str())
            .bind(user.tokens_valid_after)
            .bind(user.temporary_password_expires_at)
            .bind(user.created_at)
            .bind(user.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            sync_aliases(&mut tx, &user.pool_id, &user.sub, None, &user.attributes).await?;
            tx.commit().await.map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn user_by_key(
        &self,
        pool: &UserPoolId,
        username_key: &UsernameKey,
    ) -> Result<Option<User>, StoreError> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 AND username_key = $2");
        self.fetch_optional(
            "user_by_key",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(username_key.as_str()),
            user_from_row,
        )
        .await
    }

    async fn user_by_sign_in_name(
        &self,
        pool: &UserPoolId,
        key: &UsernameKey,
    ) -> Result<Option<User>, StoreError> {
        // Both halves are primary-key or unique-index lookups; a username wins over an
        // alias that spells the same.
        let aliased = USER_COLUMNS
            .split(',')
            .map(|column| format!("u.{}", column.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {USER_COLUMNS}, 0 AS lookup_order FROM users \
             WHERE pool_id = $1 AND username_key = $2 \
             UNION ALL \
             SELECT {aliased}, 1 AS lookup_order FROM user_sign_in_aliases a \
             JOIN users u ON u.sub = a.user_sub \
             WHERE a.pool_id = $1 AND a.alias_key = $2 \
             ORDER BY lookup_order LIMIT 1"
        );
        self.fetch_optional(
            "user_by_sign_in_name",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(key.as_str()),
            user_from_row,
        )
        .await
    }

    async fn release_sign_in_aliases(
        &self,
        pool: &UserPoolId,
        keys: &[UsernameKey],
        keep: &Sub,
    ) -> Result<u64, StoreError> {
        let mut moved = 0;
        for key in keys {
            moved += self
                .execute(
                    "release_sign_in_aliases",
                    Replay::Safe,
                    "DELETE FROM user_sign_in_aliases \
                     WHERE pool_id = $1 AND alias_key = $2 AND user_sub <> $3",
                    |q| {
                        q.bind(pool.as_str())
                            .bind(key.as_str())
                            .bind(keep.to_string())
                    },
                )
                .await?;
        }
        Ok(moved)
    }

    async fn user_by_sub(&self, sub: &Sub) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE sub = $1");
        self.fetch_optional(
            "user_by_sub",
            AssertSqlSafe(sql),
            |q| q.bind(sub.to_string()),
            user_from_row,
        )
        .await
    }

    async fn list_users(&self, pool: &UserPoolId) -> Result<Vec<User>, StoreError> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 ORDER BY username_key");
        self.fetch_all(
            "list_users",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            user_from_row,
        )
        .await
    }

    async fn count_users(&self, pool: &UserPoolId) -> Result<i64, StoreError> {
        self.retrying("count_users", Replay::Safe, || async move {
            let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE pool_id = $1")
                .bind(pool.as_str())
                .fetch_one(&self.pool)
                .await
                .map_err(classify)?;
            Ok(count)
        })
        .await
    }

    async fn list_users_page(
        &self,
        pool: &UserPoolId,
        after: Option<&UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE pool_id = $1 \
             AND ($2 IS NULL OR username_key > $2) ORDER BY username_key LIMIT $3"
        );
        self.fetch_all(
            "list_users_page",
            AssertSqlSafe(sql),
            |q| {
                q.bind(pool.as_str())
                    .bind(after.map(UsernameKey::as_str))
                    .bind(i64::from(limit))
            },
            user_from_row,
        )
        .await
    }

    async fn search_users(
        &self,
        pool: &UserPoolId,
        filter: Option<&UserFilter>,
        after: Option<&UserPageKey>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        self.search_users_page(pool, filter, after, limit).await
    }

    async fn explain_user_search(
        &self,
        pool: &UserPoolId,
        filter: &UserFilter,
    ) -> Result<String, StoreError> {
        self.explain_search(pool, filter).await
    }

    async fn set_password(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        status: UserStatus,
        temporary_expires_at: Option<UnixSeconds>,
        revocation: Revocation,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let revocation = &revocation;
        self.retrying("set_password", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let result = sqlx::query(
                "UPDATE users SET password_hash = $1, pepper_id = $2, srp_verifier = $7, \
                 status = $3, temporary_password_expires_at = $4, updated_at = $5 WHERE sub = $6",
            )
            .bind(hash.phc.expose_secret())
            .bind(hash.pepper_id.as_deref())
            .bind(status.as_str())
            .bind(temporary_expires_at)
            .bind(now)
            .bind(sub.to_string())
            .bind(hash.srp_verifier.as_ref().map(|v| v.expose_secret()))
            .execute(&mut *tx)
            .await
            .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                return Ok(false);
            }
            revoke_sessions(&mut tx, sub, revocation, now).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn replace_password_hash(
        &self,
        sub: &Sub,
        expected: &StoredPasswordHash,
        replacement: &StoredPasswordHash,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "replace_password_hash",
            Replay::OnlyIfNothingWritten,
            "UPDATE users SET password_hash = $1, pepper_id = $2, srp_verifier = $5 \
                 WHERE sub = $3 AND password_hash = $4",
            |q| {
                q.bind(replacement.phc.expose_secret())
                    .bind(replacement.pepper_id.as_deref())
                    .bind(sub.to_string())
                    .bind(expected.phc.expose_secret())
                    .bind(
                        replacement
                            .srp_verifier
                            .as_ref()
                            .map(|v| v.expose_secret().to_owned()),
                    )
            },
        )
        .await
    }

    async fn set_enabled(
        &self,
        sub: &Sub,
        enabled: bool,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.retrying("set_enabled", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let result =
                sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE sub = $3")
                    .bind(enabled)
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                return Ok(false);
            }
            if !enabled {
                revoke_sessions(&mut tx, sub, &Revocation::All, now).await?;
            }
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn set_status(
        &self,
        sub: &Sub,
        status: UserStatus,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.execute_one(
            "set_status",
            Replay::Safe,
            "UPDATE users SET status = $1, updated_at = $2 WHERE sub = $3",
            |q| q.bind(status.as_str()).bind(now).bind(sub.to_string()),
        )
        .await
    }

    async fn set_attributes(
        &self,
        sub: &Sub,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        let json = &attributes_json(attributes)?;
        self.retrying("set_attributes", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let current: Option<(String, String)> =
                sqlx::query_as("SELECT pool_id, attributes FROM users WHERE sub = $1")
                    .bind(sub.to_string())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(before_commit)?;
            let Some((pool_id, before)) = current else {
                return Ok(false);
            };
            let result =
                sqlx::query("UPDATE users SET attributes = $1, updated_at = $2 WHERE sub = $3")
                    .bind(json.as_str())
                    .bind(now)
                    .bind(sub.to_string())
                    .execute(&mut *tx)
                    .await
                    .map_err(before_commit)?;
            if result.rows_affected() == 0 {
                return Ok(false);
            }
            let pool = UserPoolId::parse(&pool_id).map_err(|e| corrupt("pool id", e))?;
            let before = stored_attributes(&before)?;
            sync_aliases(&mut tx, &pool, sub, Some(&before), attributes).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn replace_attributes(
        &self,
        sub: &Sub,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        // Attributes are stored as the JSON of a sorted map, so equal sets have equal text.
        let (json, expected_json) = (&attributes_json(attributes)?, &attributes_json(expected)?);
        self.retrying("replace_attributes", Replay::Safe, || async move {
            let mut tx = self.pool.begin().await.map_err(before_commit)?;
            let pool: Option<(String,)> = sqlx::query_as(
                "UPDATE users SET attributes = $1, updated_at = $2 \
                 WHERE sub = $3 AND attributes = $4 RETURNING pool_id",
            )
            .bind(json.as_str())
            .bind(now)
            .bind(sub.to_string())
            .bind(expected_json.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(before_commit)?;
            let Some((pool,)) = pool else {
                return Ok(false);
            };
            let pool = UserPoolId::parse(&pool).map_err(|e| corrupt("pool id", e))?;
            sync_aliases(&mut tx, &pool, sub, Some(expected), attributes).await?;
            tx.commit().await.map_err(classify)?;
            Ok(true)
        })
        .await
    }

    async fn put_confirmation_code(
        &self,
        code: &ConfirmationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError> {
        self.upsert_confirmation_code(code, now).await
    }

    async fn confirmation_code(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
    ) -> Result<Option<ConfirmationCodeRecord>, StoreError> {
        self.find_confirmation_code(sub, purpose).await
    }

    async fn take_code_attempt(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        max_attempts: i64,
        now: UnixSeconds,
    ) -> Result<CodeAttempt, StoreError> {
        self.count_code_attempt(sub, purpose, max_attempts, now)
            .await
    }

    async fn count_code_request(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        limit: i64,
        window_seconds: i64,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.count_code_request_in_window(sub, purpose, limit, window_seconds, now)
            .await
    }

    async fn spend_code_and_replace_attributes(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<CodeSpend, StoreError> {
        self.spend_code_and_write_attributes(sub, purpose, expected, attributes, now)
            .await
    }

    async fn confirm_user(&self, sub: &Sub, now: UnixSeconds) -> Result<bool, StoreError> {
        self.spend_code_and_confirm(sub, now).await
    }

    async fn reset_password_with_code(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        now: UnixSeconds,
    ) -> Result<bool, StoreError> {
        self.spend_code_and_reset(sub, hash, now).await
    }

    async fn delete_user(&self, sub: &Sub) -> Result<bool, StoreError> {
        self.execute_one(
            "delete_user",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM users WHERE sub = $1",
            |q| q.bind(sub.to_string()),
        )
        .await
    }
}
