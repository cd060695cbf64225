-- Passkeys (WebAuthn) of customers: several per account, each named by its owner. The credential
-- id (base64url) is unique across the issuer: one authenticator key belongs to one account.
-- passkey holds the serialized webauthn-rs Passkey (public key, algorithm, sign counter); the
-- counter and backup flags are also columns so they can be read and audited without it.
CREATE TABLE passkeys (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    backup_eligible BIGINT NOT NULL,
    backup_state BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- Ceremonies under way: the server half of a WebAuthn registration or authentication, kept here
-- and never sent to the browser. The page carries only a random handle, stored as its SHA-256.
-- binding names what the ceremony belongs to (a session or a sign-in); a ceremony is taken once
-- (deleted as it is read) and lapses at expires_at.
CREATE TABLE passkey_ceremonies (
    handle_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    binding TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    name TEXT,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
