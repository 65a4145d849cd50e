//! Groups and their members.

use async_trait::async_trait;

use super::{SqlStore, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{Sub, UserPoolId};
use crate::store::errors::classify;
use crate::store::retry::Replay;
use crate::store::{GroupRecord, GroupStore, StoreError};

#[async_trait]
impl GroupStore for SqlStore {
    async fn put_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.retrying("put_group", Replay::Safe, || async move {
            sqlx::query(
                "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id, name) DO UPDATE SET \
                 description = excluded.description, precedence = excluded.precedence",
            )
            .bind(group.pool_id.as_str())
            .bind(&group.name)
            .bind(group.description.as_deref())
            .bind(group.precedence)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn list_groups(&self, pool: &UserPoolId) -> Result<Vec<GroupRecord>, StoreError> {
        self.retrying("list_groups", Replay::Safe, || async move {
            let rows = sqlx::query(
                "SELECT pool_id, name, description, precedence FROM groups WHERE pool_id = $1 \
                 ORDER BY name",
            )
            .bind(pool.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
            rows.iter()
                .map(|row| {
                    Ok(GroupRecord {
                        pool_id: pool.clone(),
                        name: get(row, "name")?,
                        description: get(row, "description")?,
                        precedence: get(row, "precedence")?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn create_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.retrying(
            "create_group",
            Replay::OnlyIfNothingWritten,
            || async move {
                sqlx::query(
                    "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(group.pool_id.as_str())
                .bind(&group.name)
                .bind(group.description.as_deref())
                .bind(group.precedence)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
                Ok(())
            },
        )
        .await
    }

    async fn remove_user_from_group(&self, sub: &Sub, group: &str) -> Result<bool, StoreError> {
        self.retrying(
            "remove_user_from_group",
            Replay::OnlyIfNothingWritten,
            || async move {
                let result =
                    sqlx::query("DELETE FROM user_groups WHERE user_sub = $1 AND group_name = $2")
                        .bind(sub.to_string())
                        .bind(group)
                        .execute(&self.pool)
                        .await
                        .map_err(classify)?;
                Ok(result.rows_affected() == 1)
            },
        )
        .await
    }

    async fn add_user_to_group(
        &self,
        pool: &UserPoolId,
        sub: &Sub,
        group: &str,
    ) -> Result<(), StoreError> {
        self.retrying("add_user_to_group", Replay::Safe, || async move {
            sqlx::query(
                "INSERT INTO user_groups (user_sub, pool_id, group_name) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(sub.to_string())
            .bind(pool.as_str())
            .bind(group)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
            Ok(())
        })
        .await
    }

    async fn groups_of_user(&self, sub: &Sub) -> Result<Vec<String>, StoreError> {
        self.retrying("groups_of_user", Replay::Safe, || async move {
            let rows = sqlx::query(
                "SELECT g.name AS name FROM user_groups ug \
                 JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name \
                 WHERE ug.user_sub = $1 \
                 ORDER BY COALESCE(g.precedence, 2147483647), g.name",
            )
            .bind(sub.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
            rows.iter().map(|row| get(row, "name")).collect()
        })
        .await
    }
}
