//! `UpdateUserAttributes` and `DeleteUserAttributes`: a signed-in user changes their own
//! attributes, within what the app client their access token was issued to may write.

use crate::domain::attribute_access::{Writer, apply_delete, apply_write};
use crate::domain::attributes::{UserAttributes, validate_name};
use crate::domain::secret::SecretString;

use super::audit::AuditEvent;
use super::{AuthError, Services};

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
        )?;
        self.store
            .set_attributes(&caller.user.sub, &next, self.clock.now())
            .await?;
        AuditEvent::for_user("user_attributes_updated", &caller.pool.id, &caller.user)
            .with_client(caller.client.id.as_str())
            .emit();
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
        )?;
        self.store
            .set_attributes(&caller.user.sub, &next, self.clock.now())
            .await?;
        AuditEvent::for_user("user_attributes_deleted", &caller.pool.id, &caller.user)
            .with_client(caller.client.id.as_str())
            .emit();
        Ok(())
    }
}

/// Attribute names to delete must be names an attribute can have.
pub(crate) fn check_names(names: &[String]) -> Result<(), AuthError> {
    for name in names {
        validate_name(name)
            .map_err(|e| AuthError::InvalidParameter(format!("Invalid attribute name: {e}")))?;
    }
    Ok(())
}
