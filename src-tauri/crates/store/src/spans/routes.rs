//! Per-route statistics over a window, from the `route_minutes` rollups.
//! The window is read in slices, as many at once as there are cores (each
//! on its own connection, so SQLite works on every core too); SQLite folds
//! each route's minutes in a slice into one row (counts summed, histograms
//! concatenated: a histogram is a run of (bucket, count) pairs, and runs
//! concatenate). The rows are decoded on every core, each route always by
//! the same thread, straight into that route's histogram. A day's window
//! holds a few slices' rows in memory at a time, never all of it.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use readyroom_core::traces::{LatencyStats, RouteAggregator};
use sqlx::Row;

use super::read::{count, minutes};
use super::rollups::decode_buckets;
use super::SpanStore;
use crate::Result;

/// Minutes folded per query (measured: 10 is slower, 60 no faster).
const SLICE_MINUTES: i64 = 30;

/// A route's minutes in a slice, folded by SQLite.
struct Folded {
    service: String,
    route: String,
    requests: u64,
    errors: u64,
    buckets: Vec<u8>,
}

impl Folded {
    /// Which thread adds this route up (always the same one).
    fn thread(&self, threads: usize) -> usize {
        let mut hasher = DefaultHasher::new();
        (&self.service, &self.route).hash(&mut hasher);
        (hasher.finish() % threads as u64) as usize
    }
}

impl SpanStore {
    /// Request (SERVER span) statistics per service and route for spans
    /// starting in `[from_ns, to_ns)`, merged from the minute rollups.
    pub async fn route_stats(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<RouteAggregator> {
        let (first, last) = minutes(from_ns, to_ns);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let slices: Vec<(i64, i64)> = (first..=last)
            .step_by(SLICE_MINUTES as usize)
            .map(|start| (start, start.saturating_add(SLICE_MINUTES - 1).min(last)))
            .collect();
        // One aggregator per thread: disjoint routes, merged at the end.
        let mut sums: Vec<RouteAggregator> =
            (0..threads).map(|_| RouteAggregator::default()).collect();
        for wave in slices.chunks(threads) {
            let reads = wave
                .iter()
                .map(|&(start, end)| self.folded(environment, start, end));
            let rows: Vec<Folded> = futures_util::future::try_join_all(reads)
                .await?
                .into_iter()
                .flatten()
                .collect();
            sums = match tokio::task::spawn_blocking(move || add_up(sums, rows)).await {
                Ok(sums) => sums,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(self.open_error(format!("the read was cancelled: {e}"))),
            };
        }
        let mut all = RouteAggregator::default();
        for sum in sums {
            all.merge(sum);
        }
        Ok(all)
    }

    /// One route's requests minute by minute for spans starting in
    /// `[from_ns, to_ns)`: each minute with requests (its number since
    /// the epoch) and their statistics, oldest first. A minute whose
    /// histogram does not read back is left out.
    pub async fn route_minutes(
        &self,
        environment: &str,
        service: &str,
        route: &str,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<Vec<(i64, LatencyStats)>> {
        let (first, last) = minutes(from_ns, to_ns);
        let rows = sqlx::query(
            "SELECT minute, requests, errors, histogram FROM route_minutes \
             WHERE environment = ? AND minute >= ? AND minute <= ? AND service = ? AND route = ? \
             ORDER BY minute",
        )
        .bind(environment)
        .bind(first)
        .bind(last)
        .bind(service)
        .bind(route)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let buckets = decode_buckets(&row.get::<Vec<u8>, _>(3))?;
                let mut stats = LatencyStats::default();
                stats.add_buckets(buckets, count(row, 1), count(row, 2));
                Some((row.get::<i64, _>(0), stats))
            })
            .collect())
    }

    /// Each route's rollups of minutes `start..=end`, folded.
    async fn folded(&self, environment: &str, start: i64, end: i64) -> Result<Vec<Folded>> {
        let rows = sqlx::query(
            "SELECT service, route, sum(requests), sum(errors), \
                    CAST(group_concat(histogram, '') AS BLOB) \
             FROM route_minutes WHERE environment = ? AND minute >= ? AND minute <= ? \
             GROUP BY service, route",
        )
        .bind(environment)
        .bind(start)
        .bind(end)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .iter()
            .map(|row| Folded {
                service: row.get(0),
                route: row.get(1),
                requests: count(row, 2),
                errors: count(row, 3),
                buckets: row.get::<Option<Vec<u8>>, _>(4).unwrap_or_default(),
            })
            .collect())
    }
}

/// Adds the rows to the threads' aggregators, each thread its own routes.
fn add_up(mut sums: Vec<RouteAggregator>, rows: Vec<Folded>) -> Vec<RouteAggregator> {
    let threads = sums.len();
    let mut shares: Vec<Vec<Folded>> = (0..threads).map(|_| Vec::new()).collect();
    for row in rows {
        let i = row.thread(threads);
        shares[i].push(row);
    }
    let mut shares = shares.into_iter();
    let mine = shares.next().unwrap_or_default();
    let Some((first, rest)) = sums.split_first_mut() else {
        return sums;
    };
    std::thread::scope(|scope| {
        let running: Vec<_> = rest
            .iter_mut()
            .zip(shares)
            .map(|(sum, share)| scope.spawn(move || add_rows(sum, share)))
            .collect();
        add_rows(first, mine);
        for thread in running {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    sums
}

fn add_rows(sum: &mut RouteAggregator, rows: Vec<Folded>) {
    for row in rows {
        // A histogram that does not read back is left out, not fatal.
        if let Some(buckets) = decode_buckets(&row.buckets) {
            sum.add_buckets(row.service, row.route, buckets, row.requests, row.errors);
        }
    }
}
