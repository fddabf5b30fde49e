//! How close an environment is to running out of connections, said in one
//! sentence an operator reads at the top of the Pools view and in `pool`:
//! "83 % of usable connections in use; 12 clients waiting at the pooler,
//! longest 2.4 s; pid 4711 idle in transaction for 9 min, blocking 3
//! sessions".
//!
//! Each source adds its clause; a source not read adds nothing (the view
//! says per panel why). The level colours the sentence.

use serde::Serialize;
use ts_rs::TS;

use super::blocking::blocking_tree;
use super::counters::PoolerRates;
use super::sample::{AppPoolSample, Backend, PoolerSample, ServerSample};
use crate::format::num;

/// How bad it is, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Level {
    /// Nothing was read.
    Unknown,
    Ok,
    Warning,
    Critical,
}

/// The sentence, and the clauses it is made of (each with its own level).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Saturation {
    pub level: Level,
    pub sentence: String,
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Clause {
    pub level: Level,
    pub text: String,
}

/// Where saturation starts to matter. Connection shares follow RUBRIC.md's
/// `infra.connection_headroom` bands; waits follow `rel.pool_wait`.
pub mod limits {
    /// Share of usable server connections, percent.
    pub const CONNECTIONS_WARNING: f64 = 70.0;
    pub const CONNECTIONS_CRITICAL: f64 = 90.0;
    /// The longest a pooler client has waited, ms.
    pub const WAIT_CRITICAL_MS: f64 = 5_000.0;
    /// A session idle in a transaction this long holds its locks and its
    /// connection for nothing, ms.
    pub const IDLE_IN_TRANSACTION_MS: u64 = 60_000;
    /// Sessions blocked behind one root that make it critical.
    pub const BLOCKED_CRITICAL: u32 = 5;
}

/// What the latest samples say, in one sentence.
pub fn saturation(
    server: Option<&ServerSample>,
    pooler: Option<&PoolerSample>,
    pooler_rates: Option<&PoolerRates>,
    app: Option<&AppPoolSample>,
) -> Saturation {
    let mut clauses = Vec::new();
    if let Some(s) = server {
        clauses.push(connections_clause(s));
    }
    if let Some(p) = pooler {
        clauses.push(pooler_clause(p, pooler_rates));
    }
    if let Some(a) = app {
        if let Some(c) = app_clause(a) {
            clauses.push(c);
        }
    }
    if let Some(s) = server {
        clauses.extend(locks_clause(s));
    }
    let level = clauses
        .iter()
        .map(|c| c.level)
        .max()
        .unwrap_or(Level::Unknown);
    let sentence = if clauses.is_empty() {
        "No pool source was read.".to_string()
    } else {
        clauses
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    Saturation {
        level,
        sentence,
        clauses,
    }
}

fn clause(level: Level, text: impl Into<String>) -> Clause {
    Clause {
        level,
        text: text.into(),
    }
}

fn connections_clause(s: &ServerSample) -> Clause {
    let Some(used) = s.used_pct() else {
        return clause(Level::Unknown, "PostgreSQL reports no usable connections");
    };
    let level = if used >= limits::CONNECTIONS_CRITICAL {
        Level::Critical
    } else if used >= limits::CONNECTIONS_WARNING {
        Level::Warning
    } else {
        Level::Ok
    };
    clause(
        level,
        format!(
            "{} % of usable connections in use ({} of {})",
            used.round(),
            s.client_connections(),
            s.usable_connections()
        ),
    )
}

fn pooler_clause(p: &PoolerSample, rates: Option<&PoolerRates>) -> Clause {
    let waiting = p.clients_waiting();
    if waiting > 0 {
        let longest = p.max_wait_us() as f64 / 1_000.0;
        let level = if longest >= limits::WAIT_CRITICAL_MS {
            Level::Critical
        } else {
            Level::Warning
        };
        return clause(
            level,
            format!(
                "{waiting} {} waiting at the pooler, longest {}",
                plural(waiting, "client", "clients"),
                duration_ms(longest)
            ),
        );
    }
    // Nobody waits now, but the counters say somebody did since the last
    // sample: a spike shorter than the interval.
    if let Some(r) = rates.filter(|r| r.wait_ms >= 1.0) {
        return clause(
            Level::Warning,
            format!(
                "nobody waiting at the pooler now, but clients waited {} in all over the last {}",
                duration_ms(r.wait_ms),
                duration_ms(r.seconds * 1_000.0)
            ),
        );
    }
    clause(Level::Ok, "nobody waiting at the pooler")
}

fn app_clause(a: &AppPoolSample) -> Option<Clause> {
    let waiting = a.waiting.unwrap_or(0.0);
    let used = match (a.in_use, a.max) {
        (Some(u), Some(m)) => format!("{} of {} in use", num(u), num(m)),
        (Some(u), None) => format!("{} in use", num(u)),
        _ if waiting > 0.0 => String::new(),
        _ => return None,
    };
    let full = a.used_pct().is_some_and(|p| p >= 100.0);
    if waiting > 0.0 {
        let level = if full {
            Level::Critical
        } else {
            Level::Warning
        };
        let text = if used.is_empty() {
            format!("app pool: {} waiting", num(waiting))
        } else {
            format!("app pool {used}, {} waiting", num(waiting))
        };
        return Some(clause(level, text));
    }
    let level = if full { Level::Warning } else { Level::Ok };
    Some(clause(level, format!("app pool {used}")))
}

/// The root blocker blocking most, else the session longest idle in a
/// transaction, if either is worth a word.
fn locks_clause(s: &ServerSample) -> Option<Clause> {
    let tree = blocking_tree(&s.backends);
    if let Some(root) = tree.first() {
        let who = s.backends.iter().find(|b| b.pid == root.pid);
        let level = if root.blocked_total >= limits::BLOCKED_CRITICAL {
            Level::Critical
        } else {
            Level::Warning
        };
        let doing = who.map(doing).unwrap_or_default();
        return Some(clause(
            level,
            format!(
                "pid {}{doing}, blocking {} {}",
                root.pid,
                root.blocked_total,
                plural(u64::from(root.blocked_total), "session", "sessions")
            ),
        ));
    }
    let idle = s.oldest_idle_in_transaction()?;
    let age = idle.state_age_ms?;
    (age >= limits::IDLE_IN_TRANSACTION_MS)
        .then(|| clause(Level::Warning, format!("pid {}{}", idle.pid, doing(idle))))
}

/// " idle in transaction for 9 min", " active for 12 s", or "".
fn doing(b: &Backend) -> String {
    match (&b.state, b.state_age_ms) {
        (Some(state), Some(age)) => format!(" {state} for {}", duration_ms(age as f64)),
        (Some(state), None) => format!(" {state}"),
        _ => String::new(),
    }
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// A duration as people say it: `350 ms`, `2.4 s`, `9 min`, `1 h 5 min`.
pub fn duration_ms(ms: f64) -> String {
    if ms < 1_000.0 {
        format!("{} ms", ms.round())
    } else if ms < 60_000.0 {
        let s = ms / 1_000.0;
        if s < 10.0 {
            format!("{s:.1} s")
        } else {
            format!("{} s", s.round())
        }
    } else if ms < 3_600_000.0 {
        format!("{} min", (ms / 60_000.0).floor())
    } else {
        let minutes = (ms / 60_000.0).floor() as u64;
        format!("{} h {} min", minutes / 60, minutes % 60)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::pools::sample::{PoolerPool, StateCounts};

    fn server(clients: u64, backends: Vec<Backend>) -> ServerSample {
        ServerSample {
            source: "postgres db:5432/app".into(),
            at: datetime!(2026-11-23 10:00:00 UTC),
            server_version: 150_000,
            max_connections: 103,
            reserved_connections: 3,
            states: StateCounts {
                active: clients,
                ..StateCounts::default()
            },
            groups: Vec::new(),
            backends,
            blocks_hit: 0,
            blocks_read: 0,
            xact_commit: 0,
            xact_rollback: 0,
        }
    }

    fn backend(pid: i32, state: &str, age_ms: u64, blocked_by: &[i32]) -> Backend {
        Backend {
            pid,
            state: Some(state.into()),
            application: "api".into(),
            user: "app".into(),
            client: "10.0.0.7".into(),
            xact_age_ms: Some(age_ms),
            state_age_ms: Some(age_ms),
            query_age_ms: Some(age_ms),
            wait_event: None,
            blocked_by: blocked_by.to_vec(),
            query: None,
        }
    }

    fn pooler(waiting: u64, maxwait_us: u64) -> PoolerSample {
        PoolerSample {
            source: "pgbouncer 127.0.0.1:6432".into(),
            at: datetime!(2026-11-23 10:00:00 UTC),
            pools: vec![PoolerPool {
                database: "app".into(),
                user: "app".into(),
                cl_active: 20,
                cl_waiting: waiting,
                maxwait_us,
                pool_mode: "transaction".into(),
                ..PoolerPool::default()
            }],
            databases: Vec::new(),
            counters: Vec::new(),
        }
    }

    #[test]
    fn the_issue_s_sentence_from_its_numbers() {
        let s = server(
            83,
            vec![
                backend(4711, "idle in transaction", 9 * 60_000 + 5_000, &[]),
                backend(20, "active", 30_000, &[4711]),
                backend(21, "active", 20_000, &[4711]),
                backend(22, "active", 10_000, &[21]),
            ],
        );
        let sat = saturation(Some(&s), Some(&pooler(12, 2_400_000)), None, None);
        assert_eq!(
            sat.sentence,
            "83 % of usable connections in use (83 of 100); 12 clients waiting at the pooler, longest 2.4 s; pid 4711 idle in transaction for 9 min, blocking 3 sessions"
        );
        assert_eq!(sat.level, Level::Warning);
    }

    #[test]
    fn the_level_is_the_worst_clause() {
        let s = server(95, Vec::new());
        let sat = saturation(Some(&s), Some(&pooler(0, 0)), None, None);
        assert_eq!(sat.level, Level::Critical);
        assert_eq!(
            sat.sentence,
            "95 % of usable connections in use (95 of 100); nobody waiting at the pooler"
        );
        let long_wait = saturation(None, Some(&pooler(1, 6_000_000)), None, None);
        assert_eq!(long_wait.level, Level::Critical);
        assert_eq!(
            long_wait.sentence,
            "1 client waiting at the pooler, longest 6.0 s"
        );
    }

    #[test]
    fn a_wait_between_samples_is_said_even_when_nobody_waits_now() {
        let rates = PoolerRates {
            seconds: 5.0,
            transactions_per_second: 100.0,
            queries_per_second: 200.0,
            wait_ms: 1_300.0,
            avg_wait_ms: Some(2.5),
        };
        let sat = saturation(None, Some(&pooler(0, 0)), Some(&rates), None);
        assert_eq!(
            sat.sentence,
            "nobody waiting at the pooler now, but clients waited 1.3 s in all over the last 5.0 s"
        );
        assert_eq!(sat.level, Level::Warning);
    }

    #[test]
    fn a_long_idle_transaction_is_named_even_when_it_blocks_nobody() {
        let s = server(10, vec![backend(7, "idle in transaction", 125_000, &[])]);
        let sat = saturation(Some(&s), None, None, None);
        assert_eq!(
            sat.sentence,
            "10 % of usable connections in use (10 of 100); pid 7 idle in transaction for 2 min"
        );
        let brief = server(10, vec![backend(7, "idle in transaction", 5_000, &[])]);
        assert_eq!(
            saturation(Some(&brief), None, None, None).clauses.len(),
            1,
            "a few seconds idle in a transaction is normal"
        );
    }

    #[test]
    fn the_app_pool_full_with_callers_waiting_is_critical() {
        let app = AppPoolSample {
            source: "https://app/metrics".into(),
            at: datetime!(2026-11-23 10:00:00 UTC),
            names: "demo".into(),
            in_use: Some(10.0),
            idle: Some(0.0),
            waiting: Some(7.0),
            max: Some(10.0),
        };
        let sat = saturation(None, None, None, Some(&app));
        assert_eq!(sat.sentence, "app pool 10 of 10 in use, 7 waiting");
        assert_eq!(sat.level, Level::Critical);
    }

    #[test]
    fn nothing_read_is_unknown_and_says_so() {
        let sat = saturation(None, None, None, None);
        assert_eq!(sat.level, Level::Unknown);
        assert_eq!(sat.sentence, "No pool source was read.");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_ms(350.4), "350 ms");
        assert_eq!(duration_ms(2_400.0), "2.4 s");
        assert_eq!(duration_ms(42_000.0), "42 s");
        assert_eq!(duration_ms(545_000.0), "9 min");
        assert_eq!(duration_ms(3_900_000.0), "1 h 5 min");
    }
}
