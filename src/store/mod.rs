//! Persistence. The use cases see only the [`Store`] trait; `sql/` implements it once for
//! both backends over sqlx's `Any` driver, and `postgres.rs` / `sqlite.rs` hold what differs
//! (connection set-up and the migration lock).

mod errors;
mod liveness;
mod migrate;
mod postgres;
mod retry;
pub mod sql;
mod sqlite;

use async_trait::async_trait;

use crate::domain::app_client::AppClient;
use crate::domain::attributes::UserAttributes;
use crate::domain::clock::{UnixMillis, UnixSeconds};
use crate::domain::group::MemberGroup;
use crate::domain::ids::{ClientId, SessionId, Sub, TokenHash, UserPoolId};
use crate::domain::lockout::{FailureRecord, LockoutPolicy};
pub use crate::domain::message::{OutboxFilter, OutboxState};
use crate::domain::pool::{PoolSettings, UserPool};
use crate::domain::resource_server::ResourceServer;
use crate::domain::user::{StoredPasswordHash, User, UserStatus};
use crate::domain::user_filter::UserFilter;
use crate::domain::username::UsernameKey;

pub use migrate::{MigrationReport, SchemaStatus};
pub use retry::{Replay, RetryPolicy};
pub use sql::{ConnectOptions, SqlStore};

/// The file an `sqlite:` URL names (None for in-memory databases).
pub fn sqlite_database_path(url: &str) -> Option<std::path::PathBuf> {
    sqlite::database_path(url)
}

/// Warns when a file holding secrets (a database file, the key-encryption key file) can be
/// read or written by users other than its owner.
pub fn warn_if_loose_file_mode(path: &std::path::Path) {
    sqlite::warn_if_loose(path);
}

/// What a database failure came from: sqlx's error (with its own sources), or a message
/// where the store itself found something wrong.
pub type DbCause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A store failure, sorted by what the caller may do about it. The variants that stand for
/// a failure keep its cause as `source()` (log them with `domain::error_chain::ErrorChain`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write (the name says which).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or timed out; the caller may retry later.
    #[error("database unavailable")]
    Unavailable(#[source] DbCause),
    /// A failure that left nothing written (serialization failure, deadlock, busy SQLite
    /// file, no connection to be had, connection lost before COMMIT). The store runs the
    /// operation again itself and reports `Unavailable` if that keeps failing, so callers
    /// normally never see this.
    #[error("transient database failure")]
    Transient(#[source] DbCause),
    /// Anything else: a bug or a corrupt row. Logged, never shown to clients.
    #[error("database error")]
    Internal(#[source] DbCause),
}

/// How the `Conflict` of a write that would give a user a sign-in alias another user holds
/// begins (as opposed to a taken username); the attribute's name follows.
pub const ALIAS_TAKEN: &str = "sign-in alias: ";

impl StoreError {
    /// The attribute (`email`, ...) whose sign-in alias another user holds, if that is
    /// what this conflict is.
    pub fn alias_taken(&self) -> Option<&str> {
        match self {
            Self::Conflict(what) => what.strip_prefix(ALIAS_TAKEN),
            _ => None,
        }
    }

    /// A bug or corrupt data the store found itself (an error, or a message saying what).
    pub fn internal(cause: impl Into<DbCause>) -> Self {
        Self::Internal(cause.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A sign-in session about to be created with its first refresh token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: SessionId,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    pub user_sub: Sub,
    pub auth_time: UnixSeconds,
    pub expires_at: UnixSeconds,
    pub refresh_token_hash: TokenHash,
    /// The scopes granted, space-separated, when they are not the Cognito API's
    /// `aws.cognito.signin.user.admin` (an OAuth 2.0 grant's); refreshed tokens carry them.
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    pub user_sub: Sub,
    pub auth_time: UnixSeconds,
    pub expires_at: UnixSeconds,
    pub revoked_at: Option<UnixSeconds>,
    /// As [`NewSession::scope`]: None for the admin scope.
    pub scope: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub token_hash: TokenHash,
    pub session_id: SessionId,
    /// The token this one replaced; None for a sign-in's first token.
    pub parent_hash: Option<TokenHash>,
    pub issued_at: UnixSeconds,
    pub consumed_at: Option<UnixSeconds>,
    /// `consumed_at` to the millisecond (None for tokens consumed before schema version 2).
    pub consumed_at_ms: Option<UnixMillis>,
    /// The token that replaced this one.
    pub replaced_by: Option<TokenHash>,
    /// When this consumed token was exchanged once more inside the grace window.
    pub regranted_at: Option<UnixSeconds>,
    pub regranted_at_ms: Option<UnixMillis>,
}

impl RefreshTokenRecord {
    /// When the token was consumed, in milliseconds; a token consumed before millisecond
    /// times were stored counts from the start of its second.
    pub fn consumed_at_millis(&self) -> Option<UnixMillis> {
        self.consumed_at_ms
            .or_else(|| self.consumed_at.map(|seconds| seconds * 1000))
    }

    /// When the token was re-exchanged inside the grace window, in milliseconds.
    pub fn regranted_at_millis(&self) -> Option<UnixMillis> {
        self.regranted_at_ms
            .or_else(|| self.regranted_at.map(|seconds| seconds * 1000))
    }
}

/// Everything a refresh decides on, read with the presented token in one statement: the
/// token, its session, the session's pool (its login name), user and app client, and the user's
/// groups for the new tokens. Read fresh on every refresh, so a client or pool changed, a
/// user disabled or a session revoked on another replica counts at once.
#[derive(Debug, Clone)]
pub struct RefreshContext {
    pub token: RefreshTokenRecord,
    pub session: SessionRecord,
    /// The pool's login name (the login API's `TenantName`), if it has one.
    pub pool_login_name: Option<String>,
    /// The pool's Lambda triggers: a refresh calls its `PreTokenGeneration` function.
    pub pool_triggers: crate::domain::pool_config::LambdaConfig,
    pub user: User,
    pub client: AppClient,
    /// The user's groups, in precedence order then by name (as [`GroupStore::groups_of_user`]).
    pub groups: Vec<MemberGroup>,
}

/// What an attempt to consume a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live and is now consumed; its successor is stored.
    Rotated,
    /// No such token, or its session is revoked or expired.
    Invalid,
    /// The token had already been consumed.
    AlreadyConsumed(RefreshTokenRecord),
}

/// Which of a user's sessions a change revokes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    None,
    /// Every session, and tokens issued before now stop being accepted.
    All,
    /// Every session but this one (a password change keeps the session that made it).
    AllExcept(SessionId),
}

/// What one housekeeping pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Sessions, and the hosted pages' browser sessions.
    pub sessions: u64,
    /// Challenge sessions, SRP challenges, custom-auth sessions and authorization codes.
    pub challenges: u64,
    pub failures: u64,
    pub keys: u64,
}

/// A pending challenge, found by the hash of the opaque session string the client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRecord {
    pub session_hash: TokenHash,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    pub user_sub: Sub,
    pub challenge_name: String,
    pub expires_at: UnixSeconds,
}

/// An open `PASSWORD_VERIFIER` challenge, found by the SHA-256 of its `SECRET_BLOCK`. The
/// user is named, not referenced: unknown users get challenges too (docs/security.md, "SRP").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpChallengeRecord {
    pub secret_block_hash: String,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    /// As the client gave it (a SECRET_HASH may be computed over it).
    pub username: String,
    pub username_key: UsernameKey,
    /// SRP_A, hexadecimal (public).
    pub client_public: String,
    /// The server's ephemeral secret b, sealed under the key-encryption key.
    pub server_secret: String,
    pub expires_at: UnixSeconds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPurpose {
    Id,
    Access,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Access => "access",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published in the JWKS, not yet used for signing.
    Pending,
    Active,
    /// No longer signs; published until its tokens have expired.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub pool_id: UserPoolId,
    pub purpose: KeyPurpose,
    pub alg: String,
    /// AES-GCM ciphertext of the PKCS#8 private key; useless without the key-encryption key.
    pub private_key_encrypted: String,
    pub public_jwk: String,
    pub state: KeyState,
    pub created_at: UnixSeconds,
    pub activates_at: UnixSeconds,
    pub retired_at: Option<UnixSeconds>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub pool_id: UserPoolId,
    pub name: String,
    pub description: Option<String>,
    pub precedence: Option<i64>,
    /// The IAM role of the group's members (`cognito:roles`, `cognito:preferred_role`).
    pub role_arn: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

/// Where a page of `ListUsers` ends: the last user's value of the filtered field (None
/// without a field filter) and username key. The next page starts strictly after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPageKey {
    pub value: Option<String>,
    pub username_key: UsernameKey,
}

/// Pools and their app clients.
#[async_trait]
pub trait PoolStore {
    /// Creates a pool together with its default app client, if it has one, atomically;
    /// `Conflict` when its id or login name is taken.
    async fn create_pool(
        &self,
        pool: &UserPool,
        default_client: Option<&AppClient>,
    ) -> Result<(), StoreError>;
    /// The pool the login API knows by this name (its `TenantName`). The one place a pool is
    /// found by that name: every login-API flow and the CLI go through it.
    async fn pool_by_login_name(&self, login_name: &str) -> Result<Option<UserPool>, StoreError>;
    /// Gives a pool its login name, or takes it away (None); `Conflict` when another pool
    /// has the name. False when the pool does not exist.
    async fn set_pool_login_name(
        &self,
        id: &UserPoolId,
        login_name: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    async fn pool_by_id(&self, id: &UserPoolId) -> Result<Option<UserPool>, StoreError>;
    async fn list_pools(&self) -> Result<Vec<UserPool>, StoreError>;
    /// Deletes a pool and everything in it.
    async fn delete_pool(&self, id: &UserPoolId) -> Result<bool, StoreError>;
    async fn update_pool_settings(
        &self,
        id: &UserPoolId,
        settings: &PoolSettings,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Replaces a pool's settings only if they are still `expected` (compare-and-set), so
    /// that of two concurrent changes neither is lost; false when they were not.
    async fn replace_pool_settings(
        &self,
        id: &UserPoolId,
        expected: &PoolSettings,
        settings: &PoolSettings,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    async fn default_client(&self, pool: &UserPoolId) -> Result<Option<AppClient>, StoreError>;
    async fn client_by_id(&self, id: &ClientId) -> Result<Option<AppClient>, StoreError>;
    async fn create_client(&self, client: &AppClient) -> Result<(), StoreError>;
    async fn list_clients(&self, pool: &UserPoolId) -> Result<Vec<AppClient>, StoreError>;
    /// Updates a client's name, token lifetimes and refresh grace.
    async fn update_client(&self, client: &AppClient, now: UnixSeconds)
    -> Result<bool, StoreError>;
    /// Deletes a client of a pool with its sessions, refresh tokens and open challenges;
    /// false when the pool has no such client.
    async fn delete_client(&self, pool: &UserPoolId, id: &ClientId) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait UserStore {
    /// Creates the user with their sign-in aliases; `Conflict` when the username is taken,
    /// `StoreError::alias_taken` when an alias is.
    async fn create_user(&self, user: &User) -> Result<(), StoreError>;
    async fn user_by_key(
        &self,
        pool: &UserPoolId,
        username_key: &UsernameKey,
    ) -> Result<Option<User>, StoreError>;
    async fn user_by_sub(&self, sub: &Sub) -> Result<Option<User>, StoreError>;
    /// The user a name typed at sign-in names, in one indexed query: the user with that
    /// username key, else the holder of that sign-in alias (docs/cognito-compatibility.md,
    /// "Sign-in names").
    async fn user_by_sign_in_name(
        &self,
        pool: &UserPoolId,
        key: &UsernameKey,
    ) -> Result<Option<User>, StoreError>;
    /// Takes these sign-in aliases from whichever other users hold them (`ForceAliasCreation`);
    /// how many moved.
    async fn release_sign_in_aliases(
        &self,
        pool: &UserPoolId,
        keys: &[UsernameKey],
        keep: &Sub,
    ) -> Result<u64, StoreError>;
    async fn list_users(&self, pool: &UserPoolId) -> Result<Vec<User>, StoreError>;
    async fn count_users(&self, pool: &UserPoolId) -> Result<i64, StoreError>;
    /// Users ordered by lookup key, strictly after `after` when given, at most `limit`.
    async fn list_users_page(
        &self,
        pool: &UserPoolId,
        after: Option<&UsernameKey>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;
    /// `ListUsers`: users matching `filter` (all without one), in the order of the filtered
    /// field's value then the username key, strictly after `after`, at most `limit`. One
    /// bounded index range whatever the pool's size.
    async fn search_users(
        &self,
        pool: &UserPoolId,
        filter: Option<&UserFilter>,
        after: Option<&UserPageKey>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;
    /// The database's own plan for the first page of a `ListUsers` filter, as text: tests
    /// (and an operator wondering about a slow listing) check it reads an index.
    async fn explain_user_search(
        &self,
        pool: &UserPoolId,
        filter: &UserFilter,
    ) -> Result<String, StoreError>;
    /// Sets a new hash and status and revokes sessions as asked, in one transaction.
    async fn set_password(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        status: UserStatus,
        temporary_expires_at: Option<UnixSeconds>,
        revocation: Revocation,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Replaces the hash only if it is still `expected` (rehash on sign-in must not undo a
    /// password change that raced it).
    async fn replace_password_hash(
        &self,
        sub: &Sub,
        expected: &StoredPasswordHash,
        replacement: &StoredPasswordHash,
    ) -> Result<bool, StoreError>;
    /// Enables or disables; disabling revokes every session at once.
    async fn set_enabled(
        &self,
        sub: &Sub,
        enabled: bool,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    async fn set_status(
        &self,
        sub: &Sub,
        status: UserStatus,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    async fn set_attributes(
        &self,
        sub: &Sub,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Compare-and-set: replaces the attributes only if they are still `expected`, so two
    /// concurrent read-decide-write changes cannot undo each other. False when they changed
    /// meanwhile (or the user is gone).
    async fn replace_attributes(
        &self,
        sub: &Sub,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Deletes the user; their sessions and refresh tokens go with them.
    async fn delete_user(&self, sub: &Sub) -> Result<bool, StoreError>;
    /// Stores (or replaces) the user's sign-up confirmation code.
    async fn put_confirmation_code(
        &self,
        code: &ConfirmationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    async fn confirmation_code(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
    ) -> Result<Option<ConfirmationCodeRecord>, StoreError>;
    /// Counts one attempt at the user's confirmation code and returns the code, in the
    /// same statement that checks the attempts so far are below `max_attempts` and the code
    /// has not expired: of any number of concurrent attempts, at most `max_attempts` ever
    /// see the code. The attempt counts whether or not the caller's guess turns out right.
    async fn take_code_attempt(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        max_attempts: i64,
        now: UnixSeconds,
    ) -> Result<CodeAttempt, StoreError>;
    /// Counts one request for a code of `purpose` against the user's cap: true if it is
    /// within `limit` requests in the current window of `window_seconds` (and counted),
    /// false if the cap is reached (nothing counted). One statement checks and counts, so
    /// of any number of concurrent requests exactly the remaining allowance gets through.
    async fn count_code_request(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        limit: i64,
        window_seconds: i64,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Spends the user's code of `purpose` and replaces their attributes by compare-and-set
    /// (only if they are still `expected`), in one transaction: either both happen or
    /// neither does (`VerifyUserAttribute`).
    async fn spend_code_and_replace_attributes(
        &self,
        sub: &Sub,
        purpose: CodePurpose,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        now: UnixSeconds,
    ) -> Result<CodeSpend, StoreError>;
    /// Marks the user CONFIRMED and spends the sign-up code, in one transaction; false if the
    /// code was already spent (a concurrent confirmation won).
    async fn confirm_user(&self, sub: &Sub, now: UnixSeconds) -> Result<bool, StoreError>;
    /// Spends the password-reset code and sets `hash` (status CONFIRMED, every session
    /// revoked), in one transaction; false if the code was already spent.
    async fn reset_password_with_code(
        &self,
        sub: &Sub,
        hash: &StoredPasswordHash,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
}

/// What a one-time code is for; a user has at most one code of each purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// `SignUp` → `ConfirmSignUp` (24 hours).
    SignUp,
    /// `ForgotPassword` → `ConfirmForgotPassword` (1 hour).
    ResetPassword,
    /// `GetUserAttributeVerificationCode` (or a changed address) → `VerifyUserAttribute`
    /// for `email` (24 hours).
    VerifyEmail,
    /// The same for `phone_number`.
    VerifyPhoneNumber,
}

impl CodePurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignUp => "sign_up",
            Self::ResetPassword => "reset_password",
            Self::VerifyEmail => "verify_email",
            Self::VerifyPhoneNumber => "verify_phone_number",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "sign_up" => Some(Self::SignUp),
            "reset_password" => Some(Self::ResetPassword),
            "verify_email" => Some(Self::VerifyEmail),
            "verify_phone_number" => Some(Self::VerifyPhoneNumber),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationCodeRecord {
    pub user_sub: Sub,
    pub purpose: CodePurpose,
    /// The code encrypted under the key-encryption key.
    pub code_encrypted: String,
    pub expires_at: UnixSeconds,
    pub failed_attempts: i64,
    /// A contact attribute's new value that waits for this code
    /// (`AttributesRequireVerificationBeforeUpdate`); None for every other code.
    pub pending_value: Option<String>,
}

/// What spending a code together with an attribute write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSpend {
    /// The code is spent and the attributes written.
    Done,
    /// There was no code to spend (a concurrent use won): nothing written.
    CodeGone,
    /// The attributes changed since they were read: nothing spent, nothing written.
    AttributesChanged,
}

/// What an attempt at a confirmation code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeAttempt {
    /// The attempt is counted; compare the guess with this code.
    Granted(ConfirmationCodeRecord),
    /// The code has had all its attempts; nothing was counted.
    Exhausted,
    /// No code, or it has expired.
    Missing,
}

#[async_trait]
pub trait GroupStore {
    /// Creates the group, or updates its description, precedence and role (seed files).
    async fn put_group(&self, group: &GroupRecord, now: UnixSeconds) -> Result<(), StoreError>;
    async fn list_groups(&self, pool: &UserPoolId) -> Result<Vec<GroupRecord>, StoreError>;
    async fn group(&self, pool: &UserPoolId, name: &str)
    -> Result<Option<GroupRecord>, StoreError>;
    /// A pool's groups by name, strictly after `after`, at most `limit`.
    async fn groups_page(
        &self,
        pool: &UserPoolId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<GroupRecord>, StoreError>;
    /// Creates a group; `Conflict` if the name is taken.
    async fn create_group(&self, group: &GroupRecord) -> Result<(), StoreError>;
    /// Replaces the description, precedence, role and modification time; false if the
    /// group is gone.
    async fn update_group(&self, group: &GroupRecord) -> Result<bool, StoreError>;
    /// Deletes the group and its memberships; false if there was none.
    async fn delete_group(&self, pool: &UserPoolId, name: &str) -> Result<bool, StoreError>;
    async fn remove_user_from_group(&self, sub: &Sub, group: &str) -> Result<bool, StoreError>;
    async fn add_user_to_group(
        &self,
        pool: &UserPoolId,
        sub: &Sub,
        group: &str,
    ) -> Result<(), StoreError>;
    /// The user's groups, in precedence order (none last), then by name.
    async fn groups_of_user(&self, sub: &Sub) -> Result<Vec<MemberGroup>, StoreError>;
    /// The user's groups in the same order, strictly after `after` (its rank, the
    /// precedence or [`crate::domain::group::UNRANKED`], and name), at most `limit`.
    async fn groups_of_user_page(
        &self,
        sub: &Sub,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<GroupRecord>, StoreError>;
    /// A group's members by sub, strictly after `after`, at most `limit`.
    async fn users_in_group_page(
        &self,
        pool: &UserPoolId,
        group: &str,
        after: Option<&Sub>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;
}

#[async_trait]
pub trait SessionStore {
    /// Creates a session and its first refresh token and clears the sign-in failures of
    /// `(failure_scope, username_key)`, all in one transaction.
    async fn start_session(
        &self,
        session: &NewSession,
        failure_scope: &str,
        username_key: &UsernameKey,
    ) -> Result<(), StoreError>;
    /// Sets the chosen password (status CONFIRMED) and the attributes, and starts the session,
    /// in one transaction, if the user's attributes are still `expected` (compare-and-set, so
    /// the answer never undoes an administrator's concurrent change). False, with nothing
    /// written, when they changed meanwhile or the user is gone.
    async fn complete_new_password(
        &self,
        hash: &StoredPasswordHash,
        expected: &UserAttributes,
        attributes: &UserAttributes,
        session: &NewSession,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    async fn session(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError>;
    /// Consumes a live refresh token and stores its successor, atomically: of any number of
    /// concurrent attempts with one token, exactly one gets `Rotated`. The consumption time
    /// is kept to the millisecond, so reuse can be told from a concurrent retry by order.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &TokenHash,
        successor_hash: &TokenHash,
        now_ms: UnixMillis,
    ) -> Result<Rotation, StoreError>;
    /// The one extra exchange a consumed token may get inside the grace window: only if the
    /// token has not had one, was consumed at or after `now_ms - window_ms`, `head_hash` (the
    /// token that replaced it) is still live, and its session has had no re-exchange since
    /// `now_ms - window_ms`. The head is consumed and `successor_hash` stored.
    async fn regrant_refresh_token(
        &self,
        predecessor_hash: &TokenHash,
        head_hash: &TokenHash,
        successor_hash: &TokenHash,
        window_ms: i64,
        now_ms: UnixMillis,
    ) -> Result<bool, StoreError>;
    /// Revokes one session (idempotent); returns whether it was live.
    async fn revoke_session(&self, id: &SessionId, now: UnixSeconds) -> Result<bool, StoreError>;
    /// Revokes every session of a user and refuses their earlier tokens.
    async fn revoke_user_sessions(&self, sub: &Sub, now: UnixSeconds) -> Result<(), StoreError>;
    async fn refresh_token(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<RefreshTokenRecord>, StoreError>;
    /// The token with this hash and everything a refresh needs with it, in one round trip;
    /// None when the token, its session, user, client or pool does not exist. Nothing is
    /// filtered: a consumed token, a revoked session and a disabled user are returned as they
    /// are, for the caller to judge.
    async fn refresh_context(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<RefreshContext>, StoreError>;
    async fn create_challenge(
        &self,
        challenge: &ChallengeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Reads a challenge without consuming it (to check it before expensive work).
    async fn challenge(
        &self,
        session_hash: &TokenHash,
    ) -> Result<Option<ChallengeRecord>, StoreError>;
    /// Removes and returns the challenge if it exists and has not expired: a session string
    /// can be answered at most once, whatever happens next.
    async fn take_challenge(
        &self,
        session_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<ChallengeRecord>, StoreError>;
}

/// What [`LockoutStore::reserve_attempt`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be verified; it is already counted as this failure record.
    Granted(FailureRecord),
    /// The key is locked; nothing was counted.
    Locked,
}

#[async_trait]
pub trait LockoutStore {
    async fn failures(
        &self,
        scope: &str,
        username_key: &UsernameKey,
    ) -> Result<Option<FailureRecord>, StoreError>;
    /// Takes one attempt at a password before it is verified, in one conditional statement:
    /// refused while the key is locked; otherwise counted as a failure at once (and the lock
    /// the policy prescribes for the new count applied), so that concurrent attempts can never
    /// all pass the check before any of them is counted. A verification that succeeds
    /// clears the counter ([`Self::clear_failures`] or `start_session`); one that fails, or
    /// never finishes, stays counted.
    async fn reserve_attempt(
        &self,
        scope: &str,
        username_key: &UsernameKey,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<Reservation, StoreError>;
    /// Forgets the failures of a key (the right password was given).
    async fn clear_failures(
        &self,
        scope: &str,
        username_key: &UsernameKey,
    ) -> Result<(), StoreError>;
    /// Counts one failure atomically (concurrent failures each count) and applies the lock
    /// the policy prescribes for the new count.
    async fn record_failure(
        &self,
        scope: &str,
        username_key: &UsernameKey,
        policy: &LockoutPolicy,
        now: UnixSeconds,
    ) -> Result<FailureRecord, StoreError>;
}

#[async_trait]
pub trait KeyStore {
    async fn signing_keys(&self, pool: &UserPoolId) -> Result<Vec<SigningKeyRecord>, StoreError>;
    /// Inserts a key; returns false when a key of that pool, purpose and state (active or
    /// pending) already exists (another replica won the race to create it).
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> Result<bool, StoreError>;
    /// Makes a pending key the active one and retires the previous active key, atomically;
    /// false if another replica already did.
    async fn promote_signing_key(
        &self,
        pending_kid: &str,
        active_kid: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Replaces a key's sealed private key if it is still `expected` (a newer envelope for
    /// the same key); false if the row changed meanwhile.
    async fn reseal_signing_key(
        &self,
        kid: &str,
        expected: &str,
        replacement: &str,
    ) -> Result<bool, StoreError>;
}

/// Deleting what is no longer needed, in bounded batches; safe to run on every replica.
#[async_trait]
pub trait HousekeepingStore {
    /// Removes up to `batch` rows of each kind: sessions past their absolute expiry or revoked
    /// before `revoked_before`, expired challenges, failure counters quiet since
    /// `failures_quiet_since` and not locked, and keys retired before `keys_retired_before`.
    async fn purge(
        &self,
        now: UnixSeconds,
        revoked_before: UnixSeconds,
        failures_quiet_since: UnixSeconds,
        keys_retired_before: UnixSeconds,
        batch: u32,
    ) -> Result<Purged, StoreError>;
}

/// One message in the outbox, its content still sealed under the key-encryption key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRecord {
    pub id: String,
    pub pool_id: UserPoolId,
    pub destination: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
    /// Why it was sent (`SIGN_UP_CODE`, ...).
    pub template: String,
    /// The pool's own sender address, if it has one (else the server's default).
    pub sender: Option<String>,
    /// Subject and bodies, sealed (bound to the id, pool and destination).
    pub content_sealed: String,
    pub state: OutboxState,
    pub attempts: i64,
    pub next_attempt_at: UnixSeconds,
    pub last_error: Option<String>,
    pub sent_at: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
}

/// The durable outbox. Delivery takes a lease on a message before sending it, so that of
/// any number of replicas' workers at most one holds a message at a time.
#[async_trait]
pub trait OutboxStore {
    async fn enqueue_message(&self, message: &OutboxRecord) -> Result<(), StoreError>;
    /// Leases up to `limit` pending messages that are due (`next_attempt_at <= now`) and not
    /// leased by anyone else, to `owner` until `lease_until`. Each is taken by one
    /// conditional update, so two workers never both get a message.
    async fn claim_due_messages(
        &self,
        owner: &str,
        now: UnixSeconds,
        lease_until: UnixSeconds,
        limit: u32,
    ) -> Result<Vec<OutboxRecord>, StoreError>;
    /// Marks a message sent, if `owner` still holds its lease.
    async fn mark_message_sent(
        &self,
        id: &str,
        owner: &str,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Records a failed attempt and releases the lease: retried at `next_attempt_at`, or
    /// never when `permanent`.
    async fn mark_message_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        next_attempt_at: UnixSeconds,
        permanent: bool,
    ) -> Result<bool, StoreError>;
    async fn list_messages(&self, filter: &OutboxFilter) -> Result<Vec<OutboxRecord>, StoreError>;
    /// Deletes up to `batch` messages that are no longer pending and were created before
    /// `before`; a message waiting for delivery is never purged.
    async fn purge_messages(&self, before: UnixSeconds, batch: u32) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait SrpChallengeStore {
    async fn create_srp_challenge(
        &self,
        challenge: &SrpChallengeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Removes and returns the challenge if it exists and has not expired. One statement, so
    /// of any number of concurrent answers to one challenge exactly one gets it, on any
    /// replica: a captured signature can never be replayed.
    async fn take_srp_challenge(
        &self,
        secret_block_hash: &str,
        now: UnixSeconds,
    ) -> Result<Option<SrpChallengeRecord>, StoreError>;
}

/// A `CUSTOM_AUTH` sign-in between two steps, found by the hash of its opaque `Session`
/// (docs/triggers.md, "Custom authentication"). The user is named, not referenced: a name no
/// user has gets a session too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomAuthRecord {
    pub session_hash: TokenHash,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    /// As the client gave it (a SECRET_HASH may be computed over it).
    pub username: String,
    pub username_key: UsernameKey,
    /// What the client must answer next: `CUSTOM_CHALLENGE` or `PASSWORD_VERIFIER`.
    pub challenge_name: String,
    /// The history and private parameters, sealed under the key-encryption key.
    pub state: String,
    pub expires_at: UnixSeconds,
}

#[async_trait]
pub trait CustomAuthStore {
    async fn create_custom_auth(
        &self,
        session: &CustomAuthRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Removes and returns the session if it exists and has not expired. One statement, so
    /// of any number of concurrent answers to one session exactly one gets it, on any
    /// replica: each answer is verified once.
    async fn take_custom_auth(
        &self,
        session_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<CustomAuthRecord>, StoreError>;
}

/// A user's second factors as stored (`user_mfa`): TOTP secrets stay sealed here; only
/// `auth/software_token.rs` opens them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRecord {
    /// The verified secret, sealed; codes are checked against it.
    pub totp_secret: Option<String>,
    /// A secret AssociateSoftwareToken made, sealed, waiting for VerifySoftwareToken.
    pub pending_totp_secret: Option<String>,
    pub totp_device_name: Option<String>,
    pub totp_enabled: bool,
    pub totp_preferred: bool,
    /// The time step of the last code accepted; only later steps are accepted.
    pub last_totp_step: i64,
    /// Codes by e-mail (`EMAIL_OTP`) as a factor.
    pub email_enabled: bool,
    pub email_preferred: bool,
    /// Codes by text message (`SMS_MFA`) as a factor.
    pub sms_enabled: bool,
    pub sms_preferred: bool,
}

/// A factor whose code Gatehouse sends: by e-mail (`EMAIL_OTP`) or text message (`SMS_MFA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpFactor {
    Email,
    Sms,
}

impl OtpFactor {
    /// The stored name (`user_mfa.otp_code_factor`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
        }
    }
}

/// The second factors of users (`user_mfa`).
#[async_trait]
pub trait MfaStore {
    async fn mfa_of(&self, sub: &Sub) -> Result<Option<MfaRecord>, StoreError>;
    /// Stores a new pending TOTP secret (sealed), replacing any earlier pending one.
    async fn put_pending_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Makes the pending secret `sealed_secret` the verified one, enabled, with the step of
    /// the code that proved it as used: only if that secret is still the pending one and the
    /// step is later than the last accepted. Whether it applied.
    async fn activate_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        step: i64,
        device_name: Option<&str>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Records `step` as used if it is later than the last accepted step of the verified
    /// secret: one conditional update, so of concurrent presentations of one code exactly
    /// one is accepted. Whether it applied.
    async fn use_totp_step(
        &self,
        sub: &Sub,
        step: i64,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Sets whether TOTP is enabled and preferred (`None` leaves a flag as it is). Whether a
    /// verified TOTP secret exists to apply it to.
    async fn set_totp_preference(
        &self,
        sub: &Sub,
        enabled: Option<bool>,
        preferred: Option<bool>,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
    /// Makes `sealed_secret` the user's verified TOTP secret, enabled, with no code used yet
    /// and no pending secret: an operator's enrolment or a seed file's, which no
    /// VerifySoftwareToken confirms. The preference is kept.
    async fn put_verified_totp(
        &self,
        sub: &Sub,
        sealed_secret: &str,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Forgets every second factor of the user (an operator's reset). Whether there was one.
    async fn remove_mfa(&self, sub: &Sub) -> Result<bool, StoreError>;
    /// Sets whether a sent-code factor is enabled and preferred (`None` leaves a flag as
    /// it is), making the user's row if they have none.
    async fn set_otp_preference(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        enabled: Option<bool>,
        preferred: Option<bool>,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Stores the hash of the code just sent for `factor`, replacing the user's earlier
    /// code of either factor (which stops working).
    async fn put_otp_code(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        code_hash: &str,
        expires_at: UnixSeconds,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Spends the user's live code if it is `code_hash` for `factor` and not expired: one
    /// conditional update, so of concurrent presentations exactly one is accepted.
    /// Whether it applied.
    async fn use_otp_code(
        &self,
        sub: &Sub,
        factor: OtpFactor,
        code_hash: &str,
        now: UnixSeconds,
    ) -> Result<bool, StoreError>;
}

/// An issued authorization code, as stored (only the hash of its value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCodeRecord {
    pub code_hash: TokenHash,
    pub pool_id: UserPoolId,
    pub client_id: ClientId,
    pub user_sub: Sub,
    pub redirect_uri: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    pub nonce: Option<String>,
    /// The PKCE `S256` challenge (base64url of a SHA-256), when one was sent.
    pub code_challenge: Option<String>,
    pub auth_time: UnixSeconds,
    pub expires_at: UnixSeconds,
}

/// What spending an authorization code found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRedemption {
    /// This presentation spent the code; `session` is the session the exchange must start.
    Spent(AuthorizationCodeRecord),
    /// The code was spent before: the session its exchange started (if it got that far) is
    /// to be revoked (RFC 9700).
    Replayed { session: Option<SessionId> },
    /// No such code, or it expired.
    Unknown,
}

/// A browser's hosted sign-in (only the hash of the cookie's value is stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedSessionRecord {
    pub id_hash: TokenHash,
    pub pool_id: UserPoolId,
    pub user_sub: Sub,
    /// The sign-in's session: revoked, it ends this one.
    pub session_id: SessionId,
    pub auth_time: UnixSeconds,
    pub expires_at: UnixSeconds,
}

/// The OAuth 2.0 front channel: authorization codes and hosted sign-in sessions.
#[async_trait]
pub trait AuthorizationStore {
    async fn create_authorization_code(
        &self,
        code: &AuthorizationCodeRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// Spends the code in one conditional statement: of any number of concurrent
    /// presentations, exactly one gets `Spent` (and binds `session` to the code); every other
    /// one, then or later, gets `Replayed`, which is recorded on the code.
    async fn redeem_authorization_code(
        &self,
        code_hash: &TokenHash,
        session: &SessionId,
        now: UnixSeconds,
    ) -> Result<CodeRedemption, StoreError>;
    /// Whether the code has been presented again since it was spent.
    async fn authorization_code_replayed(&self, code_hash: &TokenHash) -> Result<bool, StoreError>;
    async fn create_hosted_session(
        &self,
        session: &HostedSessionRecord,
        now: UnixSeconds,
    ) -> Result<(), StoreError>;
    /// The live hosted session with this hash, if any (expired ones are not returned).
    async fn hosted_session(
        &self,
        id_hash: &TokenHash,
        now: UnixSeconds,
    ) -> Result<Option<HostedSessionRecord>, StoreError>;
    /// Removes and returns the hosted session (at `/logout`).
    async fn end_hosted_session(
        &self,
        id_hash: &TokenHash,
    ) -> Result<Option<HostedSessionRecord>, StoreError>;
}

/// A pool's domain (`CreateUserPoolDomain`): a prefix, or a custom domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    pub domain: String,
    pub pool_id: UserPoolId,
    pub is_custom: bool,
    /// The ACM certificate a custom domain was created with (stored and returned).
    pub certificate_arn: Option<String>,
    pub created_at: UnixSeconds,
}

/// OAuth 2.0 resource servers (their custom scopes) and pool domains.
#[async_trait]
pub trait OAuthStore {
    /// The pool's resource servers by identifier.
    async fn resource_servers(&self, pool: &UserPoolId) -> Result<Vec<ResourceServer>, StoreError>;
    async fn resource_server(
        &self,
        pool: &UserPoolId,
        identifier: &str,
    ) -> Result<Option<ResourceServer>, StoreError>;
    /// The pool's resource servers by identifier, strictly after `after`, at most `limit`.
    async fn resource_servers_page(
        &self,
        pool: &UserPoolId,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ResourceServer>, StoreError>;
    /// Creates one; `Conflict` if the pool has one with that identifier.
    async fn create_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError>;
    /// Replaces its name, scopes and modification time; false if it is gone.
    async fn update_resource_server(&self, server: &ResourceServer) -> Result<bool, StoreError>;
    async fn delete_resource_server(
        &self,
        pool: &UserPoolId,
        identifier: &str,
    ) -> Result<bool, StoreError>;
    /// Creates the domain; `Conflict` if the name is taken or the pool has one.
    async fn create_domain(&self, domain: &DomainRecord) -> Result<(), StoreError>;
    async fn domain(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError>;
    async fn domain_of_pool(&self, pool: &UserPoolId) -> Result<Option<DomainRecord>, StoreError>;
    /// Replaces a custom domain's certificate; false if the domain is gone.
    async fn update_domain(&self, domain: &DomainRecord) -> Result<bool, StoreError>;
    /// Deletes the pool's domain of that name; false if there was none.
    async fn delete_domain(&self, pool: &UserPoolId, domain: &str) -> Result<bool, StoreError>;
}

/// A pool's or an app client's hosted-page branding (`SetUICustomization`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiCustomizationRecord {
    pub pool_id: UserPoolId,
    /// The app client's id, or `ALL` for the pool-wide settings.
    pub client_key: String,
    /// The CSS as given (already checked).
    pub css: Option<String>,
    /// The logo, base64-encoded, and its format (`png` or `jpeg`).
    pub image: Option<String>,
    pub image_type: Option<String>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
}

/// Hosted-page branding.
#[async_trait]
pub trait BrandingStore {
    /// Creates or replaces the branding of `record.client_key`; a replaced one keeps its
    /// creation time. The row as stored.
    async fn put_ui_customization(
        &self,
        record: &UiCustomizationRecord,
    ) -> Result<UiCustomizationRecord, StoreError>;
    /// The branding stored under exactly that key (no fallback to `ALL`).
    async fn ui_customization(
        &self,
        pool: &UserPoolId,
        client_key: &str,
    ) -> Result<Option<UiCustomizationRecord>, StoreError>;
}

/// Everything Gatehouse persists.
#[async_trait]
pub trait Store:
    PoolStore
    + UserStore
    + OutboxStore
    + GroupStore
    + OAuthStore
    + BrandingStore
    + SessionStore
    + SrpChallengeStore
    + CustomAuthStore
    + MfaStore
    + AuthorizationStore
    + LockoutStore
    + KeyStore
    + HousekeepingStore
    + Send
    + Sync
{
    fn backend(&self) -> Backend;
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Whether the schema matches what this binary knows.
    async fn schema_status(&self) -> Result<SchemaStatus, StoreError>;
    /// The connection pool right now, for metrics.
    fn connections(&self) -> ConnectionUsage;
    /// Waits for borrowed connections to come back, then closes them all (at shutdown).
    async fn close(&self);
}

/// How full a connection pool is: `open - idle` connections are in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionUsage {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}
