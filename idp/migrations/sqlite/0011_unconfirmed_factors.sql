-- The purge removes authenticator apps set up and never confirmed by a first code; this index
-- serves it without a scan of every confirmed factor.
CREATE INDEX totp_factors_unconfirmed ON totp_factors (created_at) WHERE confirmed_at IS NULL;
