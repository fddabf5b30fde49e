-- The pool sampler's readings (src/pools.rs): one row per source per
-- sample, a good sample or the failure that stood in its place, so gaps
-- and "unreachable since" survive a restart. The body is LZ4-compressed
-- JSON in the row format `format` names.
CREATE TABLE pool_samples (
    id INTEGER PRIMARY KEY,
    environment TEXT NOT NULL,
    -- 'server', 'pooler' or 'app'.
    kind TEXT NOT NULL,
    -- Unix milliseconds.
    at_ms INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    format INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX pool_samples_env_kind_at ON pool_samples (environment, kind, at_ms);
CREATE INDEX pool_samples_at ON pool_samples (at_ms);
