//! Writing a group of prepared batches in one transaction (the caller's,
//! which holds the write lock): the group's traces are looked up once
//! (repeats of stored spans, and of spans earlier in the group, dropped;
//! orphans resolved both ways) and the stored rollups it adds to read in
//! one round trip; the parts and the merged rollups written in another.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use readyroom_core::traces::{SpanId, TraceId};
use sqlx::{Row, Sqlite, SqliteConnection};

use super::parts::{self, ids_bytes, ids_of, Part};
use super::rollups::{json, Rollups, Statement};
use super::{nanos, Attributed, Stored};
use crate::{Error, Result};

/// A stored part of a trace the group adds to.
struct Sibling {
    id: i64,
    trace_id: TraceId,
    span_ids: Vec<u8>,
    parent_ids: Vec<u8>,
}

/// A batch split, encoded and counted: the work done before the write
/// lock is taken. It owns its spans, so whichever writer holds the lock
/// can store it.
pub(super) struct Prepared {
    received_ns: u64,
    /// Repeats within the batch.
    duplicates: u64,
    parts: Vec<Part>,
    /// Counted before the lock too (and again, rarely, if `link` drops
    /// repeats of stored spans).
    rollups: Rollups<'static>,
}

impl Prepared {
    pub(super) fn new(batch: Vec<Attributed>, received_ns: u64) -> Result<Prepared> {
        // A span repeated within the batch: the first copy goes in.
        let mut seen = HashSet::with_capacity(batch.len());
        let before = batch.len();
        let fresh: Vec<Attributed> = batch
            .into_iter()
            .filter(|a| seen.insert((a.span.trace_id, a.span.span_id)))
            .collect();
        let duplicates = (before - fresh.len()) as u64;
        let mut parts = parts::split(fresh).map_err(Error::Encode)?;
        // Parents within the part, before the lock; `link` revisits only
        // the traces that have other parts.
        for part in &mut parts {
            part.resolve(None);
        }
        let rollups = Rollups::of(&parts).into_owned();
        Ok(Prepared {
            received_ns,
            duplicates,
            parts,
            rollups,
        })
    }

    pub(super) fn spans(&self) -> usize {
        self.parts.iter().map(|p| p.spans.len()).sum()
    }
}

pub(super) enum Linked {
    Sql(sqlx::Error),
    Encode(String),
}

impl From<sqlx::Error> for Linked {
    fn from(e: sqlx::Error) -> Self {
        Linked::Sql(e)
    }
}

/// The stored parts of the group's traces (one indexed lookup per trace),
/// tagged 0 to tell them from the rollup rows read with them.
const SIBLINGS: &str = "SELECT 0, id, trace_id, span_ids, parent_ids FROM trace_parts \
     WHERE trace_id IN (SELECT unhex(value) FROM json_each(?))";

/// Parts per INSERT statement: 15 parameters each, well under SQLite's
/// 32,766 per statement.
const ROWS_PER_INSERT: usize = 500;

/// Stored parts whose orphans found their parents: (id, parent ids left, count).
const UPDATE_ORPHANS: &str = "UPDATE trace_parts SET parent_ids = unhex(j.value ->> 1), \
     orphans = j.value ->> 2 FROM json_each(?) AS j WHERE trace_parts.id = j.value ->> 0";

/// Who begins and ends the group's transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// The caller's transaction is open already and the caller commits.
    Caller,
    /// The group's own: BEGIN IMMEDIATE goes with the reads and COMMIT
    /// with the writes (no round trip of their own). On an error the
    /// transaction may still be open: the caller closes the connection,
    /// which rolls it back.
    Own,
}

/// Writes the group; what each batch stored, in order. Any error fails
/// the whole group (nothing of it is committed). Two round trips to the
/// database thread whatever the group's size: one reads what the group
/// needs (its traces' stored parts, the stored histograms it adds to),
/// one writes.
pub(super) async fn write_group(
    conn: &mut SqliteConnection,
    group: &mut [Prepared],
    framing: Framing,
) -> std::result::Result<Vec<Stored>, Linked> {
    let mut rollups = Rollups::default();
    for batch in group.iter_mut() {
        rollups.merge(std::mem::take(&mut batch.rollups));
    }
    let mut pending = rollups.pending();
    let traces: HashSet<TraceId> = group
        .iter()
        .flat_map(|b| &b.parts)
        .map(|p| p.trace_id)
        .collect();
    let traces: Vec<String> = traces.iter().map(ToString::to_string).collect();
    let mut reads: Vec<Statement> = vec![(SIBLINGS.into(), json(&traces))];
    reads.extend(pending.lookups());
    let mut siblings = Vec::new();
    for row in fetch(conn, &reads, framing == Framing::Own).await? {
        if row.get::<i64, _>(0) == 0 {
            siblings.extend(sibling(&row));
        } else {
            pending.add_stored(&row);
        }
    }
    let orphans_left = {
        let mut parts: Vec<&mut Part> = group.iter_mut().flat_map(|b| &mut b.parts).collect();
        link(&siblings, &mut parts).map_err(Linked::Encode)?
    };
    let mut stored = Vec::with_capacity(group.len());
    let mut repeated = false;
    for batch in group.iter_mut() {
        let repeats: u64 = batch.parts.iter().map(|p| p.repeats).sum();
        repeated |= repeats > 0;
        batch.parts.retain(|p| !p.spans.is_empty());
        stored.push(Stored {
            inserted: batch.spans() as u64,
            duplicates: batch.duplicates + repeats,
        });
    }
    if repeated {
        // Rare (an exporter retrying a batch we kept): counted again
        // without the repeats, and their stored rows read again.
        let mut rollups = Rollups::default();
        for batch in group.iter() {
            rollups.merge(Rollups::of(&batch.parts));
        }
        pending = rollups.pending();
        for row in fetch(conn, &pending.lookups(), false).await? {
            pending.add_stored(&row);
        }
    }
    let mut writes: Vec<Statement> = Vec::new();
    if !orphans_left.is_empty() {
        writes.push((UPDATE_ORPHANS.into(), json(&orphans_left)));
    }
    writes.extend(pending.writes());
    write(conn, group, &writes, framing == Framing::Own).await?;
    Ok(stored)
}

/// Statements sent as one query, one round trip (after BEGIN IMMEDIATE
/// if `begin`): sqlx binds each `?` in turn across them. Their rows, in
/// order.
async fn fetch(
    conn: &mut SqliteConnection,
    statements: &[Statement],
    begin: bool,
) -> std::result::Result<Vec<sqlx::sqlite::SqliteRow>, sqlx::Error> {
    let mut sql = if begin {
        "BEGIN IMMEDIATE;\n".to_string()
    } else {
        String::new()
    };
    sql.push_str(&joined(statements));
    let mut query = sqlx::query(&sql);
    for (_, rows) in statements {
        query = query.bind(rows.as_str());
    }
    query.fetch_all(conn).await
}

/// The parts (multi-row INSERTs: SQLite reads bound values faster than
/// JSON) and then `statements` (then COMMIT if `commit`), sent as one
/// query.
async fn write(
    conn: &mut SqliteConnection,
    group: &[Prepared],
    statements: &[Statement],
    commit: bool,
) -> std::result::Result<(), sqlx::Error> {
    let rows: Vec<(&Part, u64)> = group
        .iter()
        .flat_map(|b| b.parts.iter().map(move |p| (p, b.received_ns)))
        .collect();
    let mut query = sqlx::QueryBuilder::<Sqlite>::new("");
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        query.push(
            "INSERT INTO trace_parts (trace_id, environment, start_ns, end_ns, received_ns, spans, \
             error_spans, orphans, parent_ids, span_ids, entry_start_ns, entry_service, entry_name, \
             entry_route, body) ",
        );
        query.push_values(chunk, |mut row, (part, received_ns)| {
            let entry = part.entry();
            row.push_bind(&part.trace_id.0[..])
                .push_bind(part.environment.as_deref())
                .push_bind(part.start_ns())
                .push_bind(part.end_ns())
                .push_bind(nanos(*received_ns))
                .push_bind(part.spans.len() as i64)
                .push_bind(part.error_spans())
                .push_bind(part.dangling.len() as i64)
                .push_bind(ids_bytes(part.dangling.iter().copied()))
                .push_bind(part.span_ids())
                .push_bind(entry.map(|s| nanos(s.start_unix_nano)))
                .push_bind(entry.map(|s| s.service.as_str()))
                .push_bind(entry.map(|s| s.name.as_str()))
                .push_bind(part.entry_route())
                .push_bind(&part.body[..]);
        });
        query.push(";\n");
    }
    for (sql, rows) in statements {
        // Each statement has one `?`: its rows.
        let (before, after) = sql.split_once('?').unwrap_or((sql, ""));
        query.push(before);
        query.push_bind(rows.as_str());
        query.push(after);
        query.push(";\n");
    }
    if commit {
        query.push("COMMIT");
    }
    query
        .build()
        .persistent(false)
        .execute(conn)
        .await
        .map(drop)
}

fn joined(statements: &[Statement]) -> String {
    statements
        .iter()
        .map(|(sql, _)| sql.as_str())
        .collect::<Vec<_>>()
        .join(";\n")
}

fn sibling(row: &sqlx::sqlite::SqliteRow) -> Option<Sibling> {
    Some(Sibling {
        id: row.get(1),
        trace_id: TraceId::from_bytes(row.get::<&[u8], _>(2))?,
        span_ids: row.get(3),
        parent_ids: row.get(4),
    })
}

/// Links the group's parts with the stored parts of their traces and with
/// each other: drops repeats of spans stored or earlier in the group
/// (counted in each part's `repeats`), sets each part's dangling parents,
/// and returns the stored parts whose orphans the group brings parents
/// for: (id, parent ids left as hex, how many).
fn link(
    siblings: &[Sibling],
    parts: &mut [&mut Part],
) -> std::result::Result<Vec<(i64, String, i64)>, String> {
    let mut known: HashMap<TraceId, HashSet<SpanId>> = HashMap::new();
    for s in siblings {
        known
            .entry(s.trace_id)
            .or_default()
            .extend(ids_of(&s.span_ids));
    }
    // Traces in several parts of the group (several batches, or several
    // environments).
    let mut seen = HashSet::new();
    let multi: HashSet<TraceId> = parts
        .iter()
        .filter(|p| !seen.insert(p.trace_id))
        .map(|p| p.trace_id)
        .collect();
    if known.is_empty() && multi.is_empty() {
        // Every trace is new and in one part: resolved before the lock.
        return Ok(Vec::new());
    }
    let linked: HashSet<TraceId> = known.keys().chain(&multi).copied().collect();
    // In order, so the first copy of a span is the one kept; `known`
    // ends with every span of each linked trace, stored or brought.
    let mut brought: HashMap<TraceId, HashSet<SpanId>> = HashMap::new();
    for part in parts.iter_mut().filter(|p| linked.contains(&p.trace_id)) {
        let ids = known.entry(part.trace_id).or_default();
        part.drop_stored(ids)?;
        ids.extend(part.spans.iter().map(|s| s.span_id));
        brought
            .entry(part.trace_id)
            .or_default()
            .extend(part.spans.iter().map(|s| s.span_id));
    }
    for part in parts.iter_mut().filter(|p| linked.contains(&p.trace_id)) {
        part.resolve(known.get(&part.trace_id));
    }
    let mut updates = Vec::new();
    for s in siblings.iter().filter(|s| !s.parent_ids.is_empty()) {
        let Some(brought) = brought.get(&s.trace_id) else {
            continue;
        };
        let before = s.parent_ids.len() / 8;
        let left = ids_bytes(ids_of(&s.parent_ids).filter(|p| !brought.contains(p)));
        if left.len() / 8 != before {
            updates.push((s.id, hex::encode(&left), (left.len() / 8) as i64));
        }
    }
    Ok(updates)
}
