-- The OAuth 2.0 front channel (docs/oauth2.md, "Authorization endpoint, hosted pages and logout").
--
-- An authorization code is stored only as the SHA-256 of its value, bound to the client,
-- user, redirect_uri, scopes, nonce and PKCE challenge it was issued for. It is spent by one
-- conditional UPDATE (`consumed_at IS NULL`), which also names the refresh-token session the
-- exchange is about to start (`session_id`), so a later presentation of the same code knows
-- which session to revoke (RFC 9700). `replayed_at` records such a presentation, so an
-- exchange that finishes after the replay still revokes what it just issued.
CREATE TABLE authorization_codes (
    code_hash       TEXT PRIMARY KEY,
    pool_id         TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    user_sub        TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    redirect_uri    TEXT NOT NULL,
    scopes          TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT,
    auth_time       BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    consumed_at     BIGINT,
    session_id      TEXT,
    replayed_at     BIGINT,
    created_at      BIGINT NOT NULL
);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);

-- A browser signed in through the hosted pages: the cookie's value is random, only its
-- SHA-256 is stored. It rides on the sign-in's own session (`session_id`): revoking that
-- session (sign-out, global sign-out, /logout) ends the hosted session too.
CREATE TABLE hosted_sessions (
    id_hash     TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL,
    user_sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    session_id  TEXT NOT NULL,
    auth_time   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX hosted_sessions_expiry ON hosted_sessions (expires_at);
