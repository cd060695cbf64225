-- Sign-in outcomes of the whole tenant per minute (minute = Unix seconds / 60): the tenant-wide
-- failure ratio of the last minutes, compared with the hour before, puts every untrusted browser
-- in challenged mode during a stuffing wave spread over many addresses. Each minute is split
-- over a few shards chosen at random, so concurrent sign-ins do not all wait on one row; reads
-- sum them. Purged after two hours.
CREATE TABLE sign_in_outcomes (
    minute INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    successes INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    PRIMARY KEY (minute, shard)
);
