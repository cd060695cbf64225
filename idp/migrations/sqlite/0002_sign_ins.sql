-- Sign-ins in progress replace parked authorization requests: each is bound to the browser that
-- started it (the SHA-256 of a random cookie) and counted per client network, so unauthenticated
-- requests cannot fill the database. Grants remember the assurance class (`acr`) they reached.
DROP TABLE authorization_requests;

CREATE TABLE sign_ins (
    id TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    network TEXT NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sign_ins_network ON sign_ins(network, expires_at);
CREATE INDEX sign_ins_expires ON sign_ins(expires_at);

ALTER TABLE grants ADD COLUMN acr TEXT;
