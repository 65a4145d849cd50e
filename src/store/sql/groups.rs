//! Groups and their members.

use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::users::{USER_COLUMNS, user_from};
use super::{Columns, SqlStore, Statement, aliased, get};
use crate::domain::clock::UnixSeconds;
use crate::domain::group::{MemberGroup, UNRANKED};
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::user::User;
use crate::store::retry::Replay;
use crate::store::{GroupRecord, GroupStore, StoreError};

const GROUP_COLUMNS: &str =
    "pool_id, name, description, precedence, role_arn, created_at, updated_at";

fn group_from(row: &AnyRow) -> Result<GroupRecord, StoreError> {
    let pool_id: String = get(row, "pool_id")?;
    let created_at: UnixSeconds = get(row, "created_at")?;
    Ok(GroupRecord {
        pool_id: UserPoolId::parse(&pool_id).map_err(|e| super::corrupt("pool id", e))?,
        name: get(row, "name")?,
        description: get(row, "description")?,
        precedence: get(row, "precedence")?,
        role_arn: get(row, "role_arn")?,
        created_at,
        // Groups stored before schema version 10 were never changed after creation.
        updated_at: get::<Option<UnixSeconds>>(row, "updated_at")?.unwrap_or(created_at),
    })
}

/// A user's groups ranked as their tokens list them: precedence (none last), then name.
fn rank(table: &str) -> String {
    format!("COALESCE({table}.precedence, {UNRANKED})")
}

#[async_trait]
impl GroupStore for SqlStore {
    async fn put_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError> {
        self.execute(
            "put_group",
            Replay::Safe,
            "INSERT INTO groups (pool_id, name, description, precedence, role_arn, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (pool_id, name) DO \
             UPDATE SET description = excluded.description, precedence = excluded.precedence, \
             role_arn = excluded.role_arn, updated_at = excluded.updated_at",
            |q| bind_group(q, group).bind(now),
        )
        .await?;
        Ok(())
    }

    async fn list_groups(&self, pool: &UserPoolId) -> Result<Vec<GroupRecord>, StoreError> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE pool_id = $1 ORDER BY name");
        self.fetch_all(
            "list_groups",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()),
            group_from,
        )
        .await
    }

    async fn group(
        &self,
        pool: &UserPoolId,
        name: &str,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE pool_id = $1 AND name = $2");
        self.fetch_optional(
            "group",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(name),
            group_from,
        )
        .await
    }

    async fn groups_page(
        &self,
        pool: &UserPoolId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<GroupRecord>, StoreError> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE pool_id = $1 \
             AND ($2 IS NULL OR name > $2) ORDER BY name LIMIT $3"
        );
        self.fetch_all(
            "groups_page",
            AssertSqlSafe(sql),
            |q| q.bind(pool.as_str()).bind(after).bind(i64::from(limit)),
            group_from,
        )
        .await
    }

    async fn create_group(&self, group: &GroupRecord) -> Result<(), StoreError> {
        self.execute(
            "create_group",
            Replay::OnlyIfNothingWritten,
            "INSERT INTO groups (pool_id, name, description, precedence, role_arn, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            |q| {
                bind_group(q, group)
                    .bind(group.created_at)
                    .bind(group.updated_at)
            },
        )
        .await?;
        Ok(())
    }

    async fn update_group(&self, group: &GroupRecord) -> Result<bool, StoreError> {
        self.execute_one(
            "update_group",
            Replay::Safe,
            "UPDATE groups SET description = $3, precedence = $4, role_arn = $5, updated_at = $6 \
             WHERE pool_id = $1 AND name = $2",
            |q| bind_group(q, group).bind(group.updated_at),
        )
        .await
    }

    async fn delete_group(&self, pool: &UserPoolId, name: &str) -> Result<bool, StoreError> {
        // Memberships go with it (ON DELETE CASCADE).
        self.execute_one(
            "delete_group",
            Replay::OnlyIfNothingWritten,
            "DELETE FROM groups WHERE pool_id = $1 AND name = $2",
            |q| q.bind(pool.as_str()).bind(name),
        )
        .await
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

    async fn groups_of_user(&self, sub: &Sub) -> Result<Vec<MemberGroup>, StoreError> {
        let sql = format!(
            "SELECT g.name AS name, g.precedence AS precedence, g.role_arn AS role_arn \
             FROM user_groups ug JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name \
             WHERE ug.user_sub = $1 ORDER BY {}, g.name",
            rank("g")
        );
        self.fetch_all(
            "groups_of_user",
            AssertSqlSafe(sql),
            |q| q.bind(sub.to_string()),
            |row| {
                Ok(MemberGroup {
                    name: get(row, "name")?,
                    precedence: get(row, "precedence")?,
                    role_arn: get(row, "role_arn")?,
                })
            },
        )
        .await
    }

    async fn groups_of_user_page(
        &self,
        sub: &Sub,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<GroupRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM user_groups ug JOIN groups g ON g.pool_id = ug.pool_id \
             AND g.name = ug.group_name WHERE ug.user_sub = $1 \
             AND ($2 IS NULL OR ({rank}, g.name) > ($2, $3)) ORDER BY {rank}, g.name LIMIT $4",
            aliased("g", GROUP_COLUMNS, ""),
            rank = rank("g"),
        );
        self.fetch_all(
            "groups_of_user_page",
            AssertSqlSafe(sql),
            |q| {
                q.bind(sub.to_string())
                    .bind(after.map(|(rank, _)| rank))
                    .bind(after.map(|(_, name)| name.to_owned()))
                    .bind(i64::from(limit))
            },
            group_from,
        )
        .await
    }

    async fn users_in_group_page(
        &self,
        pool: &UserPoolId,
        group: &str,
        after: Option<&Sub>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {} FROM user_groups ug JOIN users u ON u.sub = ug.user_sub \
             WHERE ug.pool_id = $1 AND ug.group_name = $2 \
             AND ($3 IS NULL OR ug.user_sub > $3) ORDER BY ug.user_sub LIMIT $4",
            aliased("u", USER_COLUMNS, "")
        );
        self.fetch_all(
            "users_in_group_page",
            AssertSqlSafe(sql),
            |q| {
                q.bind(pool.as_str())
                    .bind(group)
                    .bind(after.map(ToString::to_string))
                    .bind(i64::from(limit))
            },
            |row| user_from(Columns::plain(row)),
        )
        .await
    }
}

/// The group's key and settings, in the column order of every group write ($1–$5).
fn bind_group(statement: Statement, group: &GroupRecord) -> Statement {
    statement
        .bind(group.pool_id.as_str())
        .bind(&group.name)
        .bind(group.description.as_deref())
        .bind(group.precedence)
        .bind(group.role_arn.as_deref())
}
