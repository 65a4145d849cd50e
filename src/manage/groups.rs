//! Cognito groups: created per pool, users added and removed; names appear in
//! `cognito:groups`.

use crate::auth::audit::{AuditEvent, Outcome};
use crate::auth::{AuthError, Services};
use crate::domain::pool::UserPool;
use crate::domain::username::Username;
pub use crate::store::GroupRecord;
use crate::store::StoreError;

impl Services {
    pub async fn create_group(&self, group: GroupRecord) -> Result<GroupRecord, AuthError> {
        if group.name.is_empty() || group.name.chars().count() > 128 {
            return Err(AuthError::InvalidParameter(
                "group names must be 1-128 characters".into(),
            ));
        }
        if group.precedence.is_some_and(|p| p < 0) {
            return Err(AuthError::InvalidParameter(
                "Precedence must be 0 or more".into(),
            ));
        }
        match self.store.create_group(&group, self.clock.now()).await {
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

    async fn group(&self, pool: &UserPool, name: &str) -> Result<GroupRecord, AuthError> {
        self.store
            .list_groups(&pool.id)
            .await?
            .into_iter()
            .find(|g| g.name == name)
            .ok_or_else(|| AuthError::ResourceNotFound("Group not found.".into()))
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

    /// The user's groups, in precedence order.
    pub async fn groups_of(
        &self,
        pool: &UserPool,
        username: &Username,
    ) -> Result<Vec<GroupRecord>, AuthError> {
        let user = self.find_user(pool, username).await?;
        let names = self.store.groups_of_user(&user.sub).await?;
        let groups = self.store.list_groups(&pool.id).await?;
        Ok(names
            .iter()
            .filter_map(|name| groups.iter().find(|g| g.name == *name).cloned())
            .collect())
    }
}

impl Services {
    /// A pool's groups.
    pub async fn list_groups(&self, pool: &UserPool) -> Result<Vec<GroupRecord>, AuthError> {
        Ok(self.store.list_groups(&pool.id).await?)
    }
}
