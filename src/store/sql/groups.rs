//! Groups and their members.

use async_trait::async_trait;

use super::{SqlStore, Statement, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{Sub, UserPoolId};
use crate::store::retry::Replay;
use crate::store::{GroupRecord, GroupStore, StoreError};

#[async_trait]
impl GroupStore for SqlStore {
    async fn put_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.execute(
            "put_group",
            Replay::Safe,
            "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id, name) DO UPDATE SET \
             description = excluded.description, precedence = excluded.precedence",
            |q| bind_group(q, group, now),
        )
        .await?;
        Ok(())
    }

    async fn list_groups(&self, pool: &UserPoolId) -> Result<Vec<GroupRecord>, StoreError> {
        self.fetch_all(
            "list_groups",
            "SELECT pool_id, name, description, precedence FROM groups WHERE pool_id = $1 \
             ORDER BY name",
            |q| q.bind(pool.as_str()),
            |row| {
                Ok(GroupRecord {
                    pool_id: pool.clone(),
                    name: get(row, "name")?,
                    description: get(row, "description")?,
                    precedence: get(row, "precedence")?,
                })
            },
        )
        .await
    }

    async fn create_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.execute(
            "create_group",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO groups (pool_id, name, description, precedence, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
            |q| bind_group(q, group, now),
        )
        .await?;
        Ok(())
    }

    async fn remove_user_from_group(&self, sub: &Sub, group: &str) -> Result<bool, StoreError> {
        self.execute_one(
            "remove_user_from_group",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM user_groups WHERE user_sub = $1 AND group_name = $2",
            |q| q.bind(sub.to_string()).bind(group),
        )
        .await
    }

    async fn add_user_to_group(
        &self,
        pool: &UserPoolId,
        sub: &Sub,
        group: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "add_user_to_group",
            Replay::Safe,
            "INSERT INTO user_groups (user_sub, pool_id, group_name) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            |q| q.bind(sub.to_string()).bind(pool.as_str()).bind(group),
        )
        .await?;
        Ok(())
    }

    async fn groups_of_user(&self, sub: &Sub) -> Result<Vec<String>, StoreError> {
        self.fetch_all(
            "groups_of_user",
            "SELECT g.name AS name FROM user_groups ug \
             JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name \
             WHERE ug.user_sub = $1 \
             ORDER BY COALESCE(g.precedence, 2147483647), g.name",
            |q| q.bind(sub.to_string()),
            |row| get(row, "name"),
        )
        .await
    }
}

/// The parameters of both group inserts, in their column order.
fn bind_group(statement: Statement, group: &GroupRecord, now: UnixSeconds) -> Statement {
    statement
        .bind(group.pool_id.as_str())
        .bind(&group.name)
        .bind(group.description.as_deref())
        .bind(group.precedence)
        .bind(now)
}
