//! Checks read from PostgreSQL's own statistics.

use super::{band, banded, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::evidence::inputs::{POOLER, POSTGRES};
use crate::evidence::{Evidence, PostgresStats};
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[
    CheckKind {
        name: "db_pooling",
        // The pooler's own view arrives with the pool stats capability;
        // until then the server's connection count earns partial at most.
        reads: &[POSTGRES.id, POOLER],
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
) -> Result<(&'a PostgresStats, f64), Judgement> {
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
        "pass: a pooler answers with no client waiting; partial: no pooler, server connections < {} % of usable",
        num(thresholds(check).partial)
    )
}

fn pooling(check: &CheckDef, ev: &Evidence) -> Judgement {
    let no_pooler_partial = thresholds(check).partial;
    let threshold = pooling_threshold(check);
    let (pg, used) = match connection_use(ev, &threshold) {
        Ok(found) => found,
        Err(mut j) => {
            j.explanation = format!(
                "{} No pooler is read yet either (PgBouncer support arrives with the pool stats capability).",
                j.explanation
            );
            return j;
        }
    };
    let measured = format!(
        "no pooler read; {} of {} usable server connections ({} %)",
        pg.client_connections,
        pg.usable_connections(),
        num(used)
    );
    let j = Judgement::new(Outcome::Fail, measured, threshold).source(pg.source.as_str(), pg.at);
    if used < no_pooler_partial {
        Judgement { outcome: Outcome::Partial, ..j }.explain(
            "No pooler is read (PgBouncer support arrives with the pool stats capability); server connections leave ample headroom.",
        )
    } else {
        j.explain(format!(
            "No pooler is read and server connections are at {} % of usable; put a transaction pooler in front.",
            num(used)
        ))
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
        pg.client_connections,
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
