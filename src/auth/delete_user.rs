//! `DeleteUser`: a signed-in user deletes their own account. Their sessions and refresh
//! tokens go with the row, so the access token that asked is refused from then on.

use super::access::AccessContext;
use super::audit::AuditEvent;
use super::{AuthError, Services};

impl Services {
    pub async fn delete_own_account(&self, caller: &AccessContext) -> Result<(), AuthError> {
        if !self.store.delete_user(&caller.user.sub).await? {
            // Deleted meanwhile (a concurrent DeleteUser or an administrator).
            return Err(AuthError::UserNotFound);
        }
        AuditEvent::for_user("user_deleted", &caller.pool.id, &caller.user)
            .with_client(caller.client.id.as_str())
            .with_reason("self")
            .emit();
        Ok(())
    }
}
