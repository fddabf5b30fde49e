-- Per-minute request rollups: for each environment ('' for unattributed),
-- service, route and minute, the requests, the failed ones and an HDR
-- histogram of their durations (its recorded buckets: microseconds and
-- count, as varint pairs), kept as spans
-- are stored. Per-route statistics over a window then merge a few
-- histograms per minute instead of reading every span back. Filled for
-- spans stored before this table existed when the store is next opened.
CREATE TABLE route_minutes (
    environment TEXT    NOT NULL,
    minute      INTEGER NOT NULL,  -- start_ns / 60 s
    service     TEXT    NOT NULL,
    route       TEXT    NOT NULL,
    requests    INTEGER NOT NULL,
    errors      INTEGER NOT NULL,
    histogram   BLOB    NOT NULL,
    PRIMARY KEY (environment, minute, service, route)
) WITHOUT ROWID;
