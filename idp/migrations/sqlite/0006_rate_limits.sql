-- Rate-limit counters per action and limit key (an IPv4 address or an IPv6 /64) in the current
-- fixed window. An IdP on SQLite runs one replica and limits in memory; the table is here so
-- the schema (and its purge) is one on both backends, and their migrations keep one numbering.
CREATE TABLE rate_limits (
    action TEXT NOT NULL,
    limit_key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (action, limit_key)
);
CREATE INDEX rate_limits_window_start ON rate_limits(window_start);
