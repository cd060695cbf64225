-- Rate-limit counters shared by every replica: attempts per action and limit key (an IPv4
-- address or an IPv6 /64) in the current fixed window, counted by one upsert per attempt. The
-- purge deletes windows that have ended, by the index on window_start.
CREATE TABLE rate_limits (
    action TEXT NOT NULL,
    limit_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (action, limit_key)
);
CREATE INDEX rate_limits_window_start ON rate_limits(window_start);
