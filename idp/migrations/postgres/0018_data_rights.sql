-- Data rights: when an account was last used (a completed sign-in), so retention can erase
-- accounts unused for the tenant's dataRetention.inactiveAccounts, and when the warning email
-- before that erasure went out (sent once; a sign-in clears it). Accounts made before this
-- migration count as used when they were made.
ALTER TABLE users ADD COLUMN last_active_at BIGINT;
ALTER TABLE users ADD COLUMN inactivity_warned_at BIGINT;
UPDATE users SET last_active_at = created_at;
CREATE INDEX users_last_active ON users (last_active_at);

-- Jobs that only one replica may run at a time (the retention job): the holder owns the job
-- until expires_at, renewing it each run; taken by one atomic upsert.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Tables an erasure deleted rows from, vacuumed by the retention job on PostgreSQL (SQLite
-- overwrites deleted content at once: secure_delete and a WAL checkpoint).
CREATE TABLE vacuum_due (
    table_name TEXT PRIMARY KEY
);
