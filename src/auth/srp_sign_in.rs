//! SRP sign-in (`USER_SRP_AUTH`, then `PASSWORD_VERIFIER`), the flow Cognito's browser and
//! mobile SDKs use by default. The password never reaches the server: the client proves it
//! knows it by signing the challenge with a key only the password (or the stored verifier)
//! yields. The arithmetic is in `crypto/srp.rs`; the wire format and deviations in
//! docs/cognito-compatibility.md ("SRP"); the costs and switches in docs/security.md.
//!
//! Step one answers every username alike: a user without a verifier, and a name that does not
//! exist, get a decoy salt and verifier derived from a server secret, stable per name, so
//! neither the answer nor its cost says who exists. Step two is single use (the challenge row
//! is taken by one statement), counted against the lockout like a password attempt, and
//! reveals account state only to a client that proved the password, as password sign-in does.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::crypto::opaque::os_random;
use crate::crypto::srp::{
    ClientPublic, EPHEMERAL_BYTES, SALT_BYTES, ServerEphemeral, Verifier, pool_name, to_hex,
};
use crate::domain::app_client::AppClient;
use crate::domain::ids::UserPoolId;
use crate::domain::secret::{ExposeSecret, SecretString};
use crate::domain::user::User;
use crate::domain::username::{Username, UsernameKey};
use crate::store::{Reservation, SrpChallengeRecord};

use super::audit::{AuditEvent, Outcome};
use super::password_credential::CredentialOwner;
use super::sign_in::{SignInOutcome, audit_sign_in, sign_in_result};
use super::{AuthError, Cause, NotAuthorized, Services};

pub const PASSWORD_VERIFIER: &str = "PASSWORD_VERIFIER";

/// Random bytes in a `SECRET_BLOCK`: the handle of the challenge, signed into the proof.
const SECRET_BLOCK_BYTES: usize = 64;

/// What the client sends to start: `USERNAME` and `SRP_A`.
#[derive(Debug)]
pub struct SrpStart {
    pub username: Username,
    pub client_public: ClientPublic,
}

/// `PASSWORD_VERIFIER`'s challenge parameters.
pub struct PasswordVerifierChallenge {
    /// The salt, hexadecimal.
    pub salt: String,
    /// B, hexadecimal.
    pub server_public: String,
    /// Base64; the client signs it and sends it back.
    pub secret_block: String,
    /// The username as the client gave it.
    pub username: String,
    /// The identity hashed into the verifier: the user's normalised username.
    pub user_id_for_srp: String,
}

/// The client's answer: `USERNAME`, `PASSWORD_CLAIM_SECRET_BLOCK`, `TIMESTAMP`,
/// `PASSWORD_CLAIM_SIGNATURE` and, for clients with a secret, `SECRET_HASH`.
#[derive(Debug)]
pub struct PasswordVerifierAnswer {
    pub username: Username,
    pub secret_block: Vec<u8>,
    /// Already checked to be in Cognito's format; signed as it was sent.
    pub timestamp: String,
    pub signature: Vec<u8>,
    pub secret_hash: Option<SecretString>,
    /// `ClientMetadata`: the `PreAuthentication` function's `validationData`, and the
    /// `clientMetadata` of `PostAuthentication` and `PreTokenGeneration`.
    pub client_metadata: BTreeMap<String, String>,
}

/// The salt and private exponent of a decoy verifier for (pool, name).
struct Decoy {
    salt: [u8; SALT_BYTES],
    exponent: [u8; 32],
}

pub(super) fn secret_block_hash(secret_block: &[u8]) -> String {
    Sha256::digest(secret_block)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the sealed ephemeral secret is bound to: the challenge row's every fact.
fn ephemeral_binding(
    block_hash: &str,
    pool: &UserPoolId,
    client: &AppClient,
    username_key: &UsernameKey,
) -> String {
    format!(
        "srp-ephemeral\n{block_hash}\n{pool}\n{}\n{username_key}",
        client.id
    )
}

fn internal(error: impl Into<Cause>) -> AuthError {
    AuthError::internal(error)
}

fn invalid_session() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidSession)
}

impl Services {
    /// A decoy salt and exponent, stable per pool and name, from a key derived from the
    /// key-encryption key: an unknown name answers the same way every time, like a real one.
    fn srp_decoy(&self, pool: &UserPoolId, username_key: &UsernameKey) -> Result<Decoy, AuthError> {
        let key = self.kek.derive_key("gatehouse srp decoy verifier v1");
        let derive = |label: &str| -> Result<[u8; 32], AuthError> {
            let mut mac =
                <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).map_err(internal)?;
            mac.update(format!("{label}\n{pool}\n{username_key}").as_bytes());
            Ok(mac.finalize().into_bytes().into())
        };
        let salt_bytes = derive("salt")?;
        let mut salt = [0u8; SALT_BYTES];
        salt.copy_from_slice(&salt_bytes[..SALT_BYTES]);
        Ok(Decoy {
            salt,
            exponent: derive("exponent")?,
        })
    }

    /// The SRP identity given out for an unknown name in a pool whose usernames are UUIDs:
    /// a UUID derived from the name, stable like the decoy verifier, so the answer does not
    /// say whether the e-mail address or phone number has an account.
    fn srp_decoy_user_id(
        &self,
        pool: &UserPoolId,
        username_key: &UsernameKey,
    ) -> Result<UsernameKey, AuthError> {
        let key = self.kek.derive_key("gatehouse srp decoy user id v1");
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).map_err(internal)?;
        mac.update(format!("{pool}\n{username_key}").as_bytes());
        let digest: [u8; 32] = mac.finalize().into_bytes().into();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let id = uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string();
        Ok(UsernameKey::from_stored(id))
    }

    /// The user's opened salt and verifier, if they have one that opens.
    pub(super) fn user_srp_secret(
        &self,
        user: Option<&User>,
    ) -> Option<super::password_credential::SrpSecret> {
        let user = user?;
        let sealed = user.password.as_ref()?.srp_verifier.as_ref()?;
        self.open_srp_secret(
            CredentialOwner {
                pool_id: &user.pool_id,
                sub: &user.sub,
                username_key: &user.username_key,
            },
            sealed,
        )
    }

    /// Step one: `InitiateAuth` / `AdminInitiateAuth` with `USER_SRP_AUTH`, for a client
    /// that allows it (checked by the caller with the client's secret hash).
    pub async fn start_srp_sign_in(
        &self,
        client: &AppClient,
        start: SrpStart,
    ) -> Result<PasswordVerifierChallenge, AuthError> {
        // A place in the hashing queue first: the modular exponentiations run there.
        let admission = self.hasher.admit().await?;
        let now = self.clock.now();
        let pool_id = client.pool_id.clone();
        let names = self
            .store
            .pool_by_id(&pool_id)
            .await?
            .map(|pool| pool.settings.sign_in_names)
            .unwrap_or_default();
        let typed = names.key(&start.username);
        let user = self.store.user_by_sign_in_name(&pool_id, &typed).await?;
        // The SRP identity is the user's username, whichever of their names was typed, as
        // in Cognito (USER_ID_FOR_SRP); the client hashes its proof over it.
        // USERNAME in the challenge is the name typed, or the username when it was an alias.
        let (key, username) = match &user {
            Some(user) if user.username_key != typed => {
                (user.username_key.clone(), user.username.clone())
            }
            Some(user) => (
                user.username_key.clone(),
                start.username.as_str().to_owned(),
            ),
            None if names.by_username_attribute() => {
                let decoy = self.srp_decoy_user_id(&pool_id, &typed)?;
                let name = decoy.as_str().to_owned();
                (decoy, name)
            }
            None => (typed, start.username.as_str().to_owned()),
        };
        let real = self.user_srp_secret(user.as_ref());
        let decoy = self.srp_decoy(&pool_id, &key)?;
        let secret = os_random::<EPHEMERAL_BYTES>().map_err(internal)?;
        let secret_block = os_random::<SECRET_BLOCK_BYTES>().map_err(internal)?;
        let (salt, server_public) = self
            .hasher
            .compute(admission, move || {
                // The decoy is computed for real users too, so both cost the same.
                let decoy_verifier = Verifier::from_exponent(&decoy.exponent);
                let (salt, verifier) = match real {
                    Some(real) => (real.salt, real.verifier),
                    None => (decoy.salt, decoy_verifier),
                };
                (salt, ServerEphemeral::new(secret, &verifier).public_hex())
            })
            .await?;
        let block_hash = secret_block_hash(&secret_block);
        let sealed_secret = self
            .kek
            .seal_bound(
                &secret,
                &ephemeral_binding(&block_hash, &pool_id, client, &key),
            )
            .map_err(internal)?;
        self.store
            .create_srp_challenge(
                &SrpChallengeRecord {
                    secret_block_hash: block_hash,
                    pool_id: pool_id.clone(),
                    client_id: client.id.clone(),
                    username: start.username.as_str().to_owned(),
                    username_key: key.clone(),
                    client_public: start.client_public.to_hex(),
                    server_secret: sealed_secret,
                    expires_at: now + client.settings.auth_session_seconds(),
                },
                now,
            )
            .await?;
        AuditEvent::new("sign_in", pool_id.as_str(), Outcome::Success)
            .with_username(start.username.as_str())
            .with_reason("password_verifier_challenge")
            .emit();
        Ok(PasswordVerifierChallenge {
            salt: to_hex(&salt),
            server_public,
            secret_block: STANDARD.encode(secret_block),
            username,
            user_id_for_srp: key.as_str().to_owned(),
        })
    }

    /// Step two: `RespondToAuthChallenge` / `AdminRespondToAuthChallenge` with
    /// `PASSWORD_VERIFIER`.
    pub async fn answer_password_verifier(
        &self,
        client: &AppClient,
        answer: PasswordVerifierAnswer,
    ) -> Result<SignInOutcome, AuthError> {
        let username = answer.username.as_str().to_owned();
        let result = self.try_password_verifier(client, answer).await;
        self.telemetry.sign_in(sign_in_result(result.as_ref()));
        audit_sign_in(
            client.pool_id.as_str(),
            &username,
            Some("srp"),
            result.as_ref(),
        );
        result
    }

    async fn try_password_verifier(
        &self,
        client: &AppClient,
        mut answer: PasswordVerifierAnswer,
    ) -> Result<SignInOutcome, AuthError> {
        let client_metadata = std::mem::take(&mut answer.client_metadata);
        let checked = self.check_password_verifier(client, answer).await?;
        let scope = checked.pool.id.to_string();
        match checked.proven_user() {
            Ok(user) => {
                self.admit_proven(
                    &checked.pool,
                    client,
                    user,
                    &scope,
                    &client_metadata,
                    self.clock.now(),
                )
                .await
            }
            Err(refused) => Err(self.refuse_srp(client, &checked, refused)),
        }
    }

    /// The refusal of a `PASSWORD_VERIFIER` answer that did not prove the password.
    pub(super) fn refuse_srp(
        &self,
        client: &AppClient,
        checked: &CheckedVerifier,
        user_exists: bool,
    ) -> AuthError {
        self.refuse_unproven(
            &checked.reserved,
            Some(&checked.pool),
            Some(client),
            user_exists,
            checked.pool.id.as_str(),
            &checked.challenge.username,
            self.clock.now(),
        )
    }

    /// Takes the challenge a `PASSWORD_VERIFIER` answer names and checks the proof, under
    /// the lockout: the attempt is counted before the proof is checked.
    pub(super) async fn check_password_verifier(
        &self,
        client: &AppClient,
        answer: PasswordVerifierAnswer,
    ) -> Result<CheckedVerifier, AuthError> {
        let admission = self.hasher.admit().await?;
        let now = self.clock.now();
        let block_hash = secret_block_hash(&answer.secret_block);
        // Spent here, whatever follows: of any number of answers (concurrent, replayed, on
        // any replica) exactly one gets the challenge.
        let challenge = self
            .store
            .take_srp_challenge(&block_hash, now)
            .await?
            .filter(|c| c.client_id == client.id)
            .ok_or_else(invalid_session)?;
        // Cognito's clients hash SECRET_HASH over either name: USERNAME (the id for SRP) or
        // the name first given.
        let secret_hash = answer.secret_hash.as_ref();
        if self
            .check_secret_hash(client, answer.username.as_str(), secret_hash)
            .is_err()
        {
            self.check_secret_hash(client, &challenge.username, secret_hash)?;
        }
        let pool = self
            .store
            .pool_by_id(&challenge.pool_id)
            .await?
            .ok_or_else(invalid_session)?;
        // USERNAME is the SRP identity the challenge gave out, or the name first typed.
        let names = &pool.settings.sign_in_names;
        let answered = names.key(&answer.username);
        let first_typed = Username::parse(&challenge.username)
            .map(|name| names.key(&name))
            .map_err(internal)?;
        if answered != challenge.username_key && answered != first_typed {
            return Err(invalid_session());
        }
        let scope = pool.id.to_string();
        let key = &challenge.username_key;
        let reserved = match self
            .store
            .reserve_attempt(&scope, key, &pool.settings.lockout, now)
            .await?
        {
            Reservation::Granted(record) => record,
            Reservation::Locked => {
                return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
            }
        };

        let user = self.store.user_by_key(&pool.id, key).await?;
        let real = self.user_srp_secret(user.as_ref());
        let has_real = real.is_some();
        let decoy = self.srp_decoy(&pool.id, key)?;
        let mut opened = self
            .kek
            .open_bound(
                &challenge.server_secret,
                &ephemeral_binding(&block_hash, &pool.id, client, key),
            )
            .map_err(internal)?;
        let secret: [u8; EPHEMERAL_BYTES] = opened.as_slice().try_into().map_err(internal)?;
        zeroize::Zeroize::zeroize(&mut opened);
        let client_public = ClientPublic::parse_hex(&challenge.client_public).map_err(internal)?;
        let pool_name = pool_name(pool.id.as_str()).to_owned();
        let user_id = key.as_str().to_owned();
        let PasswordVerifierAnswer {
            secret_block,
            timestamp,
            signature,
            ..
        } = answer;
        let proven = self
            .hasher
            .compute(admission, move || {
                let decoy_verifier = Verifier::from_exponent(&decoy.exponent);
                let verifier = match real {
                    Some(real) => real.verifier,
                    None => decoy_verifier,
                };
                let server = ServerEphemeral::new(secret, &verifier);
                server
                    .password_key(&client_public, &verifier)
                    .is_ok_and(|key| {
                        key.verify_claim(
                            &pool_name,
                            &user_id,
                            &secret_block,
                            &timestamp,
                            &signature,
                        )
                    })
            })
            .await?;

        Ok(CheckedVerifier {
            pool,
            user,
            proven: proven && has_real,
            reserved,
            challenge,
        })
    }
}

/// A `PASSWORD_VERIFIER` answer, checked: its challenge (now spent), the pool, the user the
/// challenge named (if one exists) and whether the proof opened with their verifier.
pub(super) struct CheckedVerifier {
    pub pool: crate::domain::pool::UserPool,
    pub user: Option<User>,
    pub proven: bool,
    pub reserved: crate::domain::lockout::FailureRecord,
    pub challenge: SrpChallengeRecord,
}

impl CheckedVerifier {
    /// The user whose password was proven, or whether a user the proof failed for exists.
    pub fn proven_user(&self) -> Result<&User, bool> {
        match &self.user {
            Some(user) if self.proven => Ok(user),
            user => Err(user.is_some()),
        }
    }
}
