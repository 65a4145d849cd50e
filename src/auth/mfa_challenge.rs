//! The second factor of a sign-in: after the password (or SRP proof) of a user who must
//! present one, the sign-in stops at the user's factor: `SOFTWARE_TOKEN_MFA` (a TOTP code),
//! `EMAIL_OTP` or `SMS_MFA` (a code sent now, `auth/otp_mfa.rs`); at `SELECT_MFA_TYPE` when
//! the user has several and prefers none (`auth/select_mfa_type.rs`); or, in a pool where
//! MFA is `ON` and the user has no factor yet, at `MFA_SETUP` (associate and verify an
//! authenticator app, then answer). Sessions work as `NEW_PASSWORD_REQUIRED`'s do: single
//! use, the client's `AuthSessionValidity`, bound to the pool, app client and user. A wrong
//! code counts toward the same lockout as a wrong password (docs/security.md, "Multi-factor
//! authentication").

use std::collections::BTreeMap;

use crate::crypto::opaque::{OpaqueToken, hash_secret_token};
use crate::domain::app_client::{AppClient, USER_PASSWORD_AUTH};
use crate::domain::clock::UnixSeconds;
use crate::domain::ids::TokenHash;
use crate::domain::pool::UserPool;
use crate::domain::pool_config::MfaConfiguration;
use crate::domain::secret::SecretString;
use crate::domain::user::User;
use crate::domain::username::Username;
use crate::store::{ChallengeRecord, MfaRecord, OtpFactor, Reservation};

use super::audit::{AuditEvent, Outcome};
use super::issue::IssuedTokens;
use super::messages::CodeDelivery;
use super::otp_mfa::{EMAIL_OTP, SMS_MFA, otp_factor, otp_factor_usable};
use super::sign_in::SignInTarget;
use super::{AuthError, NotAuthorized, Services};

pub const SOFTWARE_TOKEN_MFA: &str = "SOFTWARE_TOKEN_MFA";
pub const MFA_SETUP: &str = "MFA_SETUP";
pub const SELECT_MFA_TYPE: &str = "SELECT_MFA_TYPE";
/// The stored name of an `MFA_SETUP` session whose authenticator app has been verified:
/// only such a session may be answered with `MFA_SETUP` for tokens. Never sent to clients.
pub const MFA_SETUP_VERIFIED: &str = "MFA_SETUP:verified";

/// A sign-in halted before its second factor.
pub struct MfaChallenge {
    /// [`SOFTWARE_TOKEN_MFA`], `EMAIL_OTP`, `SMS_MFA`, [`SELECT_MFA_TYPE`] or [`MFA_SETUP`].
    pub name: &'static str,
    pub session: SecretString,
    pub username: String,
    /// The `FriendlyDeviceName` given when the app was verified.
    pub device_name: Option<String>,
    /// `EMAIL_OTP` / `SMS_MFA`: where the code went.
    pub delivery: Option<CodeDelivery>,
    /// `SELECT_MFA_TYPE`: the factors to choose from (`MFAS_CAN_CHOOSE`); `MFA_SETUP`: the
    /// factors the pool offers (`MFAS_CAN_SETUP`).
    pub factors: Vec<&'static str>,
}

impl MfaChallenge {
    pub fn audit_reason(&self) -> &'static str {
        if self.name == MFA_SETUP {
            "mfa_setup_required"
        } else {
            "mfa_required"
        }
    }
}

/// An answer to `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, `SMS_MFA` or `MFA_SETUP`.
#[derive(Debug)]
pub struct MfaAnswer {
    /// The pool (login API) or app client (Cognito API) the answer is sent to.
    pub target: SignInTarget,
    /// [`SOFTWARE_TOKEN_MFA`], `EMAIL_OTP`, `SMS_MFA` or [`MFA_SETUP`].
    pub challenge_name: &'static str,
    /// Required by the Cognito API; optional on the login API. When given it must name
    /// the challenged user.
    pub username: Option<Username>,
    pub session: SecretString,
    /// `SOFTWARE_TOKEN_MFA_CODE`, `EMAIL_OTP_CODE` or `SMS_MFA_CODE`; unused by
    /// `MFA_SETUP`, whose code VerifySoftwareToken took.
    pub code: Option<SecretString>,
    /// `ClientMetadata`: the `clientMetadata` of `PostAuthentication` and
    /// `PreTokenGeneration`.
    pub client_metadata: std::collections::BTreeMap<String, String>,
}

/// The factors a pool offers, in Cognito's order (`MFAS_CAN_SETUP`).
pub(super) fn offered_factors(pool: &UserPool) -> Vec<&'static str> {
    let settings = &pool.settings;
    [
        (SMS_MFA, settings.sms_mfa_configuration.is_some()),
        (
            SOFTWARE_TOKEN_MFA,
            settings.software_token_mfa_configuration.enabled,
        ),
        (EMAIL_OTP, settings.email_mfa_configuration.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, offered)| offered.then_some(name))
    .collect()
}

/// The factors a user can be challenged with in this pool (in Cognito's order), and the
/// preferred one among them.
pub(super) fn usable_factors(
    pool: &UserPool,
    user: &User,
    mfa: Option<&MfaRecord>,
) -> (Vec<&'static str>, Option<&'static str>) {
    let Some(mfa) = mfa else {
        return (Vec::new(), None);
    };
    let totp = pool.settings.software_token_mfa_configuration.enabled
        && mfa.totp_secret.is_some()
        && mfa.totp_enabled;
    let usable = [
        (
            SMS_MFA,
            otp_factor_usable(pool, user, mfa, OtpFactor::Sms),
            mfa.sms_preferred,
        ),
        (SOFTWARE_TOKEN_MFA, totp, mfa.totp_preferred),
        (
            EMAIL_OTP,
            otp_factor_usable(pool, user, mfa, OtpFactor::Email),
            mfa.email_preferred,
        ),
    ];
    let preferred = usable
        .iter()
        .find(|(_, ok, preferred)| *ok && *preferred)
        .map(|(name, _, _)| *name);
    let names = usable
        .into_iter()
        .filter_map(|(name, ok, _)| ok.then_some(name))
        .collect();
    (names, preferred)
}

/// What a second-factor answer presents.
enum Proof<'a> {
    /// A code of the user's authenticator app.
    Totp(&'a SecretString),
    /// The code sent for the challenge `session`.
    Sent {
        factor: OtpFactor,
        session: &'a SecretString,
        code: &'a SecretString,
    },
}

fn invalid_session() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidSession)
}

impl Services {
    /// Whether a user who proved the password must now present a second factor, and if so
    /// the challenge, stored (and for a sent-code factor, the code sent; the sign-in's
    /// `client_metadata` goes to the `CustomMessage` function that words it). Pools with
    /// MFA `OFF` cost no query.
    pub(super) async fn second_factor_challenge(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        client_metadata: &BTreeMap<String, String>,
        now: UnixSeconds,
    ) -> Result<Option<MfaChallenge>, AuthError> {
        if !pool.settings.mfa_active() {
            return Ok(None);
        }
        let mfa = self.store.mfa_of(&user.sub).await?;
        let (usable, preferred) = usable_factors(pool, user, mfa.as_ref());
        let name = match (
            preferred,
            usable.as_slice(),
            pool.settings.mfa_configuration,
        ) {
            (Some(preferred), _, _) => preferred,
            (None, [only], _) => only,
            (None, [_, _, ..], _) => SELECT_MFA_TYPE,
            // An ON pool lets nobody in without a factor: a user without one (or whose
            // factors an operator disabled) sets one up now.
            (None, [], MfaConfiguration::On) => MFA_SETUP,
            (None, [], _) => return Ok(None),
        };
        // A sent code's message is worded first (the CustomMessage function may refuse):
        // only then are the challenge and its code stored.
        let message = match otp_factor(name) {
            Some(factor) => Some(
                self.word_otp_message(pool, &client.id, user, factor, client_metadata)
                    .await?,
            ),
            None => None,
        };
        let session = OpaqueToken::generate().map_err(AuthError::internal)?;
        let expires_at = now + client.settings.auth_session_seconds();
        self.store
            .create_challenge(
                &ChallengeRecord {
                    session_hash: session.hash,
                    pool_id: pool.id.clone(),
                    client_id: client.id.clone(),
                    user_sub: user.sub,
                    challenge_name: name.to_owned(),
                    expires_at,
                },
                now,
            )
            .await?;
        let delivery = match message {
            Some(message) => Some(
                self.send_otp_code(pool, user, message, &session.value, expires_at)
                    .await?,
            ),
            None => None,
        };
        Ok(Some(MfaChallenge {
            name,
            session: session.value,
            username: user.username.clone(),
            device_name: mfa
                .as_ref()
                .filter(|_| name == SOFTWARE_TOKEN_MFA)
                .and_then(|m| m.totp_device_name.clone()),
            delivery,
            factors: match name {
                SELECT_MFA_TYPE => usable,
                MFA_SETUP => offered_factors(pool),
                _ => Vec::new(),
            },
        }))
    }

    /// The open challenge `session_hash` of the name `stored_name`, checked against the
    /// target and user the answer names, with its pool, user and client; not spent.
    pub(super) async fn bound_challenge(
        &self,
        target: &SignInTarget,
        username: Option<&Username>,
        session_hash: &TokenHash,
        stored_name: &str,
        now: UnixSeconds,
    ) -> Result<(ChallengeRecord, UserPool, User, AppClient), AuthError> {
        let (pool, expected_client) = match target {
            SignInTarget::LoginName(name) => (
                self.store
                    .pool_by_login_name(name)
                    .await?
                    .ok_or_else(invalid_session)?,
                None,
            ),
            SignInTarget::Client(id) => {
                let (client, pool) = self.client_and_pool(id).await?;
                (pool, Some(client.id))
            }
        };
        let (challenge, user) = self.open_challenge(session_hash, stored_name, now).await?;
        if challenge.pool_id != pool.id
            || expected_client
                .as_ref()
                .is_some_and(|id| *id != challenge.client_id)
            || username.is_some_and(|name| *name.key() != user.username_key)
        {
            return Err(invalid_session());
        }
        let client = self
            .store
            .client_by_id(&challenge.client_id)
            .await?
            .ok_or_else(invalid_session)?;
        // As for NEW_PASSWORD_REQUIRED: the login API answers only for a client that takes
        // password sign-ins without a secret.
        if expected_client.is_none() && !client.serves_login_api(USER_PASSWORD_AUTH) {
            return Err(invalid_session());
        }
        Ok((challenge, pool, user, client))
    }

    /// Answers `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`, `SMS_MFA` or `MFA_SETUP`: the tokens of
    /// the sign-in.
    pub async fn answer_mfa_challenge(&self, answer: MfaAnswer) -> Result<IssuedTokens, AuthError> {
        let result = self.try_mfa_answer(&answer).await;
        self.telemetry.sign_in(match &result {
            Ok(_) => crate::domain::telemetry::SignInResult::SignedIn,
            Err(error) => error.metric().into(),
        });
        // A success is audited with its user inside; a refusal here, under the target asked.
        if let Err(error) = &result {
            let target = match &answer.target {
                SignInTarget::LoginName(name) => name.clone(),
                SignInTarget::Client(id) => id.to_string(),
            };
            let (outcome, reason) = error.audit();
            let event = AuditEvent::new("sign_in", &target, outcome).with_reason(reason);
            match &answer.username {
                Some(name) => event.with_username(name.as_str()).emit(),
                None => event.emit(),
            }
        }
        result
    }

    async fn try_mfa_answer(&self, answer: &MfaAnswer) -> Result<IssuedTokens, AuthError> {
        let now = self.clock.now();
        let session_hash = hash_secret_token(&answer.session);
        let stored_name = if answer.challenge_name == MFA_SETUP {
            MFA_SETUP_VERIFIED
        } else {
            answer.challenge_name
        };
        // Checked without spending the session: a wrong code leaves it for another try.
        let (_, pool, user, client) = self
            .bound_challenge(
                &answer.target,
                answer.username.as_ref(),
                &session_hash,
                stored_name,
                now,
            )
            .await?;
        let scope = pool.id.to_string();
        if answer.challenge_name != MFA_SETUP {
            let code = answer.code.as_ref().ok_or_else(|| {
                AuthError::InvalidParameter(format!(
                    "Missing required parameter {}_CODE",
                    answer.challenge_name
                ))
            })?;
            let proof = match otp_factor(answer.challenge_name) {
                Some(factor) => Proof::Sent {
                    factor,
                    session: &answer.session,
                    code,
                },
                None => Proof::Totp(code),
            };
            self.check_mfa_code(&pool, &user, &scope, proof, now)
                .await?;
        }
        // The triggers run (and may refuse) before the session is spent.
        self.post_authentication(&pool, &client, &user, &answer.client_metadata)
            .await?;
        let event = super::issue::TokenEvent {
            pool: &pool.id,
            triggers: &pool.settings.lambda_config,
            source: crate::triggers::pre_token_generation::TokenSource::Authentication,
            client_metadata: &answer.client_metadata,
        };
        let prepared = self.prepare_session(&event, &client, &user, now).await?;
        // Only now is the session spent; of two concurrent right answers one gets here
        // (the code itself is accepted once, so the other already failed).
        self.store
            .take_challenge(&session_hash, now)
            .await?
            .ok_or_else(invalid_session)?;
        // Starting the session clears the failure counter in its transaction.
        self.store
            .start_session(&prepared.row, &scope, &user.username_key)
            .await?;
        AuditEvent::for_user("sign_in", &pool.id, &user)
            .with_reason(match answer.challenge_name {
                MFA_SETUP => "mfa_set_up",
                EMAIL_OTP => "email_otp_passed",
                SMS_MFA => "sms_mfa_passed",
                _ => "mfa_passed",
            })
            .emit();
        Ok(prepared.tokens)
    }

    /// Checks a code under the lockout: the attempt is counted before the code is
    /// checked, in the statement that checks the lock, and the code (a TOTP time step, or
    /// a sent code) is taken by one conditional update, so a burst of guesses (or of one
    /// right code) gets nothing more than the free failures allow.
    async fn check_mfa_code(
        &self,
        pool: &UserPool,
        user: &User,
        scope: &str,
        proof: Proof<'_>,
        now: UnixSeconds,
    ) -> Result<(), AuthError> {
        let reserved = match self
            .store
            .reserve_attempt(scope, &user.username_key, &pool.settings.lockout, now)
            .await?
        {
            Reservation::Granted(record) => record,
            Reservation::Locked => {
                return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
            }
        };
        let accepted = match proof {
            Proof::Totp(code) => {
                let sealed = self
                    .store
                    .mfa_of(&user.sub)
                    .await?
                    .and_then(|m| m.totp_secret)
                    .ok_or_else(invalid_session)?;
                match self.totp_step(user, &sealed, code, now)? {
                    Some(step) => self.store.use_totp_step(&user.sub, step, now).await?,
                    None => false,
                }
            }
            Proof::Sent {
                factor,
                session,
                code,
            } => self.use_otp_code(user, factor, session, code, now).await?,
        };
        if accepted {
            return Ok(());
        }
        if reserved.locked_until.is_some_and(|until| until > now) {
            AuditEvent::new("lockout_started", pool.id.as_str(), Outcome::Success)
                .with_user(user)
                .with_failures(reserved.count)
                .emit();
            self.telemetry.lockout_started();
        }
        Err(AuthError::MfaCodeMismatch)
    }
}
