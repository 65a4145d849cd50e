-- E-mailed and texted sign-in codes as second factors (docs/security.md, "Multi-factor
-- authentication"). Each factor has its enabled and preferred flags, as TOTP has. A user has
-- at most one live code: the one sent with their newest EMAIL_OTP or SMS_MFA challenge, so
-- sending a new one replaces (invalidates) the last. The code is stored only as a hash of
-- the challenge session and the code together: the database alone cannot test guesses
-- against it. It is spent by the conditional UPDATE that clears it, so it is used once.
ALTER TABLE user_mfa ADD COLUMN email_mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE user_mfa ADD COLUMN email_mfa_preferred BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE user_mfa ADD COLUMN sms_mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE user_mfa ADD COLUMN sms_mfa_preferred BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE user_mfa ADD COLUMN otp_code_hash TEXT;
ALTER TABLE user_mfa ADD COLUMN otp_code_factor TEXT;
ALTER TABLE user_mfa ADD COLUMN otp_code_expires_at BIGINT;
