-- Stored scorecards carry the version of their own row format (see
-- src/scorecards.rs), so the wire format can change without turning old
-- history into unreadable rows. Rows stored before this migration are
-- format 1.
ALTER TABLE scorecard_runs ADD COLUMN format INTEGER NOT NULL DEFAULT 1;
CREATE INDEX scorecard_runs_id_env ON scorecard_runs (id, environment);
