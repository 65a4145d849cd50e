//! `UpdateUserAttributes` and `DeleteUserAttributes`: a signed-in user changes their own
//! attributes, within what the app client their access token was issued to may write. A
//! changed e-mail address or phone number stays unverified and is sent a code when the pool
//! auto-verifies it, or, when the pool requires verification before update, keeps its old
//! value in force until the new one's code comes back (`verify_attribute.rs`).

use crate::domain::attribute_access::{WriteRefused, Writer, apply_delete, apply_write};
use crate::domain::attributes::{UserAttributes, validate_name};
use crate::domain::schema::Moment;
use crate::domain::secret::SecretString;
use crate::domain::user::User;
use crate::store::StoreError;

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::messages::CodeDelivery;
use super::{AuthError, Services};

const UPDATED: &str = "user_attributes_updated";
const DELETED: &str = "user_attributes_deleted";

impl Services {
    pub async fn update_own_attributes(
        &self,
        access_token: &SecretString,
        changes: &UserAttributes,
    ) -> Result<Vec<CodeDelivery>, AuthError> {
        let caller = self.authenticate_access_token(access_token).await?;
        let writer = Writer::User(&caller.client.settings);
        let schema = caller.pool.settings.schema();
        let held = self
            .change_attributes_holding(&caller.pool, &caller.user, changes, |current| {
                apply_write(writer, &schema, Moment::Update, current, changes)
            })
            .await
            .map_err(|e| audit_refusal(UPDATED, &caller, e))?;
        audit(UPDATED, &caller, Outcome::Success).emit();
        self.send_codes_for_changed_contacts(&caller.pool, &caller.user, changes, held)
            .await
    }

    pub async fn delete_own_attributes(
        &self,
        access_token: &SecretString,
        names: &[String],
    ) -> Result<(), AuthError> {
        check_names(names)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let writer = Writer::User(&caller.client.settings);
        let schema = caller.pool.settings.schema();
        self.change_attributes(&caller.user, |current| {
            apply_delete(writer, &schema, current, names)
        })
        .await
        .map_err(|e| audit_refusal(DELETED, &caller, e))?;
        audit(DELETED, &caller, Outcome::Success).emit();
        Ok(())
    }

    /// Decides `change` on the user's stored attributes and writes the result only if they
    /// are still what the decision saw; otherwise decides again on the fresh ones. Concurrent
    /// writers therefore never undo each other (every round that loses means another writer
    /// won, so this terminates), and a refusal is always decided on what is stored.
    pub(crate) async fn change_attributes(
        &self,
        user: &User,
        change: impl Fn(&UserAttributes) -> Result<UserAttributes, WriteRefused>,
    ) -> Result<(), AttributeChangeError> {
        let mut current = user.attributes.clone();
        for _ in 0..MAX_ATTRIBUTE_ROUNDS {
            let next = change(&current).map_err(AttributeChangeError::Refused)?;
            let now = self.clock.now();
            if self
                .store
                .replace_attributes(&user.sub, &current, &next, now)
                .await?
            {
                return Ok(());
            }
            let stored = self
                .store
                .user_by_sub(&user.sub)
                .await?
                .ok_or(AuthError::UserNotFound)?;
            if stored.attributes == current {
                // Same attributes in a different spelling (not written by this version):
                // nothing to race with, so write them as decided.
                self.store.set_attributes(&user.sub, &next, now).await?;
                return Ok(());
            }
            current = stored.attributes;
        }
        Err(AuthError::TooManyRequests.into())
    }
}

/// Rounds of compare-and-set before giving up under extreme contention on one user.
const MAX_ATTRIBUTE_ROUNDS: usize = 100;

/// Why an attribute change did not happen: refused by the rule, or failed.
#[derive(Debug)]
pub(crate) enum AttributeChangeError {
    Refused(WriteRefused),
    Failed(AuthError),
}

impl From<AuthError> for AttributeChangeError {
    fn from(error: AuthError) -> Self {
        Self::Failed(error)
    }
}

impl From<StoreError> for AttributeChangeError {
    fn from(error: StoreError) -> Self {
        Self::Failed(error.into())
    }
}

impl From<AttributeChangeError> for AuthError {
    fn from(error: AttributeChangeError) -> Self {
        match error {
            AttributeChangeError::Refused(refused) => refused.into(),
            AttributeChangeError::Failed(error) => error,
        }
    }
}

fn audit<'a>(event: &'static str, caller: &'a AccessContext, outcome: Outcome) -> AuditEvent<'a> {
    AuditEvent::new(event, caller.pool.id.as_str(), outcome)
        .with_user(&caller.user)
        .with_client(caller.client.id.as_str())
}

/// A forbidden write is an attempt to raise one's own privileges: it is recorded. Values
/// that do not fit the schema are a mistake, not an attempt.
fn audit_refusal(
    event: &'static str,
    caller: &AccessContext,
    error: AttributeChangeError,
) -> AuthError {
    if let AttributeChangeError::Refused(
        WriteRefused::Unauthorized | WriteRefused::AlreadyProvided(_),
    ) = error
    {
        audit(event, caller, Outcome::Failure)
            .with_reason("unauthorized_attribute")
            .emit();
    }
    error.into()
}

/// Attribute names to delete must be names an attribute can have.
pub(crate) fn check_names(names: &[String]) -> Result<(), AuthError> {
    for name in names {
        validate_name(name)
            .map_err(|e| AuthError::InvalidParameter(format!("Invalid attribute name: {e}")))?;
    }
    Ok(())
}
