-- The quota sampler's readings (src/quota.rs). One row per reading: the
-- tiers and AI cost, or the failure that stood in its place, so gaps
-- survive a restart; the body is LZ4-compressed JSON in the row format
-- `format` names.
CREATE TABLE quota_snapshots (
    id INTEGER PRIMARY KEY,
    environment TEXT NOT NULL,
    -- Unix milliseconds.
    at_ms INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    format INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX quota_snapshots_env_at ON quota_snapshots (environment, at_ms, ok);
-- Per UTC day and workspace worth remembering (over, near, throttled or
-- spending when read), the most its readings that day saw: what "who has
-- been throttled all week" asks, answered without decoding a snapshot.
CREATE TABLE quota_days (
    environment TEXT NOT NULL,
    -- YYYY-MM-DD.
    day TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    workspace_name TEXT NOT NULL,
    tier TEXT NOT NULL,
    throttled INTEGER NOT NULL,
    worst_share REAL,
    ai_cost REAL,
    PRIMARY KEY (environment, day, workspace_id)
) WITHOUT ROWID;
CREATE INDEX quota_days_day ON quota_days (day);
