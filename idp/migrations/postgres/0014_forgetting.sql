-- The purge forgets devices and networks an account stopped signing in from, and removes email
-- codes and send windows that ended; these indexes serve it without scanning live rows.
CREATE INDEX known_devices_last_seen ON known_devices (last_seen_at);
CREATE INDEX known_networks_last_seen ON known_networks (last_seen_at);
CREATE INDEX email_codes_expires ON email_codes (expires_at);
CREATE INDEX email_code_sends_window ON email_code_sends (window_start);
