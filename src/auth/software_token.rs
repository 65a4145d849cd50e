//! TOTP authenticator apps ("software tokens"): `AssociateSoftwareToken` makes a secret,
//! `VerifySoftwareToken` proves the user's app holds it, and sign-in challenges check codes
//! against it. RFC 6238 with SHA-1, 6 digits, 30-second steps and one step of drift either
//! way, computed by the `totp-rs` crate. Secrets are stored only sealed under the
//! key-encryption key, bound to the pool and user; each code is accepted once, by the
//! conditional update that records its time step (docs/security.md, "Multi-factor
//! authentication").

use totp_rs::{Builder, Secret, Totp};

use crate::crypto::opaque::{OpaqueToken, hash_secret_token, os_random};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::{Sub, UserPoolId};
use crate::domain::secret::{ExposeSecret, SecretString, secret};
use crate::domain::user::User;
use crate::store::ChallengeRecord;

use super::access::AccessContext;
use super::mfa_challenge::{MFA_SETUP, MFA_SETUP_VERIFIED};
use super::{AuthError, NotAuthorized, Services};

/// 256 bits: the base32 secret is 52 characters, as long as Cognito's.
pub(super) const SECRET_BYTES: usize = 32;

/// The longest `FriendlyDeviceName` kept (Cognito's `StringType` allows more; a device
/// label needs no more than this).
pub const MAX_DEVICE_NAME_CHARS: usize = 256;

/// Who calls AssociateSoftwareToken or VerifySoftwareToken: a signed-in user, or a sign-in
/// halted at `MFA_SETUP` (its `Session`).
pub enum TokenCaller {
    Signed(Box<AccessContext>),
    Session(SecretString),
}

/// AssociateSoftwareToken's answer.
pub struct Association {
    /// The secret in base32 (RFC 4648, no padding), for the user's authenticator app.
    pub secret_code: SecretString,
    /// The next session of an `MFA_SETUP` sign-in; None for a signed-in caller.
    pub session: Option<SecretString>,
}

/// VerifySoftwareToken's answer.
pub struct Verified {
    /// The session to answer `MFA_SETUP` with; None for a signed-in caller.
    pub session: Option<SecretString>,
}

/// What a sealed TOTP secret is bound to: a secret copied to another user's row does not open.
pub(super) fn binding(pool: &UserPoolId, sub: &Sub) -> String {
    format!("totp-secret\n{pool}\n{sub}")
}

/// The RFC 6238 generator of a secret: SHA-1, 6 digits, 30 s, one step of drift.
fn totp(bytes: Vec<u8>) -> Result<Totp, AuthError> {
    Builder::new()
        .with_secret(bytes)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .build()
        .map_err(|e| AuthError::internal(format!("TOTP parameters refused: {e}")))
}

fn invalid_session() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidSession)
}

impl Services {
    /// Opens a user's sealed TOTP secret and checks `code` at `now`: the time step it
    /// belongs to, or None for a wrong code. A secret that does not open is a server fault.
    pub(super) fn totp_step(
        &self,
        user: &User,
        sealed: &str,
        code: &SecretString,
        now: UnixSeconds,
    ) -> Result<Option<i64>, AuthError> {
        let bytes = self
            .kek
            .open_bound(sealed, &binding(&user.pool_id, &user.sub))
            .map_err(AuthError::internal)?;
        let now = u64::try_from(now).map_err(AuthError::internal)?;
        let step = totp(bytes)?.check(code.expose_secret(), now);
        step.map(i64::try_from)
            .transpose()
            .map_err(AuthError::internal)
    }

    pub async fn associate_software_token(
        &self,
        caller: TokenCaller,
    ) -> Result<Association, AuthError> {
        let now = self.clock.now();
        let (user, challenge) = self.token_caller(caller, MFA_SETUP, now).await?;
        let bytes = os_random::<SECRET_BYTES>().map_err(AuthError::internal)?;
        let secret_code = Secret::from(bytes.to_vec()).to_base32();
        let sealed = self
            .kek
            .seal_bound(&bytes, &binding(&user.pool_id, &user.sub))
            .map_err(AuthError::internal)?;
        // A session is spent by the association it asked for, before anything is stored:
        // of two concurrent associations on one session, one goes on.
        let session = match &challenge {
            Some(taken) => Some(self.next_challenge(taken, MFA_SETUP, now).await?),
            None => None,
        };
        self.store.put_pending_totp(&user.sub, &sealed, now).await?;
        super::audit::AuditEvent::for_user("software_token_associated", &user.pool_id, &user)
            .emit();
        Ok(Association {
            secret_code: secret(secret_code),
            session,
        })
    }

    pub async fn verify_software_token(
        &self,
        caller: TokenCaller,
        code: &SecretString,
        device_name: Option<&str>,
    ) -> Result<Verified, AuthError> {
        let now = self.clock.now();
        let session = match &caller {
            TokenCaller::Session(session) => Some(hash_secret_token(session)),
            TokenCaller::Signed(_) => None,
        };
        // A session is read here and spent only by a right code, so a mistyped code can be
        // typed again.
        let user = match caller {
            TokenCaller::Signed(access) => access.user,
            TokenCaller::Session(value) => {
                self.open_challenge(&hash_secret_token(&value), MFA_SETUP, now)
                    .await?
                    .1
            }
        };
        let pending = self
            .store
            .mfa_of(&user.sub)
            .await?
            .and_then(|mfa| mfa.pending_totp_secret)
            .ok_or(AuthError::SoftwareTokenMfaNotFound)?;
        let step = self
            .totp_step(&user, &pending, code, now)?
            .ok_or(AuthError::EnableSoftwareTokenMfa)?;
        // Applies only while this secret is still the pending one and the code's step is
        // unused: a replayed code, or a second association meanwhile, is refused. Of
        // concurrent verifications exactly one applies, so only it spends the session.
        if !self
            .store
            .activate_totp(&user.sub, &pending, step, device_name, now)
            .await?
        {
            return Err(AuthError::EnableSoftwareTokenMfa);
        }
        let next = match &session {
            Some(hash) => {
                let taken = self
                    .store
                    .take_challenge(hash, now)
                    .await?
                    .ok_or_else(invalid_session)?;
                Some(self.next_challenge(&taken, MFA_SETUP_VERIFIED, now).await?)
            }
            None => None,
        };
        super::audit::AuditEvent::for_user("software_token_verified", &user.pool_id, &user).emit();
        Ok(Verified { session: next })
    }

    /// The user a token operation acts for; with a session, also the challenge it was
    /// taken from (spent).
    async fn token_caller(
        &self,
        caller: TokenCaller,
        expected: &str,
        now: UnixSeconds,
    ) -> Result<(User, Option<ChallengeRecord>), AuthError> {
        match caller {
            TokenCaller::Signed(access) => Ok((access.user, None)),
            TokenCaller::Session(value) => {
                let hash = hash_secret_token(&value);
                let (_, user) = self.open_challenge(&hash, expected, now).await?;
                let taken = self
                    .store
                    .take_challenge(&hash, now)
                    .await?
                    .ok_or_else(invalid_session)?;
                Ok((user, Some(taken)))
            }
        }
    }

    /// An open challenge of the name `expected` and its user, still enabled; not spent.
    pub(super) async fn open_challenge(
        &self,
        hash: &crate::domain::ids::TokenHash,
        expected: &str,
        now: UnixSeconds,
    ) -> Result<(ChallengeRecord, User), AuthError> {
        let challenge = self
            .store
            .challenge(hash)
            .await?
            .filter(|c| c.challenge_name == expected && now < c.expires_at)
            .ok_or_else(invalid_session)?;
        let user = self
            .store
            .user_by_sub(&challenge.user_sub)
            .await?
            .filter(|u| u.enabled && u.pool_id == challenge.pool_id)
            .ok_or_else(invalid_session)?;
        Ok((challenge, user))
    }

    /// A new session continuing the sign-in of `taken` (same pool, client and user) as
    /// `name`, valid for the client's session validity again.
    pub(super) async fn next_challenge(
        &self,
        taken: &ChallengeRecord,
        name: &str,
        now: UnixSeconds,
    ) -> Result<SecretString, AuthError> {
        let client = self
            .store
            .client_by_id(&taken.client_id)
            .await?
            .ok_or_else(invalid_session)?;
        let session = OpaqueToken::generate().map_err(AuthError::internal)?;
        self.store
            .create_challenge(
                &ChallengeRecord {
                    session_hash: session.hash,
                    pool_id: taken.pool_id.clone(),
                    client_id: taken.client_id.clone(),
                    user_sub: taken.user_sub,
                    challenge_name: name.to_owned(),
                    expires_at: now + client.settings.auth_session_seconds(),
                },
                now,
            )
            .await?;
        Ok(session.value)
    }
}
