//! `ListUsers`: a pool's users a page at a time, filtered by one field as Cognito filters.

use crate::auth::{AuthError, Services};
use crate::domain::pool::UserPool;
use crate::domain::user::User;
use crate::domain::user_filter::UserFilter;
use crate::domain::username::UsernameKey;
use crate::manage::paging::{Listing, Page, PageRequest, key_part};
use crate::store::UserPageKey;

impl Services {
    /// One page of the pool's users matching `filter` (everyone without one). The page
    /// token is bound to the pool and the filter.
    pub async fn search_users(
        &self,
        pool: &UserPool,
        filter: Option<&UserFilter>,
        request: &PageRequest,
    ) -> Result<Page<User>, AuthError> {
        let listing = Listing::new(
            "ListUsers",
            pool.id.as_str(),
            &UserFilter::canonical(filter),
        );
        let field = match filter {
            Some(UserFilter::Field(field, _)) => Some(*field),
            _ => None,
        };
        self.page(
            &listing,
            request,
            |user: &User| {
                let value = field.and_then(|f| f.value_of(user)).unwrap_or_default();
                vec![value, user.username_key.as_str().to_owned()]
            },
            |after, limit| async move {
                let after = after
                    .map(|key| -> Result<UserPageKey, AuthError> {
                        Ok(UserPageKey {
                            value: field
                                .map(|_| key_part(&key, 0).map(str::to_owned))
                                .transpose()?,
                            username_key: UsernameKey::from_stored(key_part(&key, 1)?.to_owned()),
                        })
                    })
                    .transpose()?;
                Ok(self
                    .store
                    .search_users(&pool.id, filter, after.as_ref(), limit)
                    .await?)
            },
        )
        .await
    }
}
