//! The weekly readiness review (issue 15): what the score was at the start
//! of a period and is now, what moved per category and check, and the path
//! to the next grade, each number with its provenance (the stored run it
//! came from, and for a check its source and measurement time). Pure: the
//! application layer reads the runs; `html` and `markdown` render.

pub mod html;
pub mod markdown;
pub mod sections;

use serde::Serialize;
use time::OffsetDateTime;
use ts_rs::TS;

use crate::audit::Entry;
use crate::format::round1;
use crate::quota::WorkspaceDay;
use crate::scorecard::{CheckResult, Grade, Outcome, Scorecard};
pub use sections::{ActionLine, PoolSection, RouteLine, StoredRows, ThrottledLine};

/// A stored run, by its id in the local store, and its scorecard.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: i64,
    pub card: Scorecard,
}

/// One point of the score trend.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    pub run: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub at: OffsetDateTime,
    pub score: f64,
}

/// Where a number comes from: the stored run, and for a check's number the
/// check, its source and when it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    pub run: i64,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub run_at: OffsetDateTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[ts(type = "string | null")]
    pub measured_at: Option<OffsetDateTime>,
}

impl Provenance {
    fn of_run(run: &Run) -> Provenance {
        Provenance {
            run: run.id,
            run_at: run.card.measured_at,
            check: None,
            source: None,
            measured_at: Some(run.card.measured_at),
        }
    }

    fn of_check(run: &Run, check: &CheckResult) -> Provenance {
        Provenance {
            run: run.id,
            run_at: run.card.measured_at,
            check: Some(check.id.clone()),
            source: Some(check.source.clone()),
            measured_at: check.measured_at,
        }
    }

    /// The anchor the rendered report gives this provenance's entry.
    pub fn anchor(&self) -> String {
        match &self.check {
            Some(check) => format!(
                "p-{}-{}",
                self.run,
                check.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            ),
            None => format!("p-{}", self.run),
        }
    }
}

/// Score, grade and coverage of one run.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSnapshot {
    pub score: f64,
    pub grade: Grade,
    pub coverage: f64,
    pub provenance: Provenance,
}

impl ReviewSnapshot {
    fn of(run: &Run) -> ReviewSnapshot {
        ReviewSnapshot {
            score: run.card.score,
            grade: run.card.grade,
            coverage: run.card.coverage,
            provenance: Provenance::of_run(run),
        }
    }
}

/// A check whose outcome or points changed over the period.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CheckMove {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub before: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub after: Option<Outcome>,
    /// Points gained (positive) or lost (negative).
    pub points_delta: f64,
    pub measured_before: String,
    pub measured_after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub provenance_before: Option<Provenance>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub provenance_after: Option<Provenance>,
}

/// A category's points at the start and now, and the checks that moved.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CategoryMove {
    pub id: String,
    pub name: String,
    pub weight: f64,
    pub earned_before: f64,
    pub earned_now: f64,
    pub delta: f64,
    pub moved: Vec<CheckMove>,
}

/// One check not passing now, and what passing it would recover.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct GradeStep {
    pub id: String,
    pub name: String,
    pub category: String,
    pub outcome: Outcome,
    /// Points it would add to the score by passing.
    pub recoverable: f64,
    /// The score once this and every step above it pass.
    pub score_after: f64,
    /// What to do: the check's explanation of what it saw and needs.
    pub what_to_do: String,
    pub provenance: Provenance,
}

/// The checks to fix, most points first, and the grade they lead to.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NextGrade {
    pub current: Grade,
    /// `None` at A.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub next: Option<Grade>,
    /// The score the next grade starts at.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub needs_score: Option<f64>,
    /// How many of the steps, from the top, reach it (`None`: all of them
    /// do not).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub steps_needed: Option<u32>,
    pub steps: Vec<GradeStep>,
}

/// The weekly review of one environment over `[from, to]`.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WeeklyReport {
    pub environment: String,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub to: OffsetDateTime,
    /// The first run of the period.
    pub start: ReviewSnapshot,
    /// The last run of the period.
    pub now: ReviewSnapshot,
    pub runs: u32,
    pub trend: Vec<TrendPoint>,
    pub categories: Vec<CategoryMove>,
    pub next_grade: NextGrade,
    /// The busiest routes' requests, errors and latency (the span store).
    pub routes: Vec<RouteLine>,
    /// Actions taken against production in the period (the audit log).
    pub actions: Vec<ActionLine>,
    /// Who was throttled most (the quota sampler's daily rows).
    pub throttled: Vec<ThrottledLine>,
    /// When requests waited for a database connection (the pool samples).
    pub pools: PoolSection,
    /// Every run a number above came from, for the provenance appendix.
    pub evidence: Vec<Provenance>,
}

/// What the period's other stored rows hold, for [`weekly`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored<'a> {
    /// The whole audit log (filtered here by environment and period).
    pub audit: &'a [Entry],
    /// The quota sampler's days of the environment in the period.
    pub quota_days: &'a [(time::Date, WorkspaceDay)],
    /// Per route over the period, from the span store's rollups.
    pub routes: &'a [crate::traces::RouteStats],
    /// The pool samples of the period as a series.
    pub pools: Option<&'a crate::pools::series::PoolSeries>,
}

/// How many workspaces the throttled section lists.
pub const THROTTLED_TOP: usize = 10;

/// The lowest score of each grade above F, from `Grade::for_score`.
const GRADE_FLOORS: [(Grade, f64); 4] = [
    (Grade::D, 50.0),
    (Grade::C, 70.0),
    (Grade::B, 85.0),
    (Grade::A, 95.0),
];

fn next_grade_of(grade: Grade) -> Option<(Grade, f64)> {
    let order = [Grade::F, Grade::D, Grade::C, Grade::B, Grade::A];
    let at = order.iter().position(|g| *g == grade)?;
    let next = *order.get(at + 1)?;
    GRADE_FLOORS.iter().copied().find(|(g, _)| *g == next)
}

/// Builds the review from the period's first and last runs and the trend
/// between them (oldest first).
pub fn weekly(
    environment: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    start: &Run,
    now: &Run,
    trend: Vec<TrendPoint>,
    stored: Stored,
) -> WeeklyReport {
    let categories = now
        .card
        .categories
        .iter()
        .map(|cat| {
            let before = start.card.categories.iter().find(|c| c.id == cat.id);
            let earned_now: f64 = cat.checks.iter().map(|c| c.earned).sum();
            let earned_before: f64 =
                before.map_or(0.0, |b| b.checks.iter().map(|c| c.earned).sum());
            let mut moved: Vec<CheckMove> = Vec::new();
            for check in &cat.checks {
                let then = before.and_then(|b| b.checks.iter().find(|c| c.id == check.id));
                let changed =
                    then.is_none_or(|t| t.outcome != check.outcome || t.earned != check.earned);
                if changed {
                    moved.push(CheckMove {
                        id: check.id.clone(),
                        name: check.name.clone(),
                        before: then.map(|t| t.outcome),
                        after: Some(check.outcome),
                        points_delta: round1(check.earned - then.map_or(0.0, |t| t.earned)),
                        measured_before: then.map(|t| t.measured.clone()).unwrap_or_default(),
                        measured_after: check.measured.clone(),
                        provenance_before: then.map(|t| Provenance::of_check(start, t)),
                        provenance_after: Some(Provenance::of_check(now, check)),
                    });
                }
            }
            if let Some(b) = before {
                for then in b
                    .checks
                    .iter()
                    .filter(|t| !cat.checks.iter().any(|c| c.id == t.id))
                {
                    moved.push(CheckMove {
                        id: then.id.clone(),
                        name: then.name.clone(),
                        before: Some(then.outcome),
                        after: None,
                        points_delta: round1(-then.earned),
                        measured_before: then.measured.clone(),
                        measured_after: String::new(),
                        provenance_before: Some(Provenance::of_check(start, then)),
                        provenance_after: None,
                    });
                }
            }
            moved.sort_by(|a, b| {
                b.points_delta
                    .abs()
                    .total_cmp(&a.points_delta.abs())
                    .then(a.id.cmp(&b.id))
            });
            CategoryMove {
                id: cat.id.clone(),
                name: cat.name.clone(),
                weight: cat.weight,
                earned_before: round1(earned_before),
                earned_now: round1(earned_now),
                delta: round1(earned_now - earned_before),
                moved,
            }
        })
        .collect();
    let mut evidence = vec![Provenance::of_run(start)];
    if now.id != start.id {
        evidence.push(Provenance::of_run(now));
    }
    WeeklyReport {
        environment: environment.to_string(),
        from,
        to,
        start: ReviewSnapshot::of(start),
        now: ReviewSnapshot::of(now),
        runs: u32::try_from(trend.len()).unwrap_or(u32::MAX),
        trend,
        categories,
        next_grade: path_to_next_grade(now),
        routes: sections::routes(stored.routes.to_vec(), from, to),
        actions: sections::actions(stored.audit, environment, from, to),
        throttled: sections::throttled_most(stored.quota_days, THROTTLED_TOP),
        pools: sections::pool_saturation(stored.pools.unwrap_or(&Default::default()), from, to),
        evidence,
    }
}

/// Every check not passing, most recoverable points first, with the score
/// each step would lead to, and how many reach the next grade.
pub fn path_to_next_grade(now: &Run) -> NextGrade {
    let total: f64 = now.card.checks().map(|c| c.points).sum();
    let scale = if total > 0.0 { 100.0 / total } else { 0.0 };
    let mut steps: Vec<GradeStep> = now
        .card
        .categories
        .iter()
        .flat_map(|cat| cat.checks.iter().map(move |c| (cat, c)))
        .filter(|(_, c)| c.outcome != Outcome::Pass && c.points > c.earned)
        .map(|(cat, c)| GradeStep {
            id: c.id.clone(),
            name: c.name.clone(),
            category: cat.name.clone(),
            outcome: c.outcome,
            recoverable: round1((c.points - c.earned) * scale),
            score_after: 0.0,
            what_to_do: c.explanation.clone(),
            provenance: Provenance::of_check(now, c),
        })
        .collect();
    steps.sort_by(|a, b| {
        b.recoverable
            .total_cmp(&a.recoverable)
            .then(a.id.cmp(&b.id))
    });
    let mut score = now.card.score;
    for step in &mut steps {
        score = (score + step.recoverable).min(100.0);
        step.score_after = round1(score);
    }
    let next = next_grade_of(now.card.grade);
    let steps_needed = next.and_then(|(_, floor)| {
        steps
            .iter()
            .position(|s| s.score_after >= floor)
            .map(|i| u32::try_from(i + 1).unwrap_or(u32::MAX))
    });
    NextGrade {
        current: now.card.grade,
        next: next.map(|(g, _)| g),
        needs_score: next.map(|(_, f)| f),
        steps_needed,
        steps,
    }
}

/// The provenance entries a rendered review links to, once each, by
/// anchor: runs and checks, and other stored rows. Both renderers list
/// them at the end, so every link they write resolves.
#[derive(Debug, Default)]
pub(crate) struct Cited {
    pub(crate) runs: std::collections::BTreeMap<String, Provenance>,
    pub(crate) rows: std::collections::BTreeMap<String, String>,
}

impl Cited {
    /// Remembers `p` and returns its anchor.
    pub(crate) fn run(&mut self, p: &Provenance) -> String {
        let anchor = p.anchor();
        self.runs.entry(anchor.clone()).or_insert_with(|| p.clone());
        anchor
    }

    /// Remembers the stored rows `p` and returns their anchor.
    pub(crate) fn rows(&mut self, p: &StoredRows) -> String {
        self.rows
            .entry(p.anchor.clone())
            .or_insert_with(|| p.what.clone());
        p.anchor.clone()
    }
}

#[cfg(test)]
mod tests;
