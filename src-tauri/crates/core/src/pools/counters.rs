//! Rates and waits from counters: what happened between two samples.
//!
//! A gauge sampled every few seconds misses a spike that comes and goes
//! between samples; a counter does not. PgBouncer's `total_wait_time`
//! keeps every microsecond a client waited, so the difference between two
//! samples is the waiting that happened in between, however short. Two
//! things break a difference, and neither is papered over:
//! - a counter that went down: the pooler restarted (or its stats were
//!   reset) in between, and what happened before the restart is lost;
//! - samples too far apart: the source was down or the sampler stopped,
//!   and an average over the gap would smear whatever happened in it.
//!
//! Both yield no value for that interval, with the reason, never a guess.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use super::sample::{PoolerCounters, PoolerSample, ServerSample};

/// Why an interval has no derived values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum NoRate {
    /// A counter went down: the source restarted or reset its statistics.
    Reset,
    /// The samples are further apart than a sampler's interval allows:
    /// the source was unreachable, or nothing was sampling.
    Gap,
}

/// The pooler's traffic between two samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerRates {
    pub seconds: f64,
    pub transactions_per_second: f64,
    pub queries_per_second: f64,
    /// Total time clients spent waiting for a server in the interval, ms.
    pub wait_ms: f64,
    /// Of each server assignment (each transaction, on a pooler too old
    /// to count assignments), on average, ms.
    pub avg_wait_ms: Option<f64>,
}

/// The server's transactions between two samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerRates {
    pub seconds: f64,
    pub commits_per_second: f64,
    pub rollbacks_per_second: f64,
}

/// What happened between two samples, or why that cannot be said.
pub type Interval<T> = Result<T, NoRate>;

/// Seconds from `earlier` to `later`, or why they cannot be compared:
/// out of order, equal, or further apart than `max_gap`.
fn span(earlier: OffsetDateTime, later: OffsetDateTime, max_gap: time::Duration) -> Interval<f64> {
    let elapsed = later - earlier;
    if elapsed <= time::Duration::ZERO || elapsed > max_gap {
        return Err(NoRate::Gap);
    }
    Ok(elapsed.as_seconds_f64())
}

/// `later - earlier`, or `Reset` when the counter went down.
fn grew(earlier: u64, later: u64) -> Interval<u64> {
    later.checked_sub(earlier).ok_or(NoRate::Reset)
}

/// The pooler's rates between two samples, summed over its databases. A
/// database new in the later sample counts from zero; one that went away
/// adds nothing.
pub fn pooler_rates(
    earlier: &PoolerSample,
    later: &PoolerSample,
    max_gap: time::Duration,
) -> Interval<PoolerRates> {
    let seconds = span(earlier.at, later.at, max_gap)?;
    let mut xacts = 0u64;
    let mut queries = 0u64;
    let mut wait_us = 0u64;
    let mut waits_counted = 0u64;
    let mut any = false;
    let zero = PoolerCounters::default();
    for now in &later.counters {
        // A database the earlier sample did not have was added since
        // (PgBouncer lists a database once it is first used): its counters
        // started at zero inside the interval.
        let before = match earlier.counters.iter().find(|c| c.database == now.database) {
            Some(before) => {
                any = true;
                before
            }
            None => &zero,
        };
        let delta = counters_delta(before, now)?;
        xacts += delta.xact_count;
        queries += delta.query_count;
        wait_us += delta.wait_time_us;
        waits_counted += delta.server_assignments.unwrap_or(delta.xact_count);
    }
    // Counters that all vanished or were replaced: the pooler restarted
    // with other databases (or was reconfigured); nothing can be said of
    // this interval.
    if !any && !earlier.counters.is_empty() {
        return Err(NoRate::Reset);
    }
    let wait_ms = wait_us as f64 / 1_000.0;
    Ok(PoolerRates {
        seconds,
        transactions_per_second: xacts as f64 / seconds,
        queries_per_second: queries as f64 / seconds,
        wait_ms,
        avg_wait_ms: (waits_counted > 0).then(|| wait_ms / waits_counted as f64),
    })
}

/// One database's counters' growth; a reset if any went down.
fn counters_delta(before: &PoolerCounters, now: &PoolerCounters) -> Interval<PoolerCounters> {
    let server_assignments = match (before.server_assignments, now.server_assignments) {
        (Some(b), Some(n)) => Some(grew(b, n)?),
        _ => None,
    };
    Ok(PoolerCounters {
        database: now.database.clone(),
        xact_count: grew(before.xact_count, now.xact_count)?,
        query_count: grew(before.query_count, now.query_count)?,
        wait_time_us: grew(before.wait_time_us, now.wait_time_us)?,
        xact_time_us: grew(before.xact_time_us, now.xact_time_us)?,
        query_time_us: grew(before.query_time_us, now.query_time_us)?,
        server_assignments,
    })
}

/// Rollbacks each sample adds itself: it reads inside one read-only
/// transaction, rolled back (measured: six samples over one kept
/// connection added six rollbacks and, for the connection, one commit).
/// The earlier sample's own rollback lands in the interval after it, so
/// each interval holds one of Readyroom's, taken off here; a reconnect's
/// single commit is left in (it is not known here, and is one).
pub const OWN_ROLLBACKS_PER_SAMPLE: u64 = 1;

/// The server's commit and rollback rates between two samples, without
/// Readyroom's own.
pub fn server_rates(
    earlier: &ServerSample,
    later: &ServerSample,
    max_gap: time::Duration,
) -> Interval<ServerRates> {
    let seconds = span(earlier.at, later.at, max_gap)?;
    let commits = grew(earlier.xact_commit, later.xact_commit)?;
    let rollbacks =
        grew(earlier.xact_rollback, later.xact_rollback)?.saturating_sub(OWN_ROLLBACKS_PER_SAMPLE);
    Ok(ServerRates {
        seconds,
        commits_per_second: commits as f64 / seconds,
        rollbacks_per_second: rollbacks as f64 / seconds,
    })
}

/// The longest two consecutive samples may be apart and still make an
/// interval: a sampler running every `every` may be late by a couple of
/// its own timeouts before its gap means the source was away.
pub fn max_gap(every: std::time::Duration) -> time::Duration {
    let every = time::Duration::try_from(every).unwrap_or(time::Duration::SECOND);
    every * 3 + time::Duration::SECOND
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;

    fn counters(database: &str, xacts: u64, wait_us: u64) -> PoolerCounters {
        PoolerCounters {
            database: database.into(),
            xact_count: xacts,
            query_count: xacts * 2,
            wait_time_us: wait_us,
            xact_time_us: xacts * 1_000,
            query_time_us: xacts * 900,
            server_assignments: None,
        }
    }

    fn sample(at: OffsetDateTime, counters: Vec<PoolerCounters>) -> PoolerSample {
        PoolerSample {
            source: "pgbouncer 127.0.0.1:6432".into(),
            at,
            pools: Vec::new(),
            databases: Vec::new(),
            counters,
        }
    }

    const T0: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

    #[test]
    fn a_wait_between_samples_shows_in_the_difference() {
        // 5 s apart; 300 transactions, of which clients waited 2.4 s in all.
        let a = sample(T0, vec![counters("app", 1_000, 10_000)]);
        let b = sample(
            T0 + Duration::seconds(5),
            vec![counters("app", 1_300, 2_410_000)],
        );
        let r = pooler_rates(&a, &b, Duration::seconds(16)).expect("rates");
        assert_eq!(r.seconds, 5.0);
        assert_eq!(r.transactions_per_second, 60.0);
        assert_eq!(r.queries_per_second, 120.0);
        assert_eq!(r.wait_ms, 2_400.0);
        assert_eq!(r.avg_wait_ms, Some(8.0));
    }

    #[test]
    fn waits_average_over_server_assignments_where_the_pooler_counts_them() {
        let mut before = counters("app", 100, 0);
        before.server_assignments = Some(50);
        let mut after = counters("app", 200, 1_000_000);
        after.server_assignments = Some(60);
        let r = pooler_rates(
            &sample(T0, vec![before]),
            &sample(T0 + Duration::seconds(1), vec![after]),
            Duration::seconds(4),
        )
        .expect("rates");
        assert_eq!(r.avg_wait_ms, Some(100.0), "1 s over 10 assignments");
    }

    #[test]
    fn a_counter_going_down_is_a_reset_not_a_negative_rate() {
        let a = sample(T0, vec![counters("app", 5_000, 9_000_000)]);
        let b = sample(T0 + Duration::seconds(5), vec![counters("app", 12, 400)]);
        assert_eq!(
            pooler_rates(&a, &b, Duration::seconds(16)),
            Err(NoRate::Reset)
        );
        // And the next interval, after the restart, is whole again.
        let c = sample(T0 + Duration::seconds(10), vec![counters("app", 62, 400)]);
        let r = pooler_rates(&b, &c, Duration::seconds(16)).expect("rates");
        assert_eq!(r.transactions_per_second, 10.0);
    }

    #[test]
    fn a_restart_that_brings_other_databases_is_a_reset() {
        let a = sample(T0, vec![counters("old", 5, 0)]);
        let b = sample(T0 + Duration::seconds(5), vec![counters("new", 1, 0)]);
        assert_eq!(
            pooler_rates(&a, &b, Duration::seconds(16)),
            Err(NoRate::Reset)
        );
    }

    #[test]
    fn a_database_new_in_the_later_sample_counts_from_zero() {
        let a = sample(T0, vec![counters("app", 100, 0)]);
        let b = sample(
            T0 + Duration::seconds(2),
            vec![counters("app", 110, 0), counters("added", 30, 500_000)],
        );
        let r = pooler_rates(&a, &b, Duration::seconds(16)).expect("rates");
        assert_eq!(r.transactions_per_second, 20.0);
        assert_eq!(r.wait_ms, 500.0);
        // A pooler whose only database is first used in the interval.
        let empty = sample(T0, Vec::new());
        let r = pooler_rates(&empty, &b, Duration::seconds(16)).expect("rates");
        assert_eq!(r.transactions_per_second, 70.0);
    }

    #[test]
    fn samples_too_far_apart_or_out_of_order_are_a_gap() {
        let a = sample(T0, vec![counters("app", 100, 0)]);
        let late = sample(T0 + Duration::seconds(60), vec![counters("app", 200, 0)]);
        assert_eq!(
            pooler_rates(&a, &late, max_gap(std::time::Duration::from_secs(5))),
            Err(NoRate::Gap)
        );
        assert_eq!(
            pooler_rates(&late, &a, Duration::seconds(600)),
            Err(NoRate::Gap)
        );
        assert_eq!(
            pooler_rates(&a, &a, Duration::seconds(600)),
            Err(NoRate::Gap)
        );
    }

    #[test]
    fn the_server_s_rates_leave_out_the_sample_s_own_rollback() {
        let sample = |at: OffsetDateTime, commits: u64, rollbacks: u64| ServerSample {
            source: "postgres".into(),
            at,
            server_version: 150_000,
            max_connections: 100,
            reserved_connections: 3,
            states: Default::default(),
            groups: Vec::new(),
            backends: Vec::new(),
            blocks_hit: 0,
            blocks_read: 0,
            xact_commit: commits,
            xact_rollback: rollbacks,
        };
        let r = server_rates(
            &sample(T0, 100, 10),
            &sample(T0 + Duration::seconds(2), 140, 11),
            Duration::seconds(16),
        )
        .expect("rates");
        assert_eq!(r.commits_per_second, 20.0);
        assert_eq!(
            r.rollbacks_per_second, 0.0,
            "the one rollback was Readyroom's"
        );
        assert_eq!(
            server_rates(
                &sample(T0, 100, 10),
                &sample(T0 + Duration::seconds(2), 100, 5),
                Duration::seconds(16)
            ),
            Err(NoRate::Reset),
            "statistics reset"
        );
    }

    #[test]
    fn the_gap_allowance_follows_the_sampling_interval() {
        assert_eq!(
            max_gap(std::time::Duration::from_secs(5)),
            Duration::seconds(16)
        );
        assert_eq!(
            max_gap(std::time::Duration::from_secs(1)),
            Duration::seconds(4)
        );
    }
}
