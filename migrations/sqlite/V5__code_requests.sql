-- How many one-time codes each user asked for in the current window, per purpose
-- (ForgotPassword, ResendConfirmationCode, GetUserAttributeVerificationCode): each request
-- replaces the code and its count of guesses, so without a cap guessing could go on forever
-- by asking again. Counted and checked in one upsert, so the cap holds across replicas.
CREATE TABLE code_requests (
    user_sub           TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    purpose            TEXT NOT NULL,
    window_started_at  BIGINT NOT NULL,
    requests           BIGINT NOT NULL,
    PRIMARY KEY (user_sub, purpose)
);

-- A change to a contact attribute that waits for its code
-- (`AttributesRequireVerificationBeforeUpdate`): the new value, applied only when
-- VerifyUserAttribute spends the code (which is bound to it). NULL for every other code.
ALTER TABLE user_codes ADD COLUMN pending_value TEXT;
