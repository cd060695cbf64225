-- Proof-of-work challenges issued to the sign-in form of a challenged address: only the SHA-256 of
-- the challenge is kept (a leaked table holds nothing to answer with), bound to the address (an
-- IPv4 address or an IPv6 /64) and to the sign-in transaction it was shown in. A challenge is
-- deleted by the statement that redeems it, so it is used once; the purge drops expired ones.
CREATE TABLE sign_in_challenges (
    challenge_hash TEXT PRIMARY KEY,
    limit_key TEXT NOT NULL,
    transaction_id TEXT NOT NULL,
    difficulty BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sign_in_challenges_expires_at ON sign_in_challenges(expires_at);

-- Failed sign-ins per address and account tried (the SHA-256 of the normalized email address,
-- known or not): the signals of challenged mode. A row's failures count until its last one is
-- older than the tenant's window; the purge drops rows a day old.
CREATE TABLE address_sign_in_failures (
    limit_key TEXT NOT NULL,
    account_hash TEXT NOT NULL,
    failures BIGINT NOT NULL,
    last_failed_at BIGINT NOT NULL,
    PRIMARY KEY (limit_key, account_hash)
);
CREATE INDEX address_sign_in_failures_last_failed_at ON address_sign_in_failures(last_failed_at);
