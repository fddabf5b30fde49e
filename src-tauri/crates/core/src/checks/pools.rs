//! The pool checks: the pooler, the app's pool and the server's own
//! statistics, each read once by a scorecard run with the sampler's code.

use super::{band, banded, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::evidence::inputs::{APP_POOL, POOLER, POSTGRES};
use crate::evidence::{Evidence, Missing};
use crate::pools::saturation::duration_ms;
use crate::pools::{AppPoolSample, PoolerSample, ServerSample};
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[
    CheckKind {
        name: "db_pooling",
        // The pooler's own view, else the app's pool, else the server's
        // connection count (which earns partial at most).
        reads: &[POOLER.id, APP_POOL.id, POSTGRES.id],
        // Without a pooler, server connections under `partial` % of the
        // usable maximum still earn half the points (RUBRIC.md).
        thresholds: Some(ThresholdSpec::new(
            50.0,
            50.0,
            "% of usable connections",
            Better::Lower,
        )),
        history_minimums: false,
        threshold: pooling_threshold,
        judge: Some(pooling),
    },
    CheckKind {
        name: "connection_headroom",
        reads: &[POSTGRES.id],
        thresholds: Some(ThresholdSpec::new(
            70.0,
            90.0,
            "% of usable connections",
            Better::Lower,
        )),
        history_minimums: false,
        threshold: banded,
        judge: Some(headroom),
    },
    CheckKind {
        name: "pool_wait",
        reads: &[POOLER.id, APP_POOL.id],
        thresholds: Some(ThresholdSpec::new(1_000.0, 5_000.0, "ms", Better::Lower)),
        history_minimums: false,
        threshold: pool_wait_threshold,
        judge: Some(pool_wait),
    },
    CheckKind {
        name: "cache_hit",
        reads: &[POSTGRES.id],
        thresholds: Some(ThresholdSpec::new(99.0, 95.0, "%", Better::Higher)),
        history_minimums: false,
        threshold: banded,
        judge: Some(cache_hit),
    },
];

/// The server's statistics and the share of usable connections in use, or
/// the `unknown` judgement saying why there are none.
fn connection_use<'a>(
    ev: &'a Evidence,
    threshold: &str,
) -> Result<(&'a ServerSample, f64), Judgement> {
    let pg = observed(ev, &POSTGRES, threshold)?;
    match pg.used_pct() {
        Some(used) => Ok((pg, used)),
        None => Err(Judgement::unknown(
            threshold,
            pg.source.as_str(),
            "PostgreSQL reports no usable connections.",
        )),
    }
}

fn pooling_threshold(check: &CheckDef) -> String {
    format!(
        "pass: a pooler (or the app's pool) answers with no client waiting; partial: no pooler, server connections < {} % of usable",
        num(thresholds(check).partial)
    )
}

/// Why an input that was configured could not be read, as a sentence.
fn unread(ev: &Evidence, what: &str, input: crate::evidence::InputId) -> Option<String> {
    match ev.missing(input) {
        Some(Missing::Unavailable { source, reason, .. }) => Some(format!(
            "The {what} ({source}) could not be read: {reason}."
        )),
        _ => None,
    }
}

fn pooling(check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = pooling_threshold(check);
    if let Ok(p) = ev.get(&POOLER) {
        return pooler_answers(p, threshold);
    }
    if let Ok(a) = ev.get(&APP_POOL) {
        if let Some(j) = app_pool_answers(a, &threshold) {
            let note = unread(ev, "pooler", POOLER.id).unwrap_or_default();
            return Judgement {
                explanation: format!("{} {note}", j.explanation).trim().to_string(),
                ..j
            };
        }
    }
    let no_pooler_partial = thresholds(check).partial;
    let why_none = unread(ev, "pooler", POOLER.id).unwrap_or_else(|| {
        "No pooler is configured ([environments.NAME.pgbouncer]) and the app exports no pool metrics.".into()
    });
    let (pg, used) = match connection_use(ev, &threshold) {
        Ok(found) => found,
        Err(mut j) => {
            j.explanation = format!("{} {why_none}", j.explanation);
            return j;
        }
    };
    let measured = format!(
        "no pooler read; {} of {} usable server connections ({} %)",
        pg.client_connections(),
        pg.usable_connections(),
        num(used)
    );
    let j = Judgement::new(Outcome::Fail, measured, threshold).source(pg.source.as_str(), pg.at);
    if used < no_pooler_partial {
        Judgement {
            outcome: Outcome::Partial,
            ..j
        }
        .explain(format!(
            "{why_none} Server connections leave ample headroom."
        ))
    } else {
        j.explain(format!(
            "{why_none} Server connections are at {} % of usable; put a transaction pooler in front.",
            num(used)
        ))
    }
}

fn pooler_answers(p: &PoolerSample, threshold: String) -> Judgement {
    let waiting = p.clients_waiting();
    let measured = format!(
        "{} {} answering, {waiting} {} waiting",
        p.pools.len(),
        if p.pools.len() == 1 { "pool" } else { "pools" },
        if waiting == 1 { "client" } else { "clients" }
    );
    let j = Judgement::new(Outcome::Pass, measured, threshold).source(p.source.as_str(), p.at);
    if waiting == 0 {
        j.explain("The pooler answers and no client waits for a server connection.")
    } else {
        Judgement {
            outcome: Outcome::Fail,
            ..j
        }
        .explain(format!(
            "{waiting} clients wait at the pooler (longest {}): its pools are too small for the load, or the server holds connections too long.",
            duration_ms(p.max_wait_us() as f64 / 1_000.0)
        ))
    }
}

/// The app's pool, when its metrics say whether anyone waits.
fn app_pool_answers(a: &AppPoolSample, threshold: &str) -> Option<Judgement> {
    let waiting = a.waiting?;
    let used = match (a.in_use, a.max) {
        (Some(u), Some(m)) => format!("{} of {} in use, ", num(u), num(m)),
        _ => String::new(),
    };
    let measured = format!("app pool: {used}{} waiting", num(waiting));
    let j = Judgement::new(Outcome::Pass, measured, threshold).source(a.source.as_str(), a.at);
    Some(if waiting == 0.0 {
        j.explain("The app's pool answers and nobody waits for a connection.")
    } else {
        Judgement {
            outcome: Outcome::Fail,
            ..j
        }
        .explain(format!(
            "{} callers wait for a connection from the app's pool: it is too small for the load, or queries hold connections too long.",
            num(waiting)
        ))
    })
}

fn pool_wait_threshold(check: &CheckDef) -> String {
    let t = thresholds(check);
    format!(
        "pass: nobody waiting, longest wait < {}; partial: longest wait < {}",
        duration_ms(t.pass),
        duration_ms(t.partial)
    )
}

fn pool_wait(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = pool_wait_threshold(check);
    if let Ok(p) = ev.get(&POOLER) {
        let waiting = p.clients_waiting();
        let longest = p.max_wait_us() as f64 / 1_000.0;
        let measured = format!(
            "{waiting} waiting at the pooler, longest {}",
            duration_ms(longest)
        );
        let outcome = if waiting == 0 && longest < t.pass {
            Outcome::Pass
        } else if longest < t.partial {
            Outcome::Partial
        } else {
            Outcome::Fail
        };
        let explanation = match outcome {
            Outcome::Pass => "Nobody waits for a server connection at the pooler.".to_string(),
            _ => format!(
                "{waiting} clients wait at the pooler, the longest for {}.",
                duration_ms(longest)
            ),
        };
        return Judgement::new(outcome, measured, threshold)
            .source(p.source.as_str(), p.at)
            .explain(explanation);
    }
    let note = unread(ev, "pooler", POOLER.id).unwrap_or_default();
    match ev.get(&APP_POOL).ok() {
        Some(a) => match a.waiting {
            Some(waiting) => {
                let measured = format!("{} waiting for the app's pool", num(waiting));
                let j = Judgement::new(Outcome::Pass, measured, threshold)
                    .source(a.source.as_str(), a.at);
                if waiting == 0.0 {
                    j.explain(format!("Nobody waits for a connection from the app's pool. {note}").trim().to_string())
                } else {
                    // The app's metrics count waiters but not how long they wait.
                    Judgement {
                        outcome: Outcome::Partial,
                        ..j
                    }
                    .explain(format!(
                        "{} callers wait for the app's pool; its metrics do not say for how long, so this cannot pass. {note}",
                        num(waiting)
                    ).trim().to_string())
                }
            }
            None => Judgement::unknown(
                threshold,
                a.source.as_str(),
                format!("The app's pool metrics have no waiting count; name it in [environments.NAME.app_pool] (waiting). {note}").trim().to_string(),
            ),
        },
        None => {
            let missing = ev.missing(POOLER.id);
            match missing {
                Some(m) => Judgement::from_missing(m, &threshold),
                None => Judgement::unknown(threshold, "not configured", POOLER.id.hint),
            }
        }
    }
}

fn headroom(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let (pg, used) = match connection_use(ev, &threshold) {
        Ok(found) => found,
        Err(j) => return j,
    };
    let measured = format!(
        "{} of {} usable ({} %; max_connections {} minus {} reserved)",
        pg.client_connections(),
        pg.usable_connections(),
        num(used),
        pg.max_connections,
        pg.reserved_connections
    );
    let outcome = band(used, &t);
    let explanation = match outcome {
        Outcome::Pass => "Plenty of connection headroom.".to_string(),
        Outcome::Partial => format!(
            "Connections at {} % of usable: headroom is getting thin.",
            num(used)
        ),
        _ => format!(
            "Connections at {} % of usable: close to exhaustion.",
            num(used)
        ),
    };
    Judgement::new(outcome, measured, threshold)
        .source(pg.source.as_str(), pg.at)
        .explain(explanation)
}

fn cache_hit(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let pg = match observed(ev, &POSTGRES, &threshold) {
        Ok(pg) => pg,
        Err(j) => return j,
    };
    let Some(ratio) = pg.cache_hit_pct() else {
        let mut j = Judgement::unknown(
            threshold,
            pg.source.as_str(),
            "The database has read no blocks since its statistics were reset; nothing to judge yet.",
        );
        j.measured_at = Some(pg.at);
        return j;
    };
    // Two decimals: the interesting differences live between 99 and 100.
    let measured = format!(
        "{ratio:.2} % ({} hits, {} reads)",
        pg.blocks_hit, pg.blocks_read
    );
    let outcome = band(ratio, &t);
    let explanation = match outcome {
        Outcome::Pass => "The working set fits in shared buffers.".to_string(),
        _ => format!("Buffer hit ratio {ratio:.2} %: queries are going to disk; check shared_buffers and indexes."),
    };
    Judgement::new(outcome, measured, threshold)
        .source(pg.source.as_str(), pg.at)
        .explain(explanation)
}
