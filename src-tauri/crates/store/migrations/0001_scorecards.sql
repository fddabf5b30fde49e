-- One row per scorecard run; the full scorecard is kept as JSON so that a
-- later version can show old runs exactly as they were scored.
CREATE TABLE scorecard_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    environment   TEXT    NOT NULL,
    measured_at   TEXT    NOT NULL, -- RFC 3339, UTC
    score         REAL    NOT NULL,
    grade         TEXT    NOT NULL,
    coverage      REAL    NOT NULL,
    scorecard     TEXT    NOT NULL  -- JSON (readyroom_core::scorecard::Scorecard)
);
CREATE INDEX scorecard_runs_env_time ON scorecard_runs (environment, measured_at);

-- This tool's own health samples of an environment (rel.uptime).
CREATE TABLE health_samples (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    environment   TEXT    NOT NULL,
    sampled_at    TEXT    NOT NULL, -- RFC 3339, UTC
    healthy       INTEGER NOT NULL, -- 0 or 1
    latency_ms    REAL,
    run_id        INTEGER REFERENCES scorecard_runs (id)
);
CREATE INDEX health_samples_env_time ON health_samples (environment, sampled_at);
