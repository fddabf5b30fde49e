//! What changed between two scorecards of one environment.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use crate::format::round1;
use crate::scorecard::{Outcome, Scorecard};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScorecardDiff {
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub previous_measured_at: OffsetDateTime,
    pub previous_score: f64,
    pub score: f64,
    pub score_delta: f64,
    pub coverage_delta: f64,
    /// Checks whose outcome changed, largest point swing first.
    pub changes: Vec<CheckChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckChange {
    pub id: String,
    pub name: String,
    /// `None` when the check was not in the other scorecard (rubric changed).
    pub before: Option<Outcome>,
    pub after: Option<Outcome>,
    /// Points gained (positive) or lost (negative).
    pub points_delta: f64,
    pub measured_before: String,
    pub measured_after: String,
}

impl ScorecardDiff {
    pub fn between(previous: &Scorecard, current: &Scorecard) -> ScorecardDiff {
        let mut changes = Vec::new();
        for now in current.checks() {
            let then = previous.checks().find(|c| c.id == now.id);
            if then.map(|t| t.outcome) != Some(now.outcome) {
                changes.push(CheckChange {
                    id: now.id.clone(),
                    name: now.name.clone(),
                    before: then.map(|t| t.outcome),
                    after: Some(now.outcome),
                    points_delta: now.earned - then.map_or(0.0, |t| t.earned),
                    measured_before: then.map(|t| t.measured.clone()).unwrap_or_default(),
                    measured_after: now.measured.clone(),
                });
            }
        }
        for then in previous.checks() {
            if !current.checks().any(|c| c.id == then.id) {
                changes.push(CheckChange {
                    id: then.id.clone(),
                    name: then.name.clone(),
                    before: Some(then.outcome),
                    after: None,
                    points_delta: -then.earned,
                    measured_before: then.measured.clone(),
                    measured_after: String::new(),
                });
            }
        }
        changes.sort_by(|a, b| {
            b.points_delta
                .abs()
                .total_cmp(&a.points_delta.abs())
                .then(a.id.cmp(&b.id))
        });
        ScorecardDiff {
            previous_measured_at: previous.measured_at,
            previous_score: previous.score,
            score: current.score,
            score_delta: round1(current.score - previous.score),
            coverage_delta: round1(current.coverage - previous.coverage),
            changes,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::checks::Judgement;
    use crate::rubric::Rubric;

    fn card(outcome_of: impl Fn(&str) -> Outcome) -> Scorecard {
        Scorecard::assemble(
            &Rubric::default_rubric(),
            "prod",
            datetime!(2026-11-22 10:00 UTC),
            |c| Judgement {
                outcome: outcome_of(&c.id),
                measured: format!("{} measured", c.id),
                threshold: String::new(),
                source: String::new(),
                measured_at: None,
                explanation: String::new(),
            },
        )
    }

    #[test]
    fn lists_changed_checks_with_points_gained_and_lost() {
        let before = card(|id| {
            if id == "sec.tls" {
                Outcome::Pass
            } else {
                Outcome::Fail
            }
        });
        let after = card(|id| match id {
            "sec.tls" => Outcome::Partial,
            "rel.error_rate" => Outcome::Pass,
            _ => Outcome::Fail,
        });
        let diff = ScorecardDiff::between(&before, &after);
        assert_eq!(diff.changes.len(), 2);
        assert_eq!(diff.changes[0].id, "rel.error_rate");
        assert_eq!(diff.changes[0].points_delta, 8.0);
        assert_eq!(diff.changes[1].id, "sec.tls");
        assert_eq!(diff.changes[1].points_delta, -2.0);
        assert_eq!(diff.score_delta, 6.0);
    }

    #[test]
    fn no_changes_between_identical_runs() {
        let a = card(|_| Outcome::Pass);
        let diff = ScorecardDiff::between(&a, &a);
        assert!(diff.changes.is_empty());
        assert_eq!(diff.score_delta, 0.0);
    }
}
