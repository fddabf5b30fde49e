-- The audit log (src/audit.rs): every action against production, its
-- intent before anything is sent and its outcome after, in a hash chain
-- (readyroom_core::audit). Append-only: nothing in Readyroom updates or
-- deletes a row, and these triggers refuse it from anything else that
-- opens the file, so an edit shows as a broken chain, not a quiet change.
CREATE TABLE audit_log (
    -- Its place in the chain, from 1.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    environment TEXT NOT NULL,
    -- The entry (readyroom_core::audit::NewEntry) as JSON, as hashed.
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_environment ON audit_log (environment, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
