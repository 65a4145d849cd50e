//! Custom authentication (`CUSTOM_AUTH`): the pool's own functions run the sign-in.
//! DefineAuthChallenge reads the challenges so far and decides what comes next;
//! CreateAuthChallenge makes each `CUSTOM_CHALLENGE`; VerifyAuthChallengeResponse judges each
//! answer. A sign-in may start with the password (SRP: `SRP_A` then `PASSWORD_VERIFIER`; on
//! the login API the password itself) before its custom challenges (docs/triggers.md,
//! "Custom authentication").
//!
//! Between steps the sign-in lives in a `custom_auth_sessions` row found by the hash of the
//! opaque `Session`: single use (taken by one statement, so of any number of concurrent
//! answers exactly one is verified), the client's `AuthSessionValidity`, and its state (the
//! history and the private parameters, often the expected answer) sealed under the
//! key-encryption key and bound to the row. A password step counts toward the lockout like
//! any password attempt. When the functions issue tokens the user is admitted as after a
//! password: account state, the pool's MFA and `NEW_PASSWORD_REQUIRED` still apply.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::crypto::opaque::{OpaqueToken, hash_secret_token};
use crate::crypto::password::Verification;
use crate::crypto::srp::ClientPublic;
use crate::domain::app_client::{AppClient, CUSTOM_AUTH};
use crate::domain::pool::UserPool;
use crate::domain::secret::SecretString;
use crate::domain::telemetry::SignInResult;
use crate::domain::user::User;
use crate::domain::username::{Username, UsernameKey};
use crate::store::{CustomAuthRecord, Reservation};
use crate::triggers::define_auth_challenge::{ChallengeResult, ChallengeSubject, Decision};
use crate::triggers::{Caller, user_attributes};

use super::audit::{AuditEvent, Outcome};
use super::sign_in::{SignInOutcome, SignInTarget, audit_sign_in, sign_in_result};
use super::srp_sign_in::{
    PASSWORD_VERIFIER, PasswordVerifierAnswer, PasswordVerifierChallenge, SrpStart,
    secret_block_hash,
};
use super::{AuthError, NotAuthorized, Services};

pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";
/// The first entry of a sign-in that starts with SRP, as DefineAuthChallenge sees it.
pub const SRP_A: &str = "SRP_A";

/// The longest history a sign-in may reach: every answer is a round trip with the functions,
/// and the history is kept (sealed) until the next one; a DefineAuthChallenge that never
/// ends a sign-in is stopped here (docs/triggers.md).
const MAX_STEPS: usize = 16;

/// The longest `ANSWER` read (Cognito's limit on a challenge response): anything longer is
/// refused before a function is called.
pub const MAX_ANSWER_CHARS: usize = 2048;

/// Cognito's message when a pool lacks the functions the flow needs.
const NOT_CONFIGURED: &str = "Custom auth lambda trigger is not configured for the user pool.";

/// What a custom sign-in starts with besides the username.
#[derive(Debug)]
pub enum CustomProof {
    /// Nothing: the functions' challenges are the whole sign-in.
    Nothing,
    /// `SRP_A` with `CHALLENGE_NAME: SRP_A` (the Cognito API): the password is proven by SRP
    /// when DefineAuthChallenge asks for `PASSWORD_VERIFIER`. Boxed: A is a 3072-bit number.
    Srp(Box<ClientPublic>),
    /// The password itself (the login API), checked when DefineAuthChallenge asks for
    /// `PASSWORD_VERIFIER`, as SRP would have proven it.
    Password(SecretString),
}

/// `InitiateAuth` with `CUSTOM_AUTH`, or `/Login` with `"AuthFlow": "CUSTOM_AUTH"`.
#[derive(Debug)]
pub struct CustomAuthStart {
    pub target: SignInTarget,
    pub username: Username,
    pub proof: CustomProof,
    pub client_metadata: BTreeMap<String, String>,
}

/// An answer to `CUSTOM_CHALLENGE`.
pub struct CustomAnswer {
    pub target: SignInTarget,
    /// Required by the Cognito API; optional on the login API. When given it must name
    /// the challenged user.
    pub username: Option<Username>,
    pub session: SecretString,
    /// `ANSWER`: handed to VerifyAuthChallengeResponse as it was sent.
    pub answer: SecretString,
    pub client_metadata: BTreeMap<String, String>,
}

/// A `CUSTOM_CHALLENGE` for the client to answer.
pub struct CustomChallenge {
    pub session: SecretString,
    /// CreateAuthChallenge's public parameters, and `USERNAME`.
    pub parameters: BTreeMap<String, String>,
}

/// Where a custom sign-in step ended.
pub enum CustomOutcome {
    /// The functions issued tokens: the tokens, or the pool's own challenge that still
    /// stands before them (a second factor, a new password).
    SignedIn(SignInOutcome),
    Challenge(CustomChallenge),
    /// SRP's second step, with the session that carries the sign-in on.
    PasswordVerifier {
        challenge: PasswordVerifierChallenge,
        session: SecretString,
    },
}

/// What is kept between steps, sealed.
#[derive(Serialize, Deserialize)]
struct SessionState {
    history: Vec<ChallengeResult>,
    /// Set when no user has the name: the functions are told, and tokens are never issued.
    user_not_found: bool,
    /// The open `CUSTOM_CHALLENGE`'s private parameters and metadata.
    #[serde(default)]
    private_parameters: BTreeMap<String, String>,
    #[serde(default)]
    metadata: Option<String>,
    /// The open `PASSWORD_VERIFIER`'s SRP challenge (the SHA-256 of its `SECRET_BLOCK`).
    #[serde(default)]
    srp_block_hash: Option<String>,
}

/// One custom sign-in in flight.
struct Flow {
    pool: UserPool,
    client: AppClient,
    /// As the client first gave it.
    username: Username,
    username_key: UsernameKey,
    user: Option<User>,
    client_metadata: BTreeMap<String, String>,
}

impl Flow {
    fn subject(&self, user_not_found: bool) -> ChallengeSubject<'_> {
        let user = self.user.as_ref().filter(|_| !user_not_found);
        ChallengeSubject {
            caller: Caller {
                pool: &self.pool.id,
                client: Some(&self.client.id),
                user_name: user.map_or(self.username.as_str(), |u| u.username.as_str()),
            },
            user_attributes: user.map_or_else(|| serde_json::json!({}), user_attributes),
            user_not_found,
            client_metadata: &self.client_metadata,
        }
    }

    fn function(&self, name: fn(&UserPool) -> Option<&String>) -> Result<&str, AuthError> {
        name(&self.pool)
            .map(String::as_str)
            .ok_or_else(|| AuthError::InvalidParameter(NOT_CONFIGURED.to_owned()))
    }

    /// The username the challenge names: the user's own, or the name given.
    fn challenge_username(&self) -> String {
        self.user
            .as_ref()
            .map_or_else(|| self.username.as_str().to_owned(), |u| u.username.clone())
    }
}

fn invalid_session() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::InvalidSession)
}

fn incorrect() -> AuthError {
    AuthError::NotAuthorized(NotAuthorized::IncorrectCredentials)
}

fn step(name: &str, result: bool, metadata: Option<String>) -> ChallengeResult {
    ChallengeResult {
        challenge_name: name.to_owned(),
        challenge_result: result,
        challenge_metadata: metadata,
    }
}

/// What the sealed state is bound to: the row's every fact, so no state opens in another row.
fn state_binding(record: &CustomAuthRecord) -> String {
    format!(
        "custom-auth\n{}\n{}\n{}\n{}",
        record.session_hash.as_str(),
        record.pool_id,
        record.client_id,
        record.username_key
    )
}

impl Services {
    /// Starts a custom sign-in: DefineAuthChallenge's first decision.
    pub async fn start_custom_auth(
        &self,
        start: CustomAuthStart,
    ) -> Result<CustomOutcome, AuthError> {
        let label = match &start.target {
            SignInTarget::LoginName(name) => name.clone(),
            SignInTarget::Client(id) => id.to_string(),
        };
        let username = start.username.as_str().to_owned();
        let result = self.try_start_custom(start).await;
        self.observe_custom(&label, &username, &result);
        result
    }

    async fn try_start_custom(&self, start: CustomAuthStart) -> Result<CustomOutcome, AuthError> {
        let (pool, client) = match &start.target {
            SignInTarget::Client(id) => {
                let (client, pool) = self.client_and_pool(id).await?;
                (pool, client)
            }
            SignInTarget::LoginName(_) => match self.resolve_target(&start.target).await? {
                (Some(pool), Some(client), _) => (pool, client),
                _ => return Err(incorrect()),
            },
        };
        if !client.settings.allows(CUSTOM_AUTH) {
            return Err(AuthError::InvalidParameter(
                "CUSTOM_AUTH flow not enabled for this client".to_owned(),
            ));
        }
        if pool.settings.lambda_config.define_auth_challenge.is_none() {
            return Err(AuthError::InvalidParameter(NOT_CONFIGURED.to_owned()));
        }
        let typed = pool.settings.sign_in_names.key(&start.username);
        let user = self.store.user_by_sign_in_name(&pool.id, &typed).await?;
        // Only a client that opted out of existence-error prevention (Cognito's LEGACY)
        // learns that the user does not exist; for the others the functions run, told so.
        if user.is_none() && !client.settings.prevent_user_existence_errors {
            return Err(AuthError::UserNotFound);
        }
        if let Some(user) = &user {
            self.pre_authentication(&pool, &client, user, &start.client_metadata)
                .await?;
        }
        let history = match start.proof {
            CustomProof::Nothing => Vec::new(),
            CustomProof::Srp(_) | CustomProof::Password(_) => vec![step(SRP_A, true, None)],
        };
        let flow = Flow {
            username_key: user.as_ref().map_or(typed, |u| u.username_key.clone()),
            pool,
            client,
            username: start.username,
            user,
            client_metadata: start.client_metadata,
        };
        let state = SessionState {
            history,
            user_not_found: flow.user.is_none(),
            private_parameters: BTreeMap::new(),
            metadata: None,
            srp_block_hash: None,
        };
        self.define_next(&flow, state, start.proof).await
    }

    /// Answers a `CUSTOM_CHALLENGE`: the session is spent, VerifyAuthChallengeResponse judges
    /// the answer, and DefineAuthChallenge decides what follows.
    pub async fn answer_custom_challenge(
        &self,
        answer: CustomAnswer,
    ) -> Result<CustomOutcome, AuthError> {
        let label = match &answer.target {
            SignInTarget::LoginName(name) => name.clone(),
            SignInTarget::Client(id) => id.to_string(),
        };
        let username = answer
            .username
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default();
        let result = self.try_custom_answer(answer).await;
        self.observe_custom(&label, &username, &result);
        result
    }

    async fn try_custom_answer(&self, answer: CustomAnswer) -> Result<CustomOutcome, AuthError> {
        let now = self.clock.now();
        // Spent first, whatever follows: the function is asked about each session once.
        let record = self
            .store
            .take_custom_auth(&hash_secret_token(&answer.session), now)
            .await?
            .filter(|r| r.challenge_name == CUSTOM_CHALLENGE)
            .ok_or_else(invalid_session)?;
        let (flow, mut state) = self
            .resume_custom(
                &record,
                &answer.target,
                answer.username.as_ref(),
                answer.client_metadata,
            )
            .await?;
        let function = flow.function(|pool| {
            pool.settings
                .lambda_config
                .verify_auth_challenge_response
                .as_ref()
        })?;
        let correct = self
            .triggers
            .verify_auth_challenge_response(
                function,
                &flow.subject(state.user_not_found),
                &state.private_parameters,
                &answer.answer,
            )
            .await?;
        state.private_parameters.clear();
        let metadata = state.metadata.take();
        state
            .history
            .push(step(CUSTOM_CHALLENGE, correct, metadata));
        self.define_next(&flow, state, CustomProof::Nothing).await
    }

    /// Answers the `PASSWORD_VERIFIER` of a custom sign-in (the answer carries its session):
    /// the SRP proof is checked as in a plain SRP sign-in, and a proven password is the next
    /// entry of the history.
    pub async fn answer_custom_password_verifier(
        &self,
        client: &AppClient,
        session: &SecretString,
        answer: PasswordVerifierAnswer,
    ) -> Result<CustomOutcome, AuthError> {
        let username = answer.username.as_str().to_owned();
        let result = self
            .try_custom_password_verifier(client, session, answer)
            .await;
        self.observe_custom(client.pool_id.as_str(), &username, &result);
        result
    }

    async fn try_custom_password_verifier(
        &self,
        client: &AppClient,
        session: &SecretString,
        mut answer: PasswordVerifierAnswer,
    ) -> Result<CustomOutcome, AuthError> {
        let now = self.clock.now();
        let client_metadata = std::mem::take(&mut answer.client_metadata);
        let record = self
            .store
            .take_custom_auth(&hash_secret_token(session), now)
            .await?
            .filter(|r| r.challenge_name == PASSWORD_VERIFIER && r.client_id == client.id)
            .ok_or_else(invalid_session)?;
        let target = SignInTarget::Client(client.id.clone());
        let (mut flow, mut state) = self
            .resume_custom(&record, &target, None, client_metadata)
            .await?;
        // The answer must be to the SRP challenge this sign-in opened, not to another one.
        if state.srp_block_hash.take().as_deref() != Some(&secret_block_hash(&answer.secret_block))
        {
            return Err(invalid_session());
        }
        let checked = self.check_password_verifier(client, answer).await?;
        match checked.proven_user() {
            Ok(user) => {
                // The password was right: its attempt no longer counts; the custom
                // challenges that follow are the functions' to limit.
                self.store
                    .clear_failures(checked.pool.id.as_str(), &user.username_key)
                    .await?;
                flow.user = Some(user.clone());
            }
            Err(user_exists) => return Err(self.refuse_srp(client, &checked, user_exists)),
        }
        state.history.push(step(PASSWORD_VERIFIER, true, None));
        self.define_next(&flow, state, CustomProof::Nothing).await
    }

    /// The flow and state a stored session carries on, checked against the target and the
    /// user the answer names.
    async fn resume_custom(
        &self,
        record: &CustomAuthRecord,
        target: &SignInTarget,
        username: Option<&Username>,
        client_metadata: BTreeMap<String, String>,
    ) -> Result<(Flow, SessionState), AuthError> {
        let (client, pool) = self
            .client_and_pool(&record.client_id)
            .await
            .map_err(|_| invalid_session())?;
        let bound = match target {
            SignInTarget::Client(id) => *id == record.client_id,
            SignInTarget::LoginName(name) => {
                self.store
                    .pool_by_login_name(name)
                    .await?
                    .is_some_and(|p| p.id == record.pool_id)
                    && client.serves_login_api(CUSTOM_AUTH)
            }
        };
        let first = Username::parse(&record.username).map_err(AuthError::internal)?;
        let names = &pool.settings.sign_in_names;
        let names_the_user = username.is_none_or(|name| {
            let key = names.key(name);
            key == record.username_key || key == names.key(&first)
        });
        if !bound || pool.id != record.pool_id || !names_the_user {
            return Err(invalid_session());
        }
        let opened = self
            .kek
            .open_bound(&record.state, &state_binding(record))
            .map_err(AuthError::internal)?;
        let state: SessionState = serde_json::from_slice(&opened).map_err(AuthError::internal)?;
        // A user created under the name since the sign-in began is not this sign-in's user.
        let user = if state.user_not_found {
            None
        } else {
            self.store
                .user_by_key(&pool.id, &record.username_key)
                .await?
        };
        let flow = Flow {
            pool,
            client,
            username: first,
            username_key: record.username_key.clone(),
            user,
            client_metadata,
        };
        Ok((flow, state))
    }

    /// Asks DefineAuthChallenge what follows the history, and does it.
    async fn define_next(
        &self,
        flow: &Flow,
        mut state: SessionState,
        mut proof: CustomProof,
    ) -> Result<CustomOutcome, AuthError> {
        let define =
            flow.function(|pool| pool.settings.lambda_config.define_auth_challenge.as_ref())?;
        loop {
            if state.history.len() > MAX_STEPS {
                return Err(incorrect());
            }
            let decision = self
                .triggers
                .define_auth_challenge(define, &flow.subject(state.user_not_found), &state.history)
                .await?;
            let name = match decision {
                Decision::Fail => return Err(incorrect()),
                Decision::IssueTokens => return self.finish_custom(flow, &state).await,
                Decision::Challenge(name) => name,
            };
            let password_next = name == PASSWORD_VERIFIER
                && state.history.len() == 1
                && state.history[0].challenge_name == SRP_A;
            if name == CUSTOM_CHALLENGE {
                return self.create_custom_challenge(flow, state).await;
            }
            if !password_next {
                // Cognito's own challenges other than the password are not run here (the
                // pool's MFA follows the sequence instead); an answer naming one is refused.
                return Err(AuthError::InvalidLambdaResponse(
                    "Unrecognizable lambda output".to_owned(),
                ));
            }
            match std::mem::replace(&mut proof, CustomProof::Nothing) {
                CustomProof::Srp(client_public) => {
                    return self
                        .open_password_verifier(flow, state, *client_public)
                        .await;
                }
                CustomProof::Password(password) => {
                    self.check_custom_password(flow, &password).await?;
                    state.history.push(step(PASSWORD_VERIFIER, true, None));
                }
                CustomProof::Nothing => {
                    return Err(AuthError::InvalidLambdaResponse(
                        "Unrecognizable lambda output".to_owned(),
                    ));
                }
            }
        }
    }

    /// The functions issued tokens: admitted as after a password, so account state, the
    /// pool's MFA and a required new password still apply. Never for a name no user has.
    async fn finish_custom(
        &self,
        flow: &Flow,
        state: &SessionState,
    ) -> Result<CustomOutcome, AuthError> {
        if state.user_not_found {
            return Err(incorrect());
        }
        // Read again: a custom sign-in may span minutes.
        let user = self
            .store
            .user_by_key(&flow.pool.id, &flow.username_key)
            .await?
            .ok_or_else(incorrect)?;
        let outcome = self
            .admit_user(
                &flow.pool,
                &flow.client,
                &user,
                (
                    flow.pool.id.as_str(),
                    &flow.client_metadata,
                    self.clock.now(),
                ),
                &mut false,
            )
            .await?;
        Ok(CustomOutcome::SignedIn(outcome))
    }

    /// CreateAuthChallenge makes the challenge; its private half is sealed into the session.
    async fn create_custom_challenge(
        &self,
        flow: &Flow,
        mut state: SessionState,
    ) -> Result<CustomOutcome, AuthError> {
        let function =
            flow.function(|pool| pool.settings.lambda_config.create_auth_challenge.as_ref())?;
        let created = self
            .triggers
            .create_auth_challenge(
                function,
                &flow.subject(state.user_not_found),
                CUSTOM_CHALLENGE,
                &state.history,
            )
            .await?;
        state.private_parameters = created.private_parameters;
        state.metadata = created.metadata;
        let session = self.save_custom(flow, CUSTOM_CHALLENGE, &state).await?;
        let mut parameters = created.public_parameters;
        parameters.insert("USERNAME".to_owned(), flow.challenge_username());
        Ok(CustomOutcome::Challenge(CustomChallenge {
            session,
            parameters,
        }))
    }

    /// SRP's first step within the sign-in; its answer comes back with the session.
    async fn open_password_verifier(
        &self,
        flow: &Flow,
        mut state: SessionState,
        client_public: ClientPublic,
    ) -> Result<CustomOutcome, AuthError> {
        let challenge = self
            .start_srp_sign_in(
                &flow.client,
                SrpStart {
                    username: flow.username.clone(),
                    client_public,
                },
            )
            .await?;
        let block = STANDARD
            .decode(&challenge.secret_block)
            .map_err(AuthError::internal)?;
        state.srp_block_hash = Some(secret_block_hash(&block));
        let session = self.save_custom(flow, PASSWORD_VERIFIER, &state).await?;
        Ok(CustomOutcome::PasswordVerifier { challenge, session })
    }

    /// The login API's password step: checked under the lockout as a password sign-in is
    /// (counted before it is verified; a right one clears the count).
    async fn check_custom_password(
        &self,
        flow: &Flow,
        password: &SecretString,
    ) -> Result<(), AuthError> {
        let admission = self.hasher.admit().await?;
        let now = self.clock.now();
        let scope = flow.pool.id.as_str();
        let reserved = match self
            .store
            .reserve_attempt(scope, &flow.username_key, &flow.pool.settings.lockout, now)
            .await?
        {
            Reservation::Granted(record) => record,
            Reservation::Locked => {
                return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
            }
        };
        let stored = flow.user.as_ref().and_then(|u| u.password.as_ref());
        match self
            .hasher
            .verify_admitted(admission, password, stored)
            .await?
        {
            Verification::Match { .. } if flow.user.is_some() => {
                self.store.clear_failures(scope, &flow.username_key).await?;
                Ok(())
            }
            _ => Err(self.refuse_unproven(
                &reserved,
                Some(&flow.pool),
                Some(&flow.client),
                flow.user.is_some(),
                scope,
                flow.username.as_str(),
                now,
            )),
        }
    }

    /// Stores the sign-in until its next answer; the client gets the session.
    async fn save_custom(
        &self,
        flow: &Flow,
        challenge_name: &str,
        state: &SessionState,
    ) -> Result<SecretString, AuthError> {
        let now = self.clock.now();
        let session = OpaqueToken::generate().map_err(AuthError::internal)?;
        let mut record = CustomAuthRecord {
            session_hash: session.hash,
            pool_id: flow.pool.id.clone(),
            client_id: flow.client.id.clone(),
            username: flow.username.as_str().to_owned(),
            username_key: flow.username_key.clone(),
            challenge_name: challenge_name.to_owned(),
            state: String::new(),
            expires_at: now + flow.client.settings.auth_session_seconds(),
        };
        let plaintext = serde_json::to_vec(state).map_err(AuthError::internal)?;
        record.state = self
            .kek
            .seal_bound(&plaintext, &state_binding(&record))
            .map_err(AuthError::internal)?;
        self.store.create_custom_auth(&record, now).await?;
        Ok(session.value)
    }

    /// One `sign_in` audit event and metric per step.
    fn observe_custom(
        &self,
        pool: &str,
        username: &str,
        result: &Result<CustomOutcome, AuthError>,
    ) {
        let step = match result {
            Ok(CustomOutcome::SignedIn(outcome)) => Ok(outcome),
            Err(error) => Err(error),
            Ok(waiting) => {
                self.telemetry.sign_in(SignInResult::Challenged);
                let reason = match waiting {
                    CustomOutcome::PasswordVerifier { .. } => "password_verifier_challenge",
                    _ => "custom_challenge",
                };
                AuditEvent::new("sign_in", pool, Outcome::Success)
                    .with_username(username)
                    .with_reason(reason)
                    .emit();
                return;
            }
        };
        self.telemetry.sign_in(sign_in_result(step));
        audit_sign_in(pool, username, Some("custom_auth"), step);
    }
}
