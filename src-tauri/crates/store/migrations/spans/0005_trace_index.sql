-- One row per trace (and environment, '' for unattributed) summing its
-- parts: the trace list reads a window's newest (or slowest) traces from
-- it instead of grouping every part in the window (100,000 traces:
-- ~150 ms a query grouped, a few ms here). The entry is the earliest
-- entry span of any part, as the grouped query chose it.
--
-- New parts are folded in after they are stored (`spans/trace_index.rs`:
-- before a list is read, and by the receiver service a second after
-- spans arrive), not by a trigger on insert, which cost as much as
-- storing the part (see the README's Decisions). Removed parts
-- (retention) update it by trigger.
CREATE TABLE trace_index (
    trace_id       BLOB    NOT NULL,
    environment    TEXT    NOT NULL,
    start_ns       INTEGER NOT NULL,
    end_ns         INTEGER NOT NULL,
    spans          INTEGER NOT NULL,
    error_spans    INTEGER NOT NULL,
    entry_start_ns INTEGER,
    entry_service  TEXT,
    entry_name     TEXT,
    entry_route    TEXT,
    PRIMARY KEY (trace_id, environment)
) WITHOUT ROWID;
CREATE INDEX trace_index_env_start ON trace_index (environment, start_ns);
-- Slowest first without sorting the whole window.
CREATE INDEX trace_index_env_duration ON trace_index (environment, end_ns - start_ns);

INSERT INTO trace_index
SELECT t.trace_id, t.environment, t.start_ns, t.end_ns, t.spans, t.errors,
       r.entry_start_ns, r.entry_service, r.entry_name, r.entry_route
FROM (SELECT trace_id, coalesce(environment, '') AS environment, environment AS stored_as,
             min(start_ns) AS start_ns, max(end_ns) AS end_ns,
             sum(spans) AS spans, sum(error_spans) AS errors
      FROM trace_parts GROUP BY trace_id, environment) t
LEFT JOIN trace_parts r ON r.id = (
    SELECT x.id FROM trace_parts x
    WHERE x.trace_id = t.trace_id AND x.environment IS t.stored_as AND x.entry_start_ns IS NOT NULL
    ORDER BY x.entry_start_ns, x.id LIMIT 1);

-- The last part folded in (parts' ids only grow while any is left).
CREATE TABLE trace_index_folded (
    one     INTEGER PRIMARY KEY CHECK (one = 1),
    part_id INTEGER NOT NULL
);
INSERT INTO trace_index_folded VALUES (1, (SELECT coalesce(max(id), 0) FROM trace_parts));

-- A removed part (retention): its trace's row is summed again from the
-- folded parts left (those not yet folded are added when they are), or
-- goes with the last of them.
CREATE TRIGGER trace_parts_unindexed AFTER DELETE ON trace_parts BEGIN
    DELETE FROM trace_index
    WHERE trace_id = old.trace_id AND environment = coalesce(old.environment, '');
    INSERT INTO trace_index
    SELECT old.trace_id, coalesce(old.environment, ''), min(p.start_ns), max(p.end_ns),
           sum(p.spans), sum(p.error_spans), e.entry_start_ns, e.entry_service, e.entry_name,
           e.entry_route
    FROM trace_parts p
    LEFT JOIN trace_parts e ON e.id = (
        SELECT x.id FROM trace_parts x
        WHERE x.trace_id = old.trace_id AND x.environment IS old.environment
          AND x.entry_start_ns IS NOT NULL AND x.id <= (SELECT part_id FROM trace_index_folded)
        ORDER BY x.entry_start_ns, x.id LIMIT 1)
    WHERE p.trace_id = old.trace_id AND p.environment IS old.environment
      AND p.id <= (SELECT part_id FROM trace_index_folded)
    HAVING count(*) > 0;
    -- With every part gone, ids start again from 1.
    UPDATE trace_index_folded SET part_id = 0 WHERE NOT EXISTS (SELECT 1 FROM trace_parts);
END;
