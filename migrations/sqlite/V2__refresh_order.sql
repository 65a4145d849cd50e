-- Refresh-token reuse is decided by order, not by the wall-clock second: when a token was
-- consumed and re-exchanged, to the millisecond, and when the session last had its one
-- grace re-exchange (allowed once per session per window, not once per token). The
-- second-precision columns stay as they are; rows from before this migration have no
-- millisecond value and are read at the start of their second.
ALTER TABLE refresh_tokens ADD COLUMN consumed_at_ms BIGINT;
ALTER TABLE refresh_tokens ADD COLUMN regranted_at_ms BIGINT;
ALTER TABLE sessions ADD COLUMN regranted_at_ms BIGINT;
