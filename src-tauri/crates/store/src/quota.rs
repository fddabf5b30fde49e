//! The quota sampler's readings: per environment, each reading's snapshot
//! (or its failure) and, per UTC day, the workspaces worth remembering with
//! the most they were seen throttled, their worst share and AI cost; kept
//! for the retention the config sets.

use readyroom_core::quota::trend::{Snapshot, WorkspaceDay};
use sqlx::Row;
use time::{Date, OffsetDateTime};

use crate::pools::{from_unix_ms, unix_ms};
use crate::{Error, Result, Store};

/// The format new snapshot rows are written in.
const CURRENT_FORMAT: i64 = 1;

fn encode(snapshot: &Snapshot) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(snapshot).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(lz4_flex::compress_prepend_size(&json))
}

fn decode(format: i64, body: &[u8]) -> std::result::Result<Snapshot, String> {
    if format != CURRENT_FORMAT {
        return Err(format!(
            "quota snapshot in row format {format}, written by a newer Readyroom"
        ));
    }
    let json = lz4_flex::decompress_size_prepended(body).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

fn parse_day(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// What the store holds of an environment's quota over some days.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuotaHistory {
    pub workspaces: Vec<(Date, WorkspaceDay)>,
    /// Each day's last good snapshot.
    pub day_ends: Vec<(Date, OffsetDateTime, Snapshot)>,
    pub snapshots: u32,
    pub failures: u32,
    /// Rows that could not be read back (damaged, or newer).
    pub skipped: u32,
}

impl Store {
    /// Stores one sampled reading in one transaction: its snapshot and,
    /// for its UTC day, each workspace's most seen so far.
    pub async fn save_quota_snapshot(
        &self,
        environment: &str,
        at: OffsetDateTime,
        snapshot: &Snapshot,
        workspaces: &[WorkspaceDay],
    ) -> Result<()> {
        let body = encode(snapshot)?;
        let day = at.to_offset(time::UtcOffset::UTC).date().to_string();
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        sqlx::query(
            "INSERT INTO quota_snapshots (environment, at_ms, ok, format, body) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(environment)
        .bind(unix_ms(at))
        .bind(matches!(snapshot, Snapshot::Read { .. }))
        .bind(CURRENT_FORMAT)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        for ws in workspaces {
            // The day window's counts only grow within the day: keep the
            // most seen, and the latest name and tier.
            sqlx::query(
                "INSERT INTO quota_days (environment, day, workspace_id, workspace_name, tier, throttled, worst_share, ai_cost) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (environment, day, workspace_id) DO UPDATE SET \
                   workspace_name = excluded.workspace_name, tier = excluded.tier, \
                   throttled = max(throttled, excluded.throttled), \
                   worst_share = max(coalesce(worst_share, excluded.worst_share), coalesce(excluded.worst_share, worst_share)), \
                   ai_cost = max(coalesce(ai_cost, excluded.ai_cost), coalesce(excluded.ai_cost, ai_cost))",
            )
            .bind(environment)
            .bind(&day)
            .bind(&ws.workspace_id)
            .bind(&ws.workspace_name)
            .bind(&ws.tier)
            .bind(ws.throttled)
            .bind(ws.worst_share)
            .bind(ws.ai_cost)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await.map_err(|e| self.classify(e))
    }

    /// What the store holds of `environment` on the UTC days `from..=to`.
    pub async fn quota_history(
        &self,
        environment: &str,
        from: Date,
        to: Date,
    ) -> Result<QuotaHistory> {
        let mut history = QuotaHistory::default();
        let rows = sqlx::query(
            "SELECT day, workspace_id, workspace_name, tier, throttled, worst_share, ai_cost FROM quota_days \
             WHERE environment = ? AND day BETWEEN ? AND ? ORDER BY day, workspace_id",
        )
        .bind(environment)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let Some(day) = parse_day(&row.try_get::<String, _>("day")?) else {
                history.skipped += 1;
                continue;
            };
            history.workspaces.push((
                day,
                WorkspaceDay {
                    workspace_id: row.try_get("workspace_id")?,
                    workspace_name: row.try_get("workspace_name")?,
                    tier: row.try_get("tier")?,
                    throttled: row.try_get("throttled")?,
                    worst_share: row.try_get("worst_share")?,
                    ai_cost: row.try_get("ai_cost")?,
                },
            ));
        }
        let start = unix_ms(from.midnight().assume_utc());
        let end = unix_ms(to.next_day().unwrap_or(to).midnight().assume_utc());
        let counts = sqlx::query(
            "SELECT count(*) FILTER (WHERE ok) AS good, count(*) FILTER (WHERE NOT ok) AS failed \
             FROM quota_snapshots WHERE environment = ? AND at_ms >= ? AND at_ms < ?",
        )
        .bind(environment)
        .bind(start)
        .bind(end)
        .fetch_one(&self.pool)
        .await?;
        let good: i64 = counts.try_get("good")?;
        let failed: i64 = counts.try_get("failed")?;
        history.snapshots = u32::try_from(good + failed).unwrap_or(u32::MAX);
        history.failures = u32::try_from(failed).unwrap_or(u32::MAX);
        // Each day's last good snapshot (SQLite fills the bare columns of
        // a max() query from the row holding the maximum).
        let ends = sqlx::query(
            "SELECT at_ms, format, body FROM quota_snapshots WHERE id IN (\
               SELECT id FROM (SELECT id, max(at_ms) FROM quota_snapshots \
               WHERE environment = ? AND ok AND at_ms >= ? AND at_ms < ? GROUP BY at_ms / 86400000)) \
             ORDER BY at_ms",
        )
        .bind(environment)
        .bind(start)
        .bind(end)
        .fetch_all(&self.pool)
        .await?;
        for row in &ends {
            let at = from_unix_ms(row.try_get("at_ms")?);
            match decode(row.try_get("format")?, &row.try_get::<Vec<u8>, _>("body")?) {
                Ok(snapshot) => history.day_ends.push((at.date(), at, snapshot)),
                Err(e) => {
                    tracing::warn!(error = %e, "skipped an unreadable quota snapshot");
                    history.skipped += 1;
                }
            }
        }
        Ok(history)
    }

    /// Removes snapshots and days older than `before`; returns how many
    /// rows went.
    pub async fn prune_quota(&self, before: OffsetDateTime) -> Result<u64> {
        let mut tx = self.pool.begin().await.map_err(|e| self.classify(e))?;
        let snapshots = sqlx::query("DELETE FROM quota_snapshots WHERE at_ms < ?")
            .bind(unix_ms(before))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        // A day goes once all of it is past.
        let days = sqlx::query("DELETE FROM quota_days WHERE day < ?")
            .bind(before.to_offset(time::UtcOffset::UTC).date().to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await.map_err(|e| self.classify(e))?;
        Ok(snapshots + days)
    }
}

#[cfg(test)]
mod tests {
    use readyroom_core::quota::cost::{AiCost, Prices};
    use readyroom_core::quota::summary::{TierSummary, WindowTotals};
    use readyroom_core::quota::Window;
    use time::macros::{date, datetime};

    use super::*;

    fn snapshot(throttled: i64) -> Snapshot {
        let tiers = vec![TierSummary {
            tier: "free".into(),
            limited: true,
            workspaces: 2,
            windows: vec![WindowTotals {
                window: Window::Day,
                requests: 100,
                ai_calls: 0,
                ai_tokens: 0,
                throttled,
            }],
            limits: Vec::new(),
        }];
        let ai_cost = AiCost::of(&tiers, &Prices::default());
        Snapshot::Read { tiers, ai_cost }
    }

    fn ws(id: &str, throttled: i64, share: Option<f64>) -> WorkspaceDay {
        WorkspaceDay {
            workspace_id: id.into(),
            workspace_name: format!("{id} name"),
            tier: "free".into(),
            throttled,
            worst_share: share,
            ai_cost: None,
        }
    }

    #[tokio::test]
    async fn a_day_keeps_the_most_seen_and_its_last_good_snapshot_and_retention_prunes() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("readyroom.db"))
            .await
            .expect("open");
        let d1 = datetime!(2026-11-21 08:00 UTC);
        let d2 = datetime!(2026-11-22 08:00 UTC);
        store
            .save_quota_snapshot("prod", d1, &snapshot(4), &[ws("a", 4, Some(1.0))])
            .await
            .expect("save");
        // Later the same day: more 429s for a, a lower share read once.
        store
            .save_quota_snapshot(
                "prod",
                d1 + time::Duration::hours(3),
                &snapshot(9),
                &[ws("a", 9, Some(0.5)), ws("b", 0, None)],
            )
            .await
            .expect("save");
        // The last of the day failed: the day's end is the last good one.
        let failed = Snapshot::Failed {
            source: "db".into(),
            reason: "statement timeout".into(),
        };
        store
            .save_quota_snapshot("prod", d1 + time::Duration::hours(5), &failed, &[])
            .await
            .expect("save");
        store
            .save_quota_snapshot("prod", d2, &snapshot(1), &[ws("a", 1, Some(1.2))])
            .await
            .expect("save");
        // Another environment's rows stay its own.
        store
            .save_quota_snapshot("staging", d2, &snapshot(50), &[ws("z", 50, None)])
            .await
            .expect("save");

        let h = store
            .quota_history("prod", date!(2026 - 11 - 21), date!(2026 - 11 - 22))
            .await
            .expect("history");
        assert_eq!((h.snapshots, h.failures, h.skipped), (4, 1, 0));
        let a1 = &h
            .workspaces
            .iter()
            .find(|(d, w)| *d == date!(2026 - 11 - 21) && w.workspace_id == "a")
            .expect("a on the 21st")
            .1;
        assert_eq!(
            (a1.throttled, a1.worst_share),
            (9, Some(1.0)),
            "the most seen"
        );
        assert_eq!(h.workspaces.len(), 3, "a twice, b once; not staging's z");
        assert_eq!(h.day_ends.len(), 2);
        assert_eq!(h.day_ends[0].1, d1 + time::Duration::hours(3));
        assert_eq!(h.day_ends[0].2, snapshot(9));

        let removed = store
            .prune_quota(datetime!(2026-11-22 00:00 UTC))
            .await
            .expect("prune");
        assert_eq!(removed, 3 + 2, "the 21st's three snapshots and two days");
        let h = store
            .quota_history("prod", date!(2026 - 11 - 21), date!(2026 - 11 - 22))
            .await
            .expect("history");
        assert_eq!(
            (h.snapshots, h.workspaces.len(), h.day_ends.len()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn a_damaged_snapshot_is_skipped_and_counted() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("readyroom.db"))
            .await
            .expect("open");
        sqlx::query("INSERT INTO quota_snapshots (environment, at_ms, ok, format, body) VALUES ('prod', ?, 1, 1, x'00ff')")
            .bind(unix_ms(datetime!(2026-11-22 08:00 UTC)))
            .execute(&store.pool)
            .await
            .expect("damage");
        let h = store
            .quota_history("prod", date!(2026 - 11 - 22), date!(2026 - 11 - 22))
            .await
            .expect("a damaged row is not fatal");
        assert_eq!((h.snapshots, h.skipped, h.day_ends.len()), (1, 1, 0));
    }
}
