-- Lockout with backoff (consecutive failures within a window, consecutive locks) and the
-- throttle of failed sign-ins per client address (see idp/src/risk/lockout.rs).
ALTER TABLE users ADD COLUMN last_failed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN lockouts BIGINT NOT NULL DEFAULT 0;

CREATE TABLE sign_in_throttle (
    address TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    blocks BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_throttle_age ON sign_in_throttle(last_failed_at);
