//! Cognito groups: created, read, changed and deleted per pool; users added and removed;
//! listed a page at a time. A user's groups appear in their tokens (`cognito:groups`, and
//! the groups' roles in `cognito:roles` and `cognito:preferred_role`).

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::group::UNRANKED;
use crate::domain::ids::Sub;
use crate::domain::pool::UserPool;
use crate::domain::user::User;
use crate::domain::username::Username;
use crate::manage::paging::{Listing, Page, PageRequest, key_part};
pub use crate::store::GroupRecord;
use crate::store::StoreError;

/// What `CreateGroup` and `UpdateGroup` set; input already checked against Cognito's shapes
/// (docs/cognito-compatibility.md, "Groups").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSettings {
    pub description: Option<String>,
    pub precedence: Option<i64>,
    pub role_arn: Option<String>,
}

fn group_not_found() -> AuthError {
    AuthError::ResourceNotFound("Group not found.".into())
}

impl Services {
    pub async fn create_group(
        &self,
        pool: &UserPool,
        name: &str,
        settings: GroupSettings,
    ) -> Result<GroupRecord, AuthError> {
        let now = self.clock.now();
        let group = GroupRecord {
            pool_id: pool.id.clone(),
            name: name.to_owned(),
            description: settings.description,
            precedence: settings.precedence,
            role_arn: settings.role_arn,
            created_at: now,
            updated_at: now,
        };
        match self.store.create_group(&group).await {
            Ok(()) => {
                AuditEvent::new("group_created", group.pool_id.as_str(), Outcome::Success)
                    .with_group(&group.name)
                    .emit();
                Ok(group)
            }
            Err(StoreError::Conflict(_)) => Err(AuthError::GroupExists),
            Err(e) => Err(e.into()),
        }
    }

    /// The pool's group of that name; `ResourceNotFoundException` "Group not found." if none.
    pub async fn group(&self, pool: &UserPool, name: &str) -> Result<GroupRecord, AuthError> {
        self.store
            .group(&pool.id, name)
            .await?
            .ok_or_else(group_not_found)
    }

    /// `UpdateGroup`: each member given replaces the group's; a member left out is kept.
    pub async fn update_group(
        &self,
        pool: &UserPool,
        name: &str,
        changes: GroupSettings,
    ) -> Result<GroupRecord, AuthError> {
        let mut group = self.group(pool, name).await?;
        if let Some(description) = changes.description {
            group.description = Some(description);
        }
        if let Some(precedence) = changes.precedence {
            group.precedence = Some(precedence);
        }
        if let Some(role_arn) = changes.role_arn {
            group.role_arn = Some(role_arn);
        }
        group.updated_at = self.clock.now();
        if !self.store.update_group(&group).await? {
            return Err(group_not_found());
        }
        AuditEvent::new("group_updated", pool.id.as_str(), Outcome::Success)
            .with_group(&group.name)
            .emit();
        Ok(group)
    }

    /// `DeleteGroup`: the group and every membership in it. Tokens already issued keep
    /// naming it until they expire; refreshed ones do not.
    pub async fn delete_group(&self, pool: &UserPool, name: &str) -> Result<(), AuthError> {
        if !self.store.delete_group(&pool.id, name).await? {
            return Err(group_not_found());
        }
        AuditEvent::new("group_deleted", pool.id.as_str(), Outcome::Success)
            .with_group(name)
            .emit();
        Ok(())
    }

    pub async fn add_user_to_group(
        &self,
        pool: &UserPool,
        username: &Username,
        group: &str,
    ) -> Result<(), AuthError> {
        let group = self.group(pool, group).await?;
        let user = self.find_user(pool, username).await?;
        self.store
            .add_user_to_group(&pool.id, &user.sub, &group.name)
            .await?;
        AuditEvent::for_user("user_added_to_group", &pool.id, &user)
            .with_group(&group.name)
            .emit();
        Ok(())
    }

    pub async fn remove_user_from_group(
        &self,
        pool: &UserPool,
        username: &Username,
        group: &str,
    ) -> Result<(), AuthError> {
        let group = self.group(pool, group).await?;
        let user = self.find_user(pool, username).await?;
        if self
            .store
            .remove_user_from_group(&user.sub, &group.name)
            .await?
        {
            AuditEvent::for_user("user_removed_from_group", &pool.id, &user)
                .with_group(&group.name)
                .emit();
        }
        Ok(())
    }

    /// `AdminListGroupsForUser`: one page of the user's groups in the order their tokens
    /// list them (precedence, groups without one last, then name).
    pub async fn groups_of(
        &self,
        pool: &UserPool,
        username: &Username,
        request: &PageRequest,
    ) -> Result<Page<GroupRecord>, AuthError> {
        let user = self.find_user(pool, username).await?;
        let listing = Listing::new(
            "AdminListGroupsForUser",
            pool.id.as_str(),
            &user.sub.to_string(),
        );
        self.page(
            &listing,
            request,
            |group: &GroupRecord| {
                vec![
                    group.precedence.unwrap_or(UNRANKED).to_string(),
                    group.name.clone(),
                ]
            },
            |after, limit| async move {
                let after = after
                    .as_ref()
                    .map(|key| -> Result<(i64, &str), AuthError> {
                        let rank = key_part(key, 0)?.parse().map_err(|_| {
                            AuthError::InvalidParameter("Invalid pagination token.".into())
                        })?;
                        Ok((rank, key_part(key, 1)?))
                    })
                    .transpose()?;
                Ok(self
                    .store
                    .groups_of_user_page(&user.sub, after, limit)
                    .await?)
            },
        )
        .await
    }

    /// `ListGroups`: one page of the pool's groups by name.
    pub async fn list_groups_page(
        &self,
        pool: &UserPool,
        request: &PageRequest,
    ) -> Result<Page<GroupRecord>, AuthError> {
        let listing = Listing::new("ListGroups", pool.id.as_str(), "");
        self.page(
            &listing,
            request,
            |group: &GroupRecord| vec![group.name.clone()],
            |after, limit| async move {
                let after = after.as_deref().map(|key| key_part(key, 0)).transpose()?;
                Ok(self.store.groups_page(&pool.id, after, limit).await?)
            },
        )
        .await
    }

    /// `ListUsersInGroup`: one page of the group's members (by sub).
    pub async fn users_in_group(
        &self,
        pool: &UserPool,
        group: &str,
        request: &PageRequest,
    ) -> Result<Page<User>, AuthError> {
        let group = self.group(pool, group).await?;
        let listing = Listing::new("ListUsersInGroup", pool.id.as_str(), &group.name);
        let group = &group.name;
        self.page(
            &listing,
            request,
            |user: &User| vec![user.sub.to_string()],
            |after, limit| async move {
                let after = after
                    .as_deref()
                    .map(|key| {
                        Sub::parse(key_part(key, 0)?).map_err(|_| {
                            AuthError::InvalidParameter("Invalid pagination token.".into())
                        })
                    })
                    .transpose()?;
                Ok(self
                    .store
                    .users_in_group_page(&pool.id, group, after.as_ref(), limit)
                    .await?)
            },
        )
        .await
    }
}

impl Services {
    /// A pool's groups (the seed file's check that a user's groups are declared).
    pub async fn list_groups(&self, pool: &UserPool) -> Result<Vec<GroupRecord>, AuthError> {
        Ok(self.store.list_groups(&pool.id).await?)
    }
}
