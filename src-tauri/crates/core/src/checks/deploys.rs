//! The rollback checks: can the provider roll production back now, and
//! when was a rollback last rehearsed.

use super::{band, banded, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::deploys::evidence::{DEPLOYS, ROLLBACK_AUDIT};
use crate::evidence::Evidence;
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[
    CheckKind {
        name: "rollback_ready",
        reads: &[DEPLOYS.id],
        thresholds: None,
        history_minimums: false,
        threshold: ready_threshold,
        judge: Some(rollback_ready),
    },
    CheckKind {
        name: "rollback_drill",
        reads: &[ROLLBACK_AUDIT.id],
        thresholds: Some(ThresholdSpec::new(30.0, 90.0, "days", Better::Lower)),
        history_minimums: false,
        threshold: banded,
        judge: Some(rollback_drill),
    },
];

fn ready_threshold(_check: &CheckDef) -> String {
    "pass: the credential resolves, the provider answers, and an earlier healthy deployment exists to roll back to; partial: the provider answers, nothing to roll back to".into()
}

fn rollback_ready(check: &CheckDef, ev: &Evidence) -> Judgement {
    let threshold = ready_threshold(check);
    let r = match observed(ev, &DEPLOYS, &threshold) {
        Ok(r) => r,
        Err(j) => return j,
    };
    let source = format!("deploy provider ({})", r.provider);
    if let Some(problem) = &r.problem {
        return Judgement::new(Outcome::Fail, "the provider cannot be used", threshold)
            .source(source, r.at)
            .explain(format!("A rollback could not be sent now: {problem}"));
    }
    match (&r.target, &r.no_target) {
        (Some(target), _) => Judgement::new(Outcome::Pass, format!("can roll back: {target}"), threshold)
            .source(source, r.at)
            .explain("The credential resolves, the provider answers, and there is an earlier deployment to go back to."),
        (None, why) => Judgement::new(Outcome::Partial, "nothing to roll back to", threshold)
            .source(source, r.at)
            .explain(format!(
                "The provider answers, but {}.",
                why.as_deref().unwrap_or("it names no earlier deployment")
            )),
    }
}

fn rollback_drill(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let threshold = describe(&t);
    let d = match observed(ev, &ROLLBACK_AUDIT, &threshold) {
        Ok(d) => d,
        Err(j) => return j,
    };
    let source = "Readyroom's audit log";
    let Some((at, what)) = d.last else {
        return Judgement::new(Outcome::Fail, "no rollback or dry run recorded", threshold)
            .source(source, d.at)
            .explain("Rehearse one: `readyroom rollback --dry-run --reason drill` runs the whole pre-flight and records it.");
    };
    let days = ((d.at - at).as_seconds_f64() / 86_400.0).max(0.0);
    let shown = num((days * 10.0).round() / 10.0);
    let outcome = band(days, &t);
    let explanation = match outcome {
        Outcome::Pass => format!("The last {what} was {shown} days ago."),
        _ => format!(
            "The last {what} was {shown} days ago; rehearse one at least every {} days (`readyroom rollback --dry-run`).",
            num(t.pass)
        ),
    };
    Judgement::new(outcome, format!("last {what} {shown} days ago"), threshold)
        .source(source, at)
        .explain(explanation)
}
