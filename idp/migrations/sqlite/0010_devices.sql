-- Adaptive MFA and trusted devices. Devices are known by the SHA-256 of their random device
-- cookie and networks (an IPv4 /24, an IPv6 /64) by the SHA-256 of their prefix: the risk score
-- asks only whether this account saw them before, after a full sign-in.
CREATE TABLE known_devices (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_hash TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);
CREATE TABLE known_networks (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    network_hash TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, network_hash)
);
-- Devices a customer trusted after a second factor: the SHA-256 of the random token in the
-- device's cookie, so a row revoked or expired ends the trust (a cookie alone proves nothing).
CREATE TABLE trusted_devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX trusted_devices_user ON trusted_devices(user_id);
CREATE INDEX trusted_devices_expires ON trusted_devices(expires_at);
