-- Indexes on the columns the periodic purge deletes by, so it never scans a whole table.
CREATE INDEX authorization_codes_expires ON authorization_codes(expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);
CREATE INDEX grants_expires ON grants(expires_at);
CREATE INDEX grants_revoked ON grants(revoked_at);
CREATE INDEX email_tokens_expires ON email_tokens(expires_at);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens(expires_at);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX audit_log_at ON audit_log(at);
