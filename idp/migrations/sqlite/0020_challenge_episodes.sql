-- Who is in challenged mode now (an address's limit key, or the tenant as '*'), and which request
-- started the episode: the statement that extends an episode also tells whether it started it,
-- so entering challenged mode is audited once however many failures arrive at the same time.
-- An episode ends when its last failure past the thresholds is older than the window.
CREATE TABLE challenge_episodes (
    subject TEXT PRIMARY KEY,
    episode TEXT NOT NULL,
    last_at INTEGER NOT NULL
);
CREATE INDEX challenge_episodes_last_at ON challenge_episodes(last_at);

-- CAPTCHA answers already presented (their SHA-256): each is accepted once here even if the
-- provider would verify it twice. The purge drops them once no provider would accept them.
CREATE TABLE captcha_answers (
    answer_hash TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX captcha_answers_expires_at ON captcha_answers(expires_at);
