//! What every path that sets a password stores: the Argon2 hash and, beside it, the SRP salt
//! and verifier sealed under the key-encryption key. Administrators (CLI, seed files,
//! AdminCreateUser, AdminSetUserPassword), users (SignUp, ChangePassword, the new-password
//! challenge, password recovery) and the upgrade at sign-in all call
//! [`Services::new_password_credential`], so no path can set one without the other
//! (docs/security.md, "SRP").

use crate::crypto::opaque::os_random;
use crate::crypto::srp::{GROUP_BYTES, SALT_BYTES, Verifier, pool_name};
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::StoredPasswordHash;
use crate::domain::username::UsernameKey;

use super::{AuthError, Services};

/// Who a verifier belongs to. SRP hashes the pool's name and the user's id into it, and the
/// sealed copy is bound to the same, so a verifier copied to another row does not open.
#[derive(Debug, Clone, Copy)]
pub struct CredentialOwner<'a> {
    pub pool_id: &'a UserPoolId,
    pub sub: &'a Sub,
    /// The normalised username, which is the `USER_ID_FOR_SRP` the challenge names.
    pub username_key: &'a UsernameKey,
}

impl CredentialOwner<'_> {
    /// The associated data the sealed verifier is bound to.
    fn binding(&self) -> String {
        format!(
            "srp-verifier\n{}\n{}\n{}",
            self.pool_id, self.sub, self.username_key
        )
    }
}

/// A user's salt and verifier, opened.
pub struct SrpSecret {
    pub salt: [u8; SALT_BYTES],
    pub verifier: Verifier,
}

impl Services {
    /// Hashes a new password (Argon2id) and makes its SRP verifier, both off the async
    /// executor on the bounded hashing threads. The caller stores the result with whatever
    /// else the path changes, in one statement.
    pub async fn new_password_credential(
        &self,
        owner: CredentialOwner<'_>,
        password: &SecretString,
    ) -> Result<StoredPasswordHash, AuthError> {
        let mut credential = self.hasher.hash(password).await?;
        credential.srp_verifier = Some(self.srp_verifier_for(owner, password).await?);
        Ok(credential)
    }

    /// A new salt and the verifier of `password`, sealed.
    async fn srp_verifier_for(
        &self,
        owner: CredentialOwner<'_>,
        password: &SecretString,
    ) -> Result<SecretString, AuthError> {
        let salt = os_random::<SALT_BYTES>().map_err(AuthError::internal)?;
        let pool = pool_name(owner.pool_id.as_str()).to_owned();
        let user_id = owner.username_key.as_str().to_owned();
        let password = password.expose_secret().to_owned();
        let admission = self.hasher.admit().await?;
        let mut plaintext = self
            .hasher
            .compute(admission, move || {
                let verifier = Verifier::compute(&pool, &user_id, &password, &salt);
                let mut plaintext = salt.to_vec();
                plaintext.extend_from_slice(&verifier.to_bytes());
                plaintext
            })
            .await?;
        let sealed = self
            .kek
            .seal_bound(&plaintext, &owner.binding())
            .map_err(AuthError::internal);
        zeroize::Zeroize::zeroize(&mut plaintext);
        Ok(secret(sealed?))
    }

    /// Opens a stored verifier; `None` when there is none or it does not open for this owner
    /// (moved from another row, or sealed under another key), which the caller treats as no
    /// verifier at all.
    pub(crate) fn open_srp_secret(
        &self,
        owner: CredentialOwner<'_>,
        sealed: &SecretString,
    ) -> Option<SrpSecret> {
        let mut plaintext = self
            .kek
            .open_bound(sealed.expose_secret(), &owner.binding())
            .ok()?;
        let opened = (plaintext.len() == SALT_BYTES + GROUP_BYTES)
            .then(|| {
                let (salt, verifier) = plaintext.split_at(SALT_BYTES);
                Some(SrpSecret {
                    salt: salt.try_into().ok()?,
                    verifier: Verifier::from_bytes(verifier)?,
                })
            })
            .flatten();
        zeroize::Zeroize::zeroize(&mut plaintext);
        if opened.is_none() {
            tracing::warn!(sub = %owner.sub, "a stored SRP verifier did not open");
        }
        opened
    }
}
