//! Checks whose evidence arrives with capabilities still to come. They run
//! through the same engine and report `unknown` with what they will need.

use super::{describe, Judgement};
use crate::rubric::{CheckDef, CheckKind};

pub(super) fn not_collected_yet(check: &CheckDef) -> Judgement {
    use CheckKind::*;
    let needs = match check.kind {
        RollbackReady | RollbackDrill => {
            "deploy provider and rollback audit log evidence, which arrive with the deploy rollback capability"
        }
        PoolWait => "PgBouncer admin console evidence (SHOW POOLS), which arrives with the pool stats capability",
        _ => "span data, which arrives with the traces capability (OTLP receiver, Tempo or Jaeger)",
    };
    let threshold = check.thresholds().map(|t| describe(&t)).unwrap_or_default();
    Judgement::unknown(
        threshold,
        "not collected",
        format!("Not measured: this check needs {needs}."),
    )
}
