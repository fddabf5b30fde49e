-- The span store (spans.db, a file of its own beside readyroom.db).
-- One row per span; a repeated (trace, span) id keeps the first copy, as
-- trace assembly does. The whole span is kept as JSON in `span`; the
-- columns beside it are what queries filter and group by.
CREATE TABLE spans (
    id            INTEGER PRIMARY KEY,
    trace_id      BLOB    NOT NULL,
    span_id       BLOB    NOT NULL,
    parent_id     BLOB,
    environment   TEXT,              -- NULL: matched no environment
    service       TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    route         TEXT    NOT NULL,  -- http.route, else the name
    kind          INTEGER NOT NULL,  -- OTLP SpanKind
    status        INTEGER NOT NULL,  -- OTLP StatusCode
    failed        INTEGER NOT NULL,  -- 1: status ERROR or HTTP >= 500
    db_system     TEXT,              -- the db.system attribute, when set
    start_ns      INTEGER NOT NULL,
    duration_ns   INTEGER NOT NULL,
    received_ns   INTEGER NOT NULL,
    span          TEXT    NOT NULL   -- JSON (readyroom_core::traces::Span)
);
CREATE UNIQUE INDEX spans_ids ON spans (trace_id, span_id);
CREATE INDEX spans_env_start ON spans (environment, start_ns);
CREATE INDEX spans_env_requests ON spans (environment, kind, start_ns, service, route);
CREATE INDEX spans_received ON spans (received_ns);
