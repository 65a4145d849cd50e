-- CUSTOM_AUTH sign-ins between two steps (docs/triggers.md, "Custom authentication"): found by
-- the hash of the opaque Session the client holds and taken (deleted) by the one answer it
-- gets. `state` is the challenge history, the CreateAuthChallenge function's private
-- parameters (often the expected answer) and, while a PASSWORD_VERIFIER is open, the SRP
-- challenge it belongs to, all sealed under the key-encryption key and bound to this row's
-- session, pool, client and user. The user is named, not referenced: a name no user has gets
-- a session too (userNotFound), so the flow looks the same for every name.
CREATE TABLE custom_auth_sessions (
    session_hash    TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_id       TEXT NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
    username        TEXT NOT NULL,
    username_key    TEXT NOT NULL,
    challenge_name  TEXT NOT NULL,
    state           TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX custom_auth_sessions_by_expiry ON custom_auth_sessions (expires_at);
