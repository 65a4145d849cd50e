//! One paging type for every list operation (`ListUserPools`, `ListUserPoolClients`,
//! `ListUsers`, `ListGroups`, `ListUsersInGroup`, `AdminListGroupsForUser`).
//!
//! A page token carries where the previous page ended (the last item's sort key) and an
//! HMAC-SHA256 tag over that key and the listing it belongs to: the operation, the pool and
//! whatever else the listing is of (the filter, the group, the user). The tag's key is
//! derived from the key-encryption key, so every replica accepts every replica's tokens,
//! and a token that was altered, forged, or taken from another listing is refused with
//! `InvalidParameterException` (docs/cognito-compatibility.md, "Lists and paging").

use crate::domain::secret::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::{AuthError, Services};
use crate::domain::app_client::AppClient;
use crate::domain::pool::UserPool;

/// The page size a list answers when the caller asks for none (or for 0, where Cognito's
/// range allows it).
pub const DEFAULT_PAGE_SIZE: u32 = 60;

const TAG_BYTES: usize = 32;

/// The listing a token belongs to: it continues that listing and no other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    operation: &'static str,
    scope: String,
}

impl Listing {
    /// `operation` over `pool`, narrowed by `context` (a filter, a group name, a user's sub;
    /// empty when the listing is the whole pool).
    pub fn new(operation: &'static str, pool: &str, context: &str) -> Self {
        Self {
            operation,
            scope: format!("{pool}\n{context}"),
        }
    }
}

/// A request for one page: how many items, and the token of the previous page if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub token: Option<String>,
}

/// One page, and the token of the next when there is more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// A token that is not one this server made for this listing.
fn refused() -> AuthError {
    AuthError::InvalidParameter("Invalid pagination token.".into())
}

impl Services {
    fn page_tag(&self, listing: &Listing, payload: &[u8]) -> Result<Hmac<Sha256>, AuthError> {
        let key = self.kek.derive_key("gatehouse page token v1");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
            .map_err(AuthError::internal)?;
        // Lengths first, so no two (operation, scope, payload) triples share an input.
        for part in [listing.operation.as_bytes(), listing.scope.as_bytes()] {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(part);
        }
        mac.update(payload);
        Ok(mac)
    }

    /// The token of the page after the one that ended at `key`.
    fn seal_page_key(&self, listing: &Listing, key: &[String]) -> Result<String, AuthError> {
        let payload = serde_json::to_vec(key).map_err(AuthError::internal)?;
        let tag = self.page_tag(listing, &payload)?.finalize().into_bytes();
        let mut token = payload;
        token.extend_from_slice(&tag);
        Ok(URL_SAFE_NO_PAD.encode(token))
    }

    /// Where the previous page ended, if `token` is one of this listing's.
    fn open_page_key(&self, listing: &Listing, token: &str) -> Result<Vec<String>, AuthError> {
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| refused())?;
        if bytes.len() <= TAG_BYTES {
            return Err(refused());
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        self.page_tag(listing, payload)?
            .verify_slice(tag)
            .map_err(|_| refused())?;
        serde_json::from_slice(payload).map_err(|_| refused())
    }

    /// Fetches one page of `listing`: `fetch` reads up to the given number of items
    /// strictly after the given key (None: from the start) in the listing's order, and
    /// `key_of` says where an item sits in that order. One item more than the page is read,
    /// so a token is given only when another page exists.
    pub(crate) async fn page<T, F, Fut>(
        &self,
        listing: &Listing,
        request: &PageRequest,
        key_of: impl Fn(&T) -> Vec<String>,
        fetch: F,
    ) -> Result<Page<T>, AuthError>
    where
        F: FnOnce(Option<Vec<String>>, u32) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, AuthError>>,
    {
        let after = request
            .token
            .as_deref()
            .map(|token| self.open_page_key(listing, token))
            .transpose()?;
        let limit = if request.limit == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            request.limit
        };
        let mut items = fetch(after, limit + 1).await?;
        let next_token = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items
                .last()
                .map(|last| self.seal_page_key(listing, &key_of(last)))
                .transpose()?
        } else {
            None
        };
        Ok(Page { items, next_token })
    }
}

/// A page key's part, or the refusal a token with a key of the wrong shape gets.
pub(crate) fn key_part(key: &[String], index: usize) -> Result<&str, AuthError> {
    key.get(index).map(String::as_str).ok_or_else(refused)
}

/// The items of a short listing read whole (pools, a pool's app clients: Cognito caps both
/// in the hundreds), in the order of `key`, strictly after `after`, at most `limit`.
fn cut<T>(
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<Vec<String>>,
    limit: u32,
) -> Result<Vec<T>, AuthError> {
    let after = after
        .as_deref()
        .map(|k| key_part(k, 0).map(str::to_owned))
        .transpose()?;
    items.retain(|item| after.as_ref().is_none_or(|a| key(item) > *a));
    items.sort_by_key(|item| key(item));
    items.truncate(limit as usize);
    Ok(items)
}

impl Services {
    /// `ListUserPools`: one page of every pool, by id.
    pub async fn list_pools_page(
        &self,
        request: &PageRequest,
    ) -> Result<Page<UserPool>, AuthError> {
        let listing = Listing::new("ListUserPools", "", "");
        let key = |pool: &UserPool| pool.id.to_string();
        self.page(
            &listing,
            request,
            |pool| vec![key(pool)],
            |after, limit| async move { cut(self.list_pools().await?, key, after, limit) },
        )
        .await
    }

    /// `ListUserPoolClients`: one page of the pool's app clients, by id.
    pub async fn list_clients_page(
        &self,
        pool: &UserPool,
        request: &PageRequest,
    ) -> Result<Page<AppClient>, AuthError> {
        let listing = Listing::new("ListUserPoolClients", pool.id.as_str(), "");
        let key = |client: &AppClient| client.id.to_string();
        self.page(
            &listing,
            request,
            |client| vec![key(client)],
            |after, limit| async move { cut(self.list_clients(pool).await?, key, after, limit) },
        )
        .await
    }
}
