//! Storing a batch: split into trace parts and encoded before the write
//! lock is taken; inside one transaction, the parts' traces are looked up
//! once (repeats of stored spans dropped, orphans resolved both ways),
//! the parts written a few hundred rows per statement, the rollups merged.

use std::collections::{HashMap, HashSet};

use readyroom_core::traces::{SpanId, TraceId};
use sqlx::{Row, Sqlite, Transaction};

use super::parts::{self, ids_bytes, ids_of, Part};
use super::rollups::Rollups;
use super::{nanos, Attributed, SpanStore, Stored};
use crate::{Error, Result};

/// Parts per INSERT statement: 15 parameters each, well under SQLite's
/// 32,766 per statement.
const ROWS_PER_INSERT: usize = 500;

/// A stored part of a trace this batch adds to.
struct Sibling {
    id: i64,
    trace_id: TraceId,
    span_ids: Vec<u8>,
    parent_ids: Vec<u8>,
}

impl SpanStore {
    /// Stores a batch in one transaction: all of it, or (on any error)
    /// none of it.
    pub async fn insert(&self, batch: &[Attributed<'_>], received_ns: u64) -> Result<Stored> {
        let prepared = Prepared::new(batch)?;
        let _writing = self.writer.lock().await;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        let stored = prepared
            .write(&mut tx, received_ns)
            .await
            .map_err(|e| self.linked(e))?;
        tx.commit().await.map_err(|e| self.classify(e))?;
        Ok(stored)
    }

    pub(super) fn linked(&self, e: Linked) -> Error {
        match e {
            Linked::Sql(e) => self.classify(e),
            Linked::Encode(e) => Error::Encode(e),
        }
    }
}

/// A batch split, encoded and counted: the work done before the write
/// lock is taken.
pub(super) struct Prepared<'a> {
    stored: Stored,
    parts: Vec<Part<'a>>,
    rollups: Rollups<'a>,
}

impl<'a> Prepared<'a> {
    pub(super) fn new(batch: &[Attributed<'a>]) -> Result<Prepared<'a>> {
        let mut stored = Stored::default();
        // A span repeated within the batch: the first copy goes in.
        let mut seen = HashSet::with_capacity(batch.len());
        let mut fresh = Vec::with_capacity(batch.len());
        for a in batch {
            if seen.insert((a.span.trace_id, a.span.span_id)) {
                fresh.push(*a);
            } else {
                stored.duplicates += 1;
            }
        }
        let mut parts = parts::split(&fresh).map_err(Error::Encode)?;
        // Parents within the part, before the lock; `link` revisits only
        // the traces that have other parts.
        for part in &mut parts {
            part.resolve(None);
        }
        let mut rollups = Rollups::default();
        for a in &fresh {
            rollups.record(a.environment, a.span);
        }
        Ok(Prepared {
            stored,
            parts,
            rollups,
        })
    }

    /// Writes in the caller's transaction (which holds the write lock).
    pub(super) async fn write(
        mut self,
        tx: &mut Transaction<'_, Sqlite>,
        received_ns: u64,
    ) -> std::result::Result<Stored, Linked> {
        let repeats = link(tx, &mut self.parts).await?;
        if repeats > 0 {
            // Rare (an exporter retrying a batch we kept): count again
            // without the repeats.
            self.stored.duplicates += repeats;
            self.rollups = Rollups::default();
            for part in &self.parts {
                for span in &part.spans {
                    self.rollups.record(part.environment, span);
                }
            }
        }
        self.parts.retain(|p| !p.spans.is_empty());
        self.stored.inserted = self.parts.iter().map(|p| p.spans.len() as u64).sum();
        write_parts(tx, &self.parts, received_ns).await?;
        self.rollups.save(tx).await?;
        Ok(self.stored)
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

/// Links the batch's parts with the stored parts of their traces: drops
/// repeats of stored spans (returning how many), sets each part's
/// dangling parents, and clears the stored parts' orphans whose parents
/// this batch brings.
async fn link(
    tx: &mut Transaction<'_, Sqlite>,
    parts: &mut [Part<'_>],
) -> std::result::Result<u64, Linked> {
    let siblings = siblings(tx, parts).await?;
    let mut known: HashMap<TraceId, HashSet<SpanId>> = HashMap::new();
    for s in &siblings {
        known
            .entry(s.trace_id)
            .or_default()
            .extend(ids_of(&s.span_ids));
    }
    // Traces in several parts of this batch (several environments).
    let mut seen = HashSet::new();
    let multi: HashSet<TraceId> = parts
        .iter()
        .filter(|p| !seen.insert(p.trace_id))
        .map(|p| p.trace_id)
        .collect();
    if known.is_empty() && multi.is_empty() {
        // Every trace is new and in one part: resolved before the lock.
        return Ok(0);
    }
    let linked = |t: &TraceId| known.contains_key(t) || multi.contains(t);
    let mut repeats = 0;
    for part in parts.iter_mut() {
        if let Some(stored) = known.get(&part.trace_id) {
            repeats += part.drop_stored(stored).map_err(Linked::Encode)?;
        }
    }
    // What this batch brings to each linked trace.
    let mut fresh: HashMap<TraceId, HashSet<SpanId>> = HashMap::new();
    for part in parts.iter().filter(|p| linked(&p.trace_id)) {
        fresh
            .entry(part.trace_id)
            .or_default()
            .extend(part.spans.iter().map(|s| s.span_id));
    }
    for part in parts.iter_mut().filter(|p| multi.contains(&p.trace_id)) {
        known
            .entry(part.trace_id)
            .or_default()
            .extend(fresh[&part.trace_id].iter().copied());
    }
    for part in parts.iter_mut().filter(|p| known.contains_key(&p.trace_id)) {
        part.resolve(known.get(&part.trace_id));
    }
    for s in siblings.iter().filter(|s| !s.parent_ids.is_empty()) {
        let Some(brought) = fresh.get(&s.trace_id) else {
            continue;
        };
        let before = s.parent_ids.len() / 8;
        let left = ids_bytes(ids_of(&s.parent_ids).filter(|p| !brought.contains(p)));
        if left.len() / 8 != before {
            sqlx::query("UPDATE trace_parts SET parent_ids = ?, orphans = ? WHERE id = ?")
                .bind(&left)
                .bind((left.len() / 8) as i64)
                .bind(s.id)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(repeats)
}

/// The stored parts of the batch's traces (one indexed lookup per trace,
/// in one statement).
async fn siblings(
    tx: &mut Transaction<'_, Sqlite>,
    parts: &[Part<'_>],
) -> std::result::Result<Vec<Sibling>, sqlx::Error> {
    let traces: HashSet<TraceId> = parts.iter().map(|p| p.trace_id).collect();
    let hex: Vec<String> = traces.iter().map(ToString::to_string).collect();
    let rows = sqlx::query(
        "SELECT id, trace_id, span_ids, parent_ids FROM trace_parts \
         WHERE trace_id IN (SELECT unhex(value) FROM json_each(?))",
    )
    .bind(serde_json::Value::from(hex).to_string())
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Sibling {
                id: row.get(0),
                trace_id: TraceId::from_bytes(row.get::<&[u8], _>(1))?,
                span_ids: row.get(2),
                parent_ids: row.get(3),
            })
        })
        .collect())
}

async fn write_parts(
    tx: &mut Transaction<'_, Sqlite>,
    parts: &[Part<'_>],
    received_ns: u64,
) -> std::result::Result<(), sqlx::Error> {
    for chunk in parts.chunks(ROWS_PER_INSERT) {
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO trace_parts (trace_id, environment, start_ns, end_ns, received_ns, spans, \
             error_spans, orphans, parent_ids, span_ids, entry_start_ns, entry_service, entry_name, \
             entry_route, body) ",
        );
        insert.push_values(chunk, |mut row, part| {
            let entry = part.entry();
            row.push_bind(&part.trace_id.0[..])
                .push_bind(part.environment)
                .push_bind(part.start_ns())
                .push_bind(part.end_ns())
                .push_bind(nanos(received_ns))
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
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}
