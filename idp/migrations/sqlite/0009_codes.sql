-- Recovery codes: ten single-use codes per account, shown once when generated. Only their
-- SHA-256 (salted with the account id) is kept; used_at marks a code spent. Generating a new set
-- deletes the old one.
CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Customers who turned email codes on as a second factor.
CREATE TABLE email_otp_factors (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    enabled_at INTEGER NOT NULL
);

-- Six-digit codes sent by email during a sign-in: bound to the session that asked for one, kept
-- as a salted SHA-256, valid until expires_at, dead once used or after too many wrong tries; they
-- go with their session.
CREATE TABLE email_codes (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    used_at INTEGER
);
CREATE INDEX email_codes_session ON email_codes(session_id);

-- Email codes sent per account in the current window (one hour from its first send), so
-- "send me a code" cannot be used to flood an inbox.
CREATE TABLE email_code_sends (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    sent INTEGER NOT NULL
);
