-- Authenticator apps (TOTP, RFC 6238) as a second factor: one per account. The secret is kept
-- encrypted (AES-256-GCM under the IdP's data key, never the signing key): nonce and ciphertext,
-- base64. It counts only once confirmed by a first code; last_step is the time step of the last
-- code accepted, so a code is never accepted twice.
CREATE TABLE totp_factors (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    last_step INTEGER
);
