//! An operator's hand in a user's second factors (docs/operations.md, "Second factors"):
//! enrolling a TOTP authenticator app for them (`gatehouse user mfa associate`, and a seed
//! file's `TotpSecret`), and forgetting every factor when the device is lost
//! (`gatehouse user mfa reset`). Both are audited. The secret is sealed and bound exactly as
//! AssociateSoftwareToken seals it (auth/software_token.rs).

use totp_rs::Secret;

use crate::crypto::opaque::os_random;
use crate::domain::pool::UserPool;
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::totp_uri::otpauth_uri;
use crate::domain::user::User;
use crate::domain::username::Username;

use super::audit::AuditEvent;
use super::software_token::{SECRET_BYTES, binding};
use super::{AuthError, Services};

/// The shortest secret a seed file may give: 128 bits, RFC 4226's floor.
const MIN_SECRET_BYTES: usize = 16;

/// A TOTP app enrolled by an operator: what to hand the user.
pub struct Enrolment {
    /// The secret in base32 (RFC 4648, no padding).
    pub secret_code: SecretString,
    /// The `otpauth://` URI an authenticator app scans; it holds the secret.
    pub uri: SecretString,
}

/// A base32 TOTP secret as a seed file gives it: the bytes, or why not.
pub fn decode_totp_secret(base32: &SecretString) -> Result<Vec<u8>, String> {
    let text: String = base32
        .expose_secret()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .collect::<String>()
        .to_ascii_uppercase();
    let bytes = Secret::try_from_base32(text)
        .map_err(|_| "TotpSecret must be base32 (RFC 4648: A-Z and 2-7)".to_owned())?
        .to_vec();
    if bytes.len() < MIN_SECRET_BYTES {
        return Err(format!(
            "TotpSecret must hold at least {MIN_SECRET_BYTES} bytes (26 base32 characters)"
        ));
    }
    Ok(bytes)
}

impl Services {
    /// Gives the user a new TOTP secret, verified and enabled at once: an operator enrols
    /// the app for them, so no VerifySoftwareToken follows. Any earlier app stops working.
    /// `issuer` names the service in the app; the pool's name when not given.
    pub async fn enrol_software_token(
        &self,
        pool: &UserPool,
        username: &Username,
        issuer: Option<&str>,
    ) -> Result<Enrolment, AuthError> {
        let user = self.find_user(pool, username).await?;
        let bytes = os_random::<SECRET_BYTES>().map_err(AuthError::internal)?;
        self.store_verified_totp(&user, &bytes).await?;
        AuditEvent::for_user("software_token_enrolled", &pool.id, &user)
            .with_reason("operator")
            .emit();
        let secret_code = Secret::from(bytes).to_base32();
        let uri = otpauth_uri(issuer.unwrap_or(&pool.name), &user.username, &secret_code);
        Ok(Enrolment {
            secret_code: secret(secret_code),
            uri: secret(uri),
        })
    }

    /// Makes `bytes` the user's verified TOTP secret unless it already is (a seed file
    /// applied again changes nothing, and keeps the record of codes used). Whether it
    /// changed anything.
    pub(crate) async fn align_totp_secret(
        &self,
        user: &User,
        bytes: &[u8],
    ) -> Result<bool, AuthError> {
        let current = self.store.mfa_of(&user.sub).await?;
        if let Some(sealed) = current.as_ref().and_then(|m| m.totp_secret.as_deref()) {
            let held = self
                .kek
                .open_bound(sealed, &binding(&user.pool_id, &user.sub))
                .map_err(AuthError::internal)?;
            if held == bytes && current.as_ref().is_some_and(|m| m.totp_enabled) {
                return Ok(false);
            }
        }
        self.store_verified_totp(user, bytes).await?;
        AuditEvent::for_user("software_token_enrolled", &user.pool_id, user)
            .with_reason("seed")
            .emit();
        Ok(true)
    }

    async fn store_verified_totp(&self, user: &User, bytes: &[u8]) -> Result<(), AuthError> {
        let sealed = self
            .kek
            .seal_bound(bytes, &binding(&user.pool_id, &user.sub))
            .map_err(AuthError::internal)?;
        self.store
            .put_verified_totp(&user.sub, &sealed, self.clock.now())
            .await?;
        Ok(())
    }

    /// Forgets all of the user's second factors: the verified and any pending TOTP secret,
    /// and the preference. In an `OPTIONAL` pool they then sign in with the password alone;
    /// in an `ON` pool their next sign-in sets up a new app (`MFA_SETUP`). Whether they had
    /// any factor; audited either way, since an operator acted.
    pub async fn reset_mfa(&self, pool: &UserPool, username: &Username) -> Result<bool, AuthError> {
        let user = self.find_user(pool, username).await?;
        let had = self.store.remove_mfa(&user.sub).await?;
        AuditEvent::for_user("mfa_reset", &pool.id, &user)
            .with_reason("operator")
            .emit();
        Ok(had)
    }
}
