//! Checks whose inputs arrive with capabilities still to come. They are
//! declared with the inputs they read and their thresholds, and have no
//! judge yet: no source gathers those inputs, so the engine reports them
//! `unknown` with each input's hint. A capability that brings the input
//! moves its checks to its own module with a judge.

use super::{banded, CheckKind};
use crate::evidence::inputs::{DEPLOYS, ROLLBACK_AUDIT};
use crate::rubric::{Better, ThresholdSpec};

const fn awaiting(
    name: &'static str,
    reads: &'static [crate::evidence::InputId],
    thresholds: Option<ThresholdSpec>,
) -> CheckKind {
    CheckKind {
        name,
        reads,
        thresholds,
        history_minimums: false,
        threshold: banded,
        judge: None,
    }
}

const fn spec(
    pass: f64,
    partial: f64,
    unit: &'static str,
    better: Better,
) -> Option<ThresholdSpec> {
    Some(ThresholdSpec::new(pass, partial, unit, better))
}

pub(super) const KINDS: &[CheckKind] = &[
    awaiting("rollback_ready", &[DEPLOYS], None),
    awaiting(
        "rollback_drill",
        &[ROLLBACK_AUDIT],
        spec(30.0, 90.0, "days", Better::Lower),
    ),
];
