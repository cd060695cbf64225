-- Sign-in outcomes of the whole tenant per minute (minute = Unix seconds / 60): the tenant-wide
-- failure ratio of the last minutes, compared with the hour before, puts every untrusted browser
-- in challenged mode during a stuffing wave spread over many addresses. Purged after two hours.
CREATE TABLE sign_in_outcomes (
    minute INTEGER PRIMARY KEY,
    successes INTEGER NOT NULL,
    failures INTEGER NOT NULL
);
