//! Password sign-in (`POST /Login`, and later `InitiateAuth USER_PASSWORD_AUTH`).
//!
//! Unknown pool, unknown user and wrong password end in the same error after the same
//! work: one lockout reservation (the check and the failure count in one statement, taken
//! before the password is verified), one Argon2 verification (a dummy one when there is
//! nothing to verify against). Account state (disabled, reset required, …) is
//! revealed only to someone who knows the password.

use std::collections::BTreeMap;

use crate::crypto::opaque::OpaqueToken;
use crate::crypto::password::Verification;
use crate::domain::app_client::{AppClient, login_api_client};
use crate::domain::clock::UnixSeconds;
use crate::domain::error_chain::ErrorChain;
use crate::domain::ids::{ClientId, UserPoolId};
use crate::domain::pool::UserPool;
use crate::domain::secret::SecretString;
use crate::domain::telemetry::SignInResult;
use crate::domain::user::{User, UserStatus};
use crate::domain::username::Username;
use crate::store::{ChallengeRecord, Reservation};
use crate::triggers::pre_token_generation::TokenSource;

use super::audit::{AuditEvent, Outcome};
use super::issue::{IssuedTokens, TokenEvent};
use super::password_credential::CredentialOwner;
use super::{AuthError, NotAuthorized, Services};

pub const NEW_PASSWORD_REQUIRED: &str = "NEW_PASSWORD_REQUIRED";

/// Where a sign-in is aimed: a pool by login name (the login API's `TenantName`, with the
/// client the login API acts for, see [`login_api_client`]) or an app client by id (the
/// Cognito API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInTarget {
    LoginName(String),
    Client(ClientId),
}

#[derive(Debug)]
pub struct PasswordSignIn {
    pub target: SignInTarget,
    pub username: Username,
    pub password: SecretString,
    /// `ClientMetadata`: the `PreAuthentication` function's `validationData`, and the
    /// `clientMetadata` of `PostAuthentication` and `PreTokenGeneration`.
    pub client_metadata: BTreeMap<String, String>,
}

pub enum SignInOutcome {
    Authenticated(IssuedTokens),
    NewPasswordRequired(NewPasswordChallenge),
    /// The password was right; a second factor must follow (`auth/mfa_challenge.rs`).
    MfaRequired(super::mfa_challenge::MfaChallenge),
}

/// What the client needs to answer `NEW_PASSWORD_REQUIRED`.
pub struct NewPasswordChallenge {
    pub session: SecretString,
    pub username: String,
    /// The user's current attributes, as Cognito sends them (a JSON object in a string).
    pub user_attributes_json: String,
    /// Attributes that must be supplied, as a JSON array in a string.
    pub required_attributes_json: String,
}

/// The failure-counter scope of a pool name: the pool's id, or for a name no pool has a
/// name-derived key, so guesses against unknown pools lock out exactly like real ones. (The
/// key's text predates the word "pool" in the code and is stored; it stays.)
pub fn failure_scope(pool_name: &str, pool: Option<&UserPool>) -> String {
    match pool {
        Some(pool) => pool.id.to_string(),
        None => format!("unknown-tenant:{pool_name}"),
    }
}

impl Services {
    /// The pool and client a sign-in is aimed at. An unknown pool is not an error here (it
    /// must cost what a known one costs); an unknown client id is, as in Cognito.
    pub(super) async fn resolve_target(
        &self,
        target: &SignInTarget,
    ) -> Result<(Option<UserPool>, Option<AppClient>, String), AuthError> {
        match target {
            SignInTarget::LoginName(name) => {
                let pool = self.store.pool_by_login_name(name).await?;
                // An unknown pool runs the same query as a known one (against a pool id
                // that is never generated), so response times do not tell pools apart.
                let lookup_pool = pool
                    .as_ref()
                    .map_or_else(UserPoolId::never_assigned, |p| p.id.clone());
                let client = login_api_client(self.store.list_clients(&lookup_pool).await?);
                if client.is_none()
                    && let Some(pool) = &pool
                {
                    // Refused like an unknown pool: the caller learns nothing; the operator
                    // is told why (docs/api.md, "Which app client").
                    tracing::warn!(pool = %pool.id, "the login API has no app client to act for in this pool");
                }
                let scope = failure_scope(name, pool.as_ref());
                Ok((pool, client, scope))
            }
            SignInTarget::Client(id) => {
                let client = self.store.client_by_id(id).await?.ok_or_else(|| {
                    AuthError::ResourceNotFound(format!("User pool client {id} does not exist."))
                })?;
                let pool = self
                    .store
                    .pool_by_id(&client.pool_id)
                    .await?
                    .ok_or_else(|| {
                        AuthError::ResourceNotFound(format!(
                            "User pool client {id} does not exist."
                        ))
                    })?;
                let scope = pool.id.to_string();
                Ok((Some(pool), Some(client), scope))
            }
        }
    }
}

/// The metric outcome of a sign-in attempt.
pub(super) fn sign_in_result(result: Result<&SignInOutcome, &AuthError>) -> SignInResult {
    match result {
        Ok(SignInOutcome::Authenticated(_)) => SignInResult::SignedIn,
        Ok(SignInOutcome::NewPasswordRequired(_) | SignInOutcome::MfaRequired(_)) => {
            SignInResult::Challenged
        }
        Err(error) => error.metric().into(),
    }
}

impl Services {
    pub async fn sign_in_with_password(
        &self,
        request: PasswordSignIn,
    ) -> Result<SignInOutcome, AuthError> {
        let result = self.try_password(request).await;
        self.telemetry.sign_in(sign_in_result(result.as_ref()));
        result
    }

    async fn try_password(&self, request: PasswordSignIn) -> Result<SignInOutcome, AuthError> {
        // Take a place in the hashing queue before touching the database: under a flood the
        // refusal costs nothing but a bounded wait (GATEHOUSE_HASH_MAX_WAIT_MS).
        let admission = self.hasher.admit().await?;
        let now = self.clock.now();
        let username = request.username.as_str();
        let (pool, client, scope) = match self.resolve_target(&request.target).await {
            Ok(resolved) => resolved,
            Err(error) => {
                let target = match &request.target {
                    SignInTarget::LoginName(name) => name.clone(),
                    SignInTarget::Client(id) => id.to_string(),
                };
                audit_sign_in(&target, username, None, Err(&error));
                return Err(error);
            }
        };
        // An unknown pool is audited under its failure scope, which names it.
        let pool_label = pool
            .as_ref()
            .map_or_else(|| scope.clone(), |p| p.id.to_string());
        let result = self
            .check_password(admission, &request, pool, client, &scope, now)
            .await;
        audit_sign_in(&pool_label, username, None, result.as_ref());
        result
    }

    /// The sign-in proper, once the target is resolved: lockout, password, account state.
    async fn check_password(
        &self,
        admission: crate::crypto::password::Admission,
        request: &PasswordSignIn,
        pool: Option<UserPool>,
        client: Option<AppClient>,
        scope: &str,
        now: UnixSeconds,
    ) -> Result<SignInOutcome, AuthError> {
        let lockout = pool
            .as_ref()
            .map(|p| p.settings.lockout.clone())
            .unwrap_or_default();
        let lookup_pool = pool
            .as_ref()
            .map_or_else(UserPoolId::never_assigned, |p| p.id.clone());
        let typed = pool.as_ref().map_or_else(
            || request.username.key().clone(),
            |p| p.settings.sign_in_names.key(&request.username),
        );
        // The name may be a username or a sign-in alias: one indexed query either way, for
        // known and unknown names alike.
        let user = self
            .store
            .user_by_sign_in_name(&lookup_pool, &typed)
            .await?;
        // Failures count against the user the name resolved to, whichever of their names
        // was typed; an unknown name is counted under itself, as an unknown username is.
        let key = user.as_ref().map_or(&typed, |u| &u.username_key);

        // The attempt is counted before the password is verified, in the statement that
        // checks the lock: a burst of guesses gets no more verifications than the free
        // failures allow, whatever the order in which they reach the hashing workers.
        let reserved = match self
            .store
            .reserve_attempt(scope, key, &lockout, now)
            .await?
        {
            Reservation::Granted(record) => record,
            Reservation::Locked => {
                return Err(AuthError::NotAuthorized(NotAuthorized::AttemptsExceeded));
            }
        };

        let stored = user.as_ref().and_then(|u| u.password.as_ref());
        let verification = self
            .hasher
            .verify_admitted(admission, &request.password, stored)
            .await?;

        let (pool, client, user, needs_rehash) = match (verification, pool, client, user) {
            (Verification::Match { needs_rehash }, Some(pool), Some(client), Some(user)) => {
                (pool, client, user, needs_rehash)
            }
            // A name the pool does not know: its migration function may vouch for the user
            // and this password (auth/user_migration.rs). The attempt was counted like any
            // other; a vouched-for user is then signed in as if they had existed.
            (_, Some(pool), Some(client), None)
                if pool.settings.lambda_config.user_migration.is_some() =>
            {
                match self
                    .migrate_signing_in(
                        &pool,
                        &client,
                        &request.username,
                        &request.password,
                        &request.client_metadata,
                    )
                    .await?
                {
                    Some(migrated) => (pool, client, migrated, false),
                    None => {
                        return Err(self.refuse_unproven(
                            &reserved,
                            Some(&pool),
                            Some(&client),
                            false,
                            scope,
                            request.username.as_str(),
                            now,
                        ));
                    }
                }
            }
            (_, pool, client, user) => {
                return Err(self.refuse_unproven(
                    &reserved,
                    pool.as_ref(),
                    client.as_ref(),
                    user.is_some(),
                    scope,
                    request.username.as_str(),
                    now,
                ));
            }
        };

        // Upgrades a hash made with weaker parameters or an old pepper, and gives a password
        // set before SRP existed its verifier (or replaces one that no longer opens, say
        // after the key-encryption key changed).
        let lacks_verifier = user.password.is_some() && self.user_srp_secret(Some(&user)).is_none();
        if needs_rehash || lacks_verifier {
            self.rehash(&user, &request.password).await;
        }
        self.admit_proven(&pool, &client, &user, scope, &request.client_metadata, now)
            .await
    }

    /// The refusal of an attempt whose password (or SRP proof) was not proven, already
    /// counted by its lockout reservation.
    #[allow(
        clippy::too_many_arguments,
        reason = "each is a separate fact of the attempt"
    )]
    pub(super) fn refuse_unproven(
        &self,
        reserved: &crate::domain::lockout::FailureRecord,
        pool: Option<&UserPool>,
        client: Option<&AppClient>,
        user_exists: bool,
        scope: &str,
        username: &str,
        now: UnixSeconds,
    ) -> AuthError {
        if reserved.locked_until.is_some_and(|until| until > now) {
            let pool_label = pool.map_or(scope, |p| p.id.as_str());
            AuditEvent::new("lockout_started", pool_label, Outcome::Success)
                .with_username(username)
                .with_failures(reserved.count)
                .emit();
            self.telemetry.lockout_started();
        }
        // Only a client that opted out of existence-error prevention (Cognito's LEGACY)
        // learns that the user does not exist.
        let legacy = client.is_some_and(|c| !c.settings.prevent_user_existence_errors);
        if legacy && pool.is_some() && !user_exists {
            return AuthError::UserNotFound;
        }
        AuthError::NotAuthorized(NotAuthorized::IncorrectCredentials)
    }

    /// The user proved the password (by Argon2 or by SRP): decide what they may do next, and
    /// settle the lockout reservation.
    pub(super) async fn admit_proven(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        scope: &str,
        client_metadata: &BTreeMap<String, String>,
        now: UnixSeconds,
    ) -> Result<SignInOutcome, AuthError> {
        // The PreAuthentication function sees only sign-ins whose password was proven
        // (docs/triggers.md, "PreAuthentication"); its refusal ends the attempt.
        let mut second_factor_due = false;
        let outcome = match self
            .pre_authentication(pool, client, user, client_metadata)
            .await
        {
            Ok(()) => {
                self.admit_user(
                    pool,
                    client,
                    user,
                    (scope, client_metadata, now),
                    &mut second_factor_due,
                )
                .await
            }
            Err(refused) => Err(refused),
        };
        // A new session cleared the counter in its own transaction; any other answer to the
        // right password (challenge, disabled, unconfirmed, …) gives the reservation back.
        // (A server fault leaves it counted: the answer was not given.) A second factor
        // still to come keeps it: the attempt counts until the code is proven, so signing in
        // again with the password never wipes the count of wrong codes (docs/security.md).
        // So does a second factor that was due but could not be sent (the CustomMessage
        // function failed): a failing function wipes no count either.
        let kept = match &outcome {
            Ok(SignInOutcome::Authenticated(_) | SignInOutcome::MfaRequired(_)) => true,
            Ok(SignInOutcome::NewPasswordRequired(_)) => false,
            Err(error) => error.is_server_fault() || second_factor_due,
        };
        if !kept {
            self.store.clear_failures(scope, &user.username_key).await?;
        }
        outcome
    }

    /// The password (or a custom challenge sequence) was right: decide what this user may do
    /// next. `second_factor_due` is set while the second-factor challenge is being made, so a
    /// failure there is known.
    pub(super) async fn admit_user(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: &User,
        (scope, client_metadata, now): (&str, &BTreeMap<String, String>, UnixSeconds),
        second_factor_due: &mut bool,
    ) -> Result<SignInOutcome, AuthError> {
        if !user.enabled {
            return Err(AuthError::NotAuthorized(NotAuthorized::UserDisabled));
        }
        match user.status {
            UserStatus::Confirmed => {
                *second_factor_due = pool.settings.mfa_active();
                let challenge = self
                    .second_factor_challenge(pool, client, user, client_metadata, now)
                    .await?;
                *second_factor_due = false;
                if let Some(challenge) = challenge {
                    return Ok(SignInOutcome::MfaRequired(challenge));
                }
                self.post_authentication(pool, client, user, client_metadata)
                    .await?;
                let event = TokenEvent {
                    pool: &pool.id,
                    triggers: &pool.settings.lambda_config,
                    source: TokenSource::Authentication,
                    client_metadata,
                };
                let prepared = self.prepare_session(&event, client, user, now).await?;
                self.store
                    .start_session(&prepared.row, scope, &user.username_key)
                    .await?;
                Ok(SignInOutcome::Authenticated(prepared.tokens))
            }
            UserStatus::ForceChangePassword => {
                if user
                    .temporary_password_expires_at
                    .is_some_and(|expiry| now >= expiry)
                {
                    return Err(AuthError::NotAuthorized(
                        NotAuthorized::TemporaryPasswordExpired,
                    ));
                }
                self.start_new_password_challenge(client, user, now).await
            }
            UserStatus::ResetRequired => Err(AuthError::PasswordResetRequired),
            UserStatus::Unconfirmed => Err(AuthError::UserNotConfirmed),
        }
    }

    async fn start_new_password_challenge(
        &self,
        client: &AppClient,
        user: &User,
        now: UnixSeconds,
    ) -> Result<SignInOutcome, AuthError> {
        let session = OpaqueToken::generate().map_err(AuthError::internal)?;
        self.store
            .create_challenge(
                &ChallengeRecord {
                    session_hash: session.hash,
                    pool_id: user.pool_id.clone(),
                    client_id: client.id.clone(),
                    user_sub: user.sub,
                    challenge_name: NEW_PASSWORD_REQUIRED.to_owned(),
                    // The client's AuthSessionValidity (3 minutes unless it says otherwise).
                    expires_at: now + client.settings.auth_session_seconds(),
                },
                now,
            )
            .await?;
        // Only what the client may read: the challenge is the user's first view of themselves.
        let readable = client.settings.readable(&user.attributes);
        let user_attributes_json =
            serde_json::to_string(readable.as_map()).map_err(AuthError::internal)?;
        Ok(SignInOutcome::NewPasswordRequired(NewPasswordChallenge {
            session: session.value,
            username: user.username.clone(),
            user_attributes_json,
            required_attributes_json: "[]".to_owned(),
        }))
    }

    /// Replaces the stored credential with a new one of the same password: current Argon2
    /// parameters and pepper, and an SRP verifier. Best effort: the sign-in succeeds whatever
    /// happens here, and compare-and-set never overwrites a password changed meanwhile.
    async fn rehash(&self, user: &User, password: &SecretString) {
        let Some(old) = &user.password else { return };
        let owner = CredentialOwner {
            pool_id: &user.pool_id,
            sub: &user.sub,
            username_key: &user.username_key,
        };
        let replacement = match self.new_password_credential(owner, password).await {
            Ok(hash) => hash,
            Err(error) => {
                tracing::debug!(error = %ErrorChain(&error), sub = %user.sub, "rehash skipped");
                return;
            }
        };
        match self
            .store
            .replace_password_hash(&user.sub, old, &replacement)
            .await
        {
            Ok(true) => tracing::info!(sub = %user.sub, "password hash upgraded"),
            Ok(false) => {
                tracing::debug!(sub = %user.sub, "password changed meanwhile; rehash dropped")
            }
            Err(error) => {
                tracing::warn!(error = %ErrorChain(&error), sub = %user.sub, "rehash failed")
            }
        }
    }
}

/// One `sign_in` audit event for every attempt that got past input validation;
/// `signed_in_reason` says how a signed-in attempt proved itself (none for a password).
pub(super) fn audit_sign_in(
    pool: &str,
    username: &str,
    signed_in_reason: Option<&'static str>,
    result: Result<&SignInOutcome, &AuthError>,
) {
    let event = AuditEvent::new("sign_in", pool, Outcome::Success).with_username(username);
    match result {
        Ok(SignInOutcome::Authenticated(_)) => match signed_in_reason {
            Some(reason) => event.with_reason(reason).emit(),
            None => event.emit(),
        },
        Ok(SignInOutcome::NewPasswordRequired(_)) => {
            event.with_reason("new_password_required").emit();
        }
        Ok(SignInOutcome::MfaRequired(challenge)) => {
            event.with_reason(challenge.audit_reason()).emit();
        }
        Err(error) => {
            let (outcome, reason) = error.audit();
            AuditEvent {
                outcome,
                ..event.with_reason(reason)
            }
            .emit();
        }
    }
}
