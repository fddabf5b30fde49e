-- Trace parts replace the row per span (issue 9's ingest target): a batch
-- is stored as one row per trace (and environment) it touches, holding
-- that part's spans as one encoded blob (resource once; see
-- spans/body.rs) beside what queries filter and group by. Everything the
-- trace checks and statistics count is kept in per-minute rollups as
-- parts are stored, so no query reads spans back one by one.
CREATE TABLE trace_parts (
    id             INTEGER PRIMARY KEY,  -- insertion order: oldest first
    trace_id       BLOB    NOT NULL,
    environment    TEXT,                 -- NULL: matched no environment
    start_ns       INTEGER NOT NULL,     -- the part's earliest span start
    end_ns         INTEGER NOT NULL,     -- its latest span end
    received_ns    INTEGER NOT NULL,
    spans          INTEGER NOT NULL,
    error_spans    INTEGER NOT NULL,     -- status ERROR
    -- Spans whose parent is in no part of the trace so far, kept current
    -- as later parts bring parents: the count, and the parent ids (8
    -- bytes each, one per orphan span).
    orphans        INTEGER NOT NULL,
    parent_ids     BLOB    NOT NULL,
    span_ids       BLOB    NOT NULL,     -- 8 bytes a span, for repeats
    -- The part's entry span: its earliest span without a parent.
    entry_start_ns INTEGER,
    entry_service  TEXT,
    entry_name     TEXT,
    entry_route    TEXT,
    body           BLOB    NOT NULL
);
CREATE INDEX trace_parts_trace ON trace_parts (trace_id);
-- Covering for the integrity counts (spans and orphans in a window).
CREATE INDEX trace_parts_env_start ON trace_parts (environment, start_ns, spans, orphans);

-- Per environment ('' for unattributed) and minute: spans, entry
-- requests (SERVER spans without a parent) and the failed ones, ERROR
-- spans and those with detail, and the newest span start.
CREATE TABLE span_minutes (
    environment   TEXT    NOT NULL,
    minute        INTEGER NOT NULL,
    spans         INTEGER NOT NULL,
    roots         INTEGER NOT NULL,
    roots_failed  INTEGER NOT NULL,
    error_spans   INTEGER NOT NULL,
    error_detail  INTEGER NOT NULL,
    last_start_ns INTEGER NOT NULL,
    PRIMARY KEY (environment, minute)
) WITHOUT ROWID;

-- Database CLIENT spans (db.system set) per environment and minute, as
-- route_minutes keeps requests.
CREATE TABLE db_minutes (
    environment TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    requests    INTEGER NOT NULL,
    errors      INTEGER NOT NULL,
    histogram   BLOB    NOT NULL,
    PRIMARY KEY (environment, minute)
) WITHOUT ROWID;

-- Upstream attempts (CLIENT spans with gen_ai.* attributes or a peer
-- host, lower case; '' for none) per environment and minute, and each
-- failed one with its trace (few: what the absorption check starts from).
CREATE TABLE upstream_minutes (
    environment TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    peer        TEXT    NOT NULL,
    gen_ai      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    PRIMARY KEY (environment, minute, peer, gen_ai)
) WITHOUT ROWID;
CREATE TABLE upstream_failures (
    environment TEXT    NOT NULL,
    start_ns    INTEGER NOT NULL,
    trace_id    BLOB    NOT NULL,
    peer        TEXT    NOT NULL,
    gen_ai      INTEGER NOT NULL
);
CREATE INDEX upstream_failures_env_start ON upstream_failures (environment, start_ns);

-- Spans stored a row each (the `spans` table) are moved into parts when
-- the store is next opened, rebuilding every rollup; the old request
-- rollups go so they are not counted twice.
DELETE FROM route_minutes;
