-- SRP sign-in (USER_SRP_AUTH). Each password's SRP salt and verifier, sealed under the
-- key-encryption key and bound to the pool and user (a verifier is a fast hash of the
-- password, so never stored in the clear); NULL until the password is next set or used.
ALTER TABLE users ADD COLUMN srp_verifier TEXT;

-- Open PASSWORD_VERIFIER challenges, found by the SHA-256 of their SECRET_BLOCK and taken
-- (deleted) by the one answer they get. The server's ephemeral secret b is sealed under the
-- key-encryption key; A and B are public. Rows exist for unknown users too (with decoy
-- values), so the first step costs and looks the same for every name.
CREATE TABLE srp_challenges (
    secret_block_hash  TEXT PRIMARY KEY,
    pool_id            TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    client_id          TEXT NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
    username           TEXT NOT NULL,
    username_key       TEXT NOT NULL,
    client_public      TEXT NOT NULL,
    server_secret      TEXT NOT NULL,
    expires_at         BIGINT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX srp_challenges_by_expiry ON srp_challenges (expires_at);
