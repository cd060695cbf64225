-- Breached passwords found at sign-in: when the password an account signed in with was found in
-- a data breach. While set, every sign-in must choose a new password before it finishes; setting
-- a password (the forced step, the account page or a reset by email) clears it.
ALTER TABLE users ADD COLUMN password_breached_at INTEGER;
