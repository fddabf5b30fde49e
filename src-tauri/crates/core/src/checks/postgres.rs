//! Checks read from PostgreSQL's own statistics.

use super::{band, describe, num, observed, thresholds, Judgement};
use crate::evidence::{Evidence, PostgresStats};
use crate::rubric::CheckDef;
use crate::scorecard::Outcome;

/// Without a pooler, server connections under this share of the usable
/// maximum still earn half the pooling points (RUBRIC.md, infra.db_pooling).
const NO_POOLER_PARTIAL_PCT: f64 = 50.0;

/// The server's statistics and the share of usable connections in use, or
/// the `unknown` judgement saying why there are none.
fn connection_use<'a>(
    ev: &'a Evidence,
    threshold: &str,
) -> Result<(&'a PostgresStats, f64), Judgement> {
    let pg = observed(&ev.postgres, threshold)?;
    match pg.used_pct() {
        Some(used) => Ok((pg, used)),
        None => Err(Judgement::unknown(
            threshold,
            pg.source.as_str(),
            "PostgreSQL reports no usable connections.",
        )),
    }
}

pub(super) fn pooling(ev: &Evidence) -> Judgement {
    let threshold = format!(
        "pass: a pooler answers with no client waiting; partial: no pooler, server connections < {} % of usable",
        num(NO_POOLER_PARTIAL_PCT)
    );
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
    if used < NO_POOLER_PARTIAL_PCT {
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

pub(super) fn headroom(check: &CheckDef, ev: &Evidence) -> Judgement {
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

pub(super) fn cache_hit(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let pg = match observed(&ev.postgres, &threshold) {
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
