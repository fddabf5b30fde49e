-- How busy each pool reading says its source was (PoolReading::load: the
-- server's client sessions, the pooler's waiting clients, the app pool's
-- in-use plus waiting connections; NULL for a failure). A chart over a
-- window longer than it can draw point by point keeps, of each stretch of
-- samples, the busiest one, chosen from the index alone without reading
-- the bodies. Rows written before this column read as NULL and are still
-- drawn.
ALTER TABLE pool_samples ADD COLUMN load REAL;
-- The old index is this one's prefix.
DROP INDEX pool_samples_env_kind_at;
CREATE INDEX pool_samples_env_kind_at_load ON pool_samples (environment, kind, at_ms, ok, load);
