-- The per-client OAuth scope consent keeps its rows under an explicit name, apart from the
-- privacy consent records below.
ALTER TABLE consents RENAME TO scope_consents;

-- Privacy consent (ConsentPolicy): every answer of a customer about a document (`document:terms`,
-- `document:privacy`) or a processing purpose, appended and never changed, so the state at any
-- past moment can be proven; the current state is the latest row per subject. Rows of a purpose
-- a policy no longer lists stay. Erased with the account.
CREATE TABLE consent_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    state TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    source TEXT NOT NULL,
    gpc INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX consent_records_subject ON consent_records(user_id, subject, id);
