-- The outbox: every message Gatehouse sends (codes, invitations) is written here first, in
-- the request that causes it, and delivered afterwards by a background worker that any
-- replica may run. A message is claimed with a lease (lease_owner, lease_until) by one
-- conditional UPDATE, so two replicas never hold it at once; it is marked sent only by the
-- lease holder. `content` is the subject, text and HTML bodies, encrypted under the
-- key-encryption key (they carry codes). `state`: 'pending' (waiting for SMTP), 'sent', or
-- 'held' (no SMTP configured, or SMS, which has no carrier: kept for the operator and tests).
CREATE TABLE outbox (
    id               TEXT PRIMARY KEY,
    pool_id          TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
    destination      TEXT NOT NULL,
    medium           TEXT NOT NULL,
    template         TEXT NOT NULL,
    sender           TEXT,
    content          TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    lease_owner      TEXT,
    lease_until      BIGINT,
    sent_at          BIGINT,
    created_at       BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_destination ON outbox (destination);
CREATE INDEX outbox_by_pool ON outbox (pool_id, created_at);

-- One-time codes of every purpose (sign-up confirmation, password reset, attribute
-- verification), one per user and purpose, encrypted under the key-encryption key, with
-- their wrong guesses counted in the statement that checks the limit. The sign-up codes of
-- version 1 move here unchanged.
CREATE TABLE user_codes (
    user_sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    purpose          TEXT NOT NULL,
    code_encrypted   TEXT NOT NULL,
    expires_at       BIGINT NOT NULL,
    failed_attempts  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (user_sub, purpose)
);
INSERT INTO user_codes (user_sub, purpose, code_encrypted, expires_at, failed_attempts, created_at)
    SELECT user_sub, 'sign_up', code_encrypted, expires_at, failed_attempts, created_at
    FROM confirmation_codes;
DROP TABLE confirmation_codes;
