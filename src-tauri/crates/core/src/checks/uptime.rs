//! Uptime from this tool's own stored health samples.

use super::{band, describe, num, observed, thresholds, CheckKind, Judgement};
use crate::evidence::inputs::UPTIME;
use crate::evidence::Evidence;
use crate::rubric::{Better, CheckDef, ThresholdSpec};
use crate::scorecard::Outcome;

pub(super) const KINDS: &[CheckKind] = &[CheckKind {
    name: "uptime",
    reads: &[UPTIME.id],
    thresholds: Some(ThresholdSpec::new(99.9, 99.0, "%", Better::Higher)),
    history_minimums: true,
    threshold: uptime_threshold,
    judge: Some(uptime),
}];

const DEFAULT_MIN_SAMPLES: u64 = 100;
const DEFAULT_MIN_HOURS: f64 = 24.0;

fn minimums(check: &CheckDef) -> (u64, f64) {
    (
        check.min_samples.unwrap_or(DEFAULT_MIN_SAMPLES),
        check.min_hours.unwrap_or(DEFAULT_MIN_HOURS),
    )
}

fn uptime_threshold(check: &CheckDef) -> String {
    let (min_samples, min_hours) = minimums(check);
    format!(
        "{}; needs >= {min_samples} samples over >= {} h",
        describe(&thresholds(check)),
        num(min_hours)
    )
}

fn uptime(check: &CheckDef, ev: &Evidence) -> Judgement {
    let t = thresholds(check);
    let (min_samples, min_hours) = minimums(check);
    let threshold = uptime_threshold(check);
    let history = match observed(ev, &UPTIME, &threshold) {
        Ok(h) => h,
        Err(j) => return j,
    };
    let hours = (history.last_at - history.first_at).as_seconds_f64() / 3_600.0;
    let source = "Readyroom's stored health samples";
    if history.samples < min_samples || hours < min_hours {
        let mut j = Judgement::unknown(
            threshold,
            source,
            format!(
                "Too little history: {} samples over {} h; uptime is judged from {min_samples} samples over {} h (run `readyroom score` on a schedule).",
                history.samples,
                num((hours * 10.0).round() / 10.0),
                num(min_hours)
            ),
        );
        j.measured = format!(
            "{} samples over {} h",
            history.samples,
            num((hours * 10.0).round() / 10.0)
        );
        j.measured_at = Some(history.last_at);
        return j;
    }
    let pct = history.healthy as f64 * 100.0 / history.samples as f64;
    let outcome = band(pct, &t);
    let measured = format!(
        "{pct:.2} % ({} of {} samples healthy over {} h)",
        history.healthy,
        history.samples,
        num(hours.round())
    );
    let explanation = match outcome {
        Outcome::Pass => "Uptime meets the target.".to_string(),
        _ => format!("Uptime {pct:.2} % is below the {} % target.", num(t.pass)),
    };
    Judgement::new(outcome, measured, threshold)
        .source(source, history.last_at)
        .explain(explanation)
}
