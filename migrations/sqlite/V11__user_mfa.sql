-- Each user's second factors (docs/security.md, "Multi-factor authentication"). A TOTP
-- secret is stored only sealed under the key-encryption key, bound to the pool and user:
-- `totp_secret` is the verified one, `pending_totp_secret` one AssociateSoftwareToken made
-- that no VerifySoftwareToken has confirmed yet (the verified one keeps working meanwhile).
-- `last_totp_step` is the RFC 6238 time step of the last code accepted: a code is accepted
-- only by the conditional UPDATE that raises it, so a code is used once, however many
-- requests present it at the same moment.
CREATE TABLE user_mfa (
    sub                  TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    totp_secret          TEXT,
    pending_totp_secret  TEXT,
    totp_device_name     TEXT,
    totp_enabled         INTEGER NOT NULL,
    totp_preferred       INTEGER NOT NULL,
    last_totp_step       BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
