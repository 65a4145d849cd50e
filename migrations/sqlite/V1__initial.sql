-- Gatehouse schema, version 1. Timestamps are Unix seconds (BIGINT) on both backends, the
-- SQLite has no boolean type: flags are INTEGER 0/1 here and BOOLEAN on Postgres.
-- unit tokens carry; ids are text in the shapes AWS clients expect.

CREATE TABLE user_pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE app_clients (
    id                     TEXT PRIMARY KEY,
    pool_id                TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    is_default             INTEGER NOT NULL,
    secret_encrypted       TEXT,
    id_token_seconds       BIGINT NOT NULL,
    access_token_seconds   BIGINT NOT NULL,
    refresh_token_seconds  BIGINT NOT NULL,
    refresh_grace_seconds  BIGINT NOT NULL,
    settings               TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE UNIQUE INDEX app_clients_one_default_per_pool ON app_clients (pool_id) WHERE is_default;

CREATE TABLE users (
    sub                            TEXT PRIMARY KEY,
    pool_id                        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    username                       TEXT NOT NULL,
    username_key                   TEXT NOT NULL,
    password_hash                  TEXT,
    pepper_id                      TEXT,
    status                         TEXT NOT NULL,
    enabled                        INTEGER NOT NULL,
    attributes                     TEXT NOT NULL,
    tokens_valid_after             BIGINT NOT NULL,
    temporary_password_expires_at  BIGINT,
    created_at                     BIGINT NOT NULL,
    updated_at                     BIGINT NOT NULL,
    UNIQUE (pool_id, username_key)
);

CREATE TABLE groups (
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    precedence   BIGINT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (pool_id, name)
);

CREATE TABLE user_groups (
    user_sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    PRIMARY KEY (user_sub, group_name),
    FOREIGN KEY (pool_id, group_name) REFERENCES groups (pool_id, name) ON DELETE CASCADE
);

-- One row per sign-in; its id is the tokens' origin_jti and it is the refresh-token family.
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_id   TEXT NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
    user_sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    auth_time   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_sub);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Refresh tokens are stored only as SHA-256 hashes. Each rotation consumes one and links it
-- to its successor (replaced_by / parent_hash); regranted_at marks the one re-exchange a
-- consumed token may get inside the client's grace window.
CREATE TABLE refresh_tokens (
    token_hash    TEXT PRIMARY KEY,
    session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    parent_hash   TEXT,
    issued_at     BIGINT NOT NULL,
    consumed_at   BIGINT,
    replaced_by   TEXT,
    regranted_at  BIGINT
);
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- Pending NEW_PASSWORD_REQUIRED (and later) challenges; the session string is stored hashed.
CREATE TABLE auth_challenges (
    session_hash    TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
    user_sub        TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    challenge_name  TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX auth_challenges_by_expiry ON auth_challenges (expires_at);

-- Private keys are AES-256-GCM ciphertext under the key-encryption key, never plaintext.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    purpose       TEXT NOT NULL,
    alg           TEXT NOT NULL,
    private_key   TEXT NOT NULL,
    public_jwk    TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    activates_at  BIGINT NOT NULL,
    retired_at    BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (pool_id, purpose) WHERE state = 'active';
CREATE UNIQUE INDEX signing_keys_one_pending ON signing_keys (pool_id, purpose) WHERE state = 'pending';

-- Failed sign-ins per (pool, username), for usernames that do not exist too. For an unknown
-- tenant the scope is derived from the name, so tenants cannot be told apart either.
CREATE TABLE login_failures (
    scope            TEXT NOT NULL,
    username_key     TEXT NOT NULL,
    failure_count    BIGINT NOT NULL,
    locked_until     BIGINT,
    last_failure_at  BIGINT NOT NULL,
    PRIMARY KEY (scope, username_key)
);

-- Sign-up confirmation codes (no mail is sent: the code goes to the log and the CLI), stored
-- encrypted under the key-encryption key, one per unconfirmed user.
CREATE TABLE confirmation_codes (
    user_sub         TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    code_encrypted   TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    failed_attempts  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL
);
