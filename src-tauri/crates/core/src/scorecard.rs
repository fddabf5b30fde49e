//! Assembling judgements into a scorecard: points, score, grade, coverage.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use crate::checks::{self, Judgement};
use crate::evidence::Evidence;
use crate::format::round1;
use crate::rubric::{CheckDef, Rubric};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    Pass,
    Partial,
    Fail,
    /// The evidence could not be gathered: worth nothing, never a pass.
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Partial => "partial",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [
            Outcome::Pass,
            Outcome::Partial,
            Outcome::Fail,
            Outcome::Unknown,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }

    /// Points earned for this outcome on a check worth `points`: partial is
    /// half, rounded down to a multiple of 0.5 (RUBRIC.md).
    pub fn earned(self, points: f64) -> f64 {
        match self {
            Outcome::Pass => points,
            Outcome::Partial => (points / 2.0 * 2.0).floor() / 2.0,
            Outcome::Fail | Outcome::Unknown => 0.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    pub fn for_score(score: f64) -> Grade {
        match score {
            s if s >= 95.0 => Grade::A,
            s if s >= 85.0 => Grade::B,
            s if s >= 70.0 => Grade::C,
            s if s >= 50.0 => Grade::D,
            _ => Grade::F,
        }
    }

    pub fn parse(s: &str) -> Option<Grade> {
        [Grade::A, Grade::B, Grade::C, Grade::D, Grade::F]
            .into_iter()
            .find(|g| g.to_string() == s)
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub points: f64,
    pub earned: f64,
    pub outcome: Outcome,
    pub measured: String,
    pub threshold: String,
    pub source: String,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub measured_at: Option<OffsetDateTime>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CategoryResult {
    pub id: String,
    pub name: String,
    pub weight: f64,
    pub score: f64,
    pub checks: Vec<CheckResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Scorecard {
    pub environment: String,
    /// 0..=100: earned points over the rubric's total, times 100.
    pub score: f64,
    pub grade: Grade,
    /// 0..=100: the share of points whose evidence was gathered.
    pub coverage: f64,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub measured_at: OffsetDateTime,
    pub categories: Vec<CategoryResult>,
}

impl Scorecard {
    /// Scores `evidence` against `rubric`.
    pub fn compute(rubric: &Rubric, evidence: &Evidence) -> Scorecard {
        Scorecard::assemble(
            rubric,
            &evidence.environment,
            evidence.gathered_at,
            |check| checks::evaluate(check, evidence),
        )
    }

    /// Builds a scorecard from a judgement per check. Kept apart from
    /// [`Scorecard::compute`] so the arithmetic can be property-tested.
    pub fn assemble(
        rubric: &Rubric,
        environment: &str,
        measured_at: OffsetDateTime,
        mut judge: impl FnMut(&CheckDef) -> Judgement,
    ) -> Scorecard {
        let mut total = 0.0;
        let mut earned_total = 0.0;
        let mut covered = 0.0;
        let categories = rubric
            .categories
            .iter()
            .map(|cat| {
                let checks: Vec<CheckResult> = cat
                    .checks
                    .iter()
                    .map(|def| {
                        let j = judge(def);
                        CheckResult {
                            id: def.id.clone(),
                            name: def.name.clone(),
                            kind: def.kind.clone(),
                            points: def.points,
                            earned: j.outcome.earned(def.points),
                            outcome: j.outcome,
                            measured: j.measured,
                            threshold: j.threshold,
                            source: j.source,
                            measured_at: j.measured_at,
                            explanation: j.explanation,
                        }
                    })
                    .collect();
                for c in &checks {
                    total += c.points;
                    earned_total += c.earned;
                    if c.outcome != Outcome::Unknown {
                        covered += c.points;
                    }
                }
                CategoryResult {
                    id: cat.id.clone(),
                    name: cat.name.clone(),
                    weight: cat.weight,
                    score: checks.iter().map(|c| c.earned).sum(),
                    checks,
                }
            })
            .collect();
        let pct = |part: f64| {
            if total > 0.0 {
                round1(part * 100.0 / total)
            } else {
                0.0
            }
        };
        let score = pct(earned_total);
        Scorecard {
            environment: environment.to_string(),
            score,
            grade: Grade::for_score(score),
            coverage: pct(covered),
            measured_at,
            categories,
        }
    }

    pub fn checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.categories.iter().flat_map(|c| c.checks.iter())
    }
}

#[cfg(test)]
mod tests;
