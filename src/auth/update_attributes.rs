//! `UpdateUserAttributes` and `DeleteUserAttributes`: a signed-in user changes their own
//! attributes, within what the app client their access token was issued to may write.

use crate::domain::attribute_access::{WriteRefused, Writer, apply_delete, apply_write};
use crate::domain::attributes::{UserAttributes, validate_name};
use crate::domain::secret::SecretString;

use super::access::AccessContext;
use super::audit::{AuditEvent, Outcome};
use super::{AuthError, Services};

const UPDATED: &str = "user_attributes_updated";
const DELETED: &str = "user_attributes_deleted";

impl Services {
    pub async fn update_own_attributes(
        &self,
        access_token: &SecretString,
        changes: &UserAttributes,
    ) -> Result<(), AuthError> {
        let caller = self.authenticate_access_token(access_token).await?;
        let next = apply_write(
            Writer::User(&caller.client.settings),
            &caller.user.attributes,
            changes,
        )
        .map_err(|refused| audit_refusal(UPDATED, &caller, refused))?;
        self.store
            .set_attributes(&caller.user.sub, &next, self.clock.now())
            .await?;
        audit(UPDATED, &caller, Outcome::Success).emit();
        Ok(())
    }

    pub async fn delete_own_attributes(
        &self,
        access_token: &SecretString,
        names: &[String],
    ) -> Result<(), AuthError> {
        check_names(names)?;
        let caller = self.authenticate_access_token(access_token).await?;
        let next = apply_delete(
            Writer::User(&caller.client.settings),
            &caller.user.attributes,
            names,
        )
        .map_err(|refused| audit_refusal(DELETED, &caller, refused))?;
        self.store
            .set_attributes(&caller.user.sub, &next, self.clock.now())
            .await?;
        audit(DELETED, &caller, Outcome::Success).emit();
        Ok(())
    }
}

fn audit<'a>(event: &'static str, caller: &'a AccessContext, outcome: Outcome) -> AuditEvent<'a> {
    AuditEvent::new(event, caller.pool.id.as_str(), outcome)
        .with_user(&caller.user)
        .with_client(caller.client.id.as_str())
}

/// A forbidden write is an attempt to raise one's own privileges: it is recorded.
fn audit_refusal(event: &'static str, caller: &AccessContext, refused: WriteRefused) -> AuthError {
    audit(event, caller, Outcome::Failure)
        .with_reason("unauthorized_attribute")
        .emit();
    refused.into()
}

/// Attribute names to delete must be names an attribute can have.
pub(crate) fn check_names(names: &[String]) -> Result<(), AuthError> {
    for name in names {
        validate_name(name)
            .map_err(|e| AuthError::InvalidParameter(format!("Invalid attribute name: {e}")))?;
    }
    Ok(())
}
