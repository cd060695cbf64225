-- Identities at upstream providers linked to accounts: one customer may sign in with a password,
-- several providers, or providers only (an account without a password has password_hash '').
-- An upstream subject belongs to one account at most: (provider_id, subject) is the key.
CREATE TABLE linked_identities (
    provider_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT,
    linked_at INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX linked_identities_user ON linked_identities(user_id);
