//! The stored form of a scorecard: the store's own versioned format,
//! separate from the wire format the UI reads, so that renaming a field for
//! the UI cannot make old history unreadable. A new format gets a new
//! version and a new struct; old versions stay readable forever.

use readyroom_core::scorecard::{CategoryResult, CheckResult, Outcome, Scorecard};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Error, Result};

/// The format new rows are written in.
pub(crate) const CURRENT_FORMAT: i64 = 1;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScorecardV1 {
    environment: String,
    score: f64,
    grade: String,
    coverage: f64,
    #[serde(with = "time::serde::rfc3339")]
    measured_at: OffsetDateTime,
    categories: Vec<CategoryV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CategoryV1 {
    id: String,
    name: String,
    weight: f64,
    score: f64,
    checks: Vec<CheckV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckV1 {
    id: String,
    name: String,
    kind: String,
    points: f64,
    earned: f64,
    /// "pass", "partial", "fail" or "unknown".
    outcome: String,
    measured: String,
    threshold: String,
    source: String,
    #[serde(with = "time::serde::rfc3339::option")]
    measured_at: Option<OffsetDateTime>,
    explanation: String,
}

pub(crate) fn encode(card: &Scorecard) -> Result<String> {
    let row = ScorecardV1 {
        environment: card.environment.clone(),
        score: card.score,
        grade: card.grade.to_string(),
        coverage: card.coverage,
        measured_at: card.measured_at,
        categories: card
            .categories
            .iter()
            .map(|c| CategoryV1 {
                id: c.id.clone(),
                name: c.name.clone(),
                weight: c.weight,
                score: c.score,
                checks: c
                    .checks
                    .iter()
                    .map(|k| CheckV1 {
                        id: k.id.clone(),
                        name: k.name.clone(),
                        kind: k.kind.clone(),
                        points: k.points,
                        earned: k.earned,
                        outcome: k.outcome.as_str().to_string(),
                        measured: k.measured.clone(),
                        threshold: k.threshold.clone(),
                        source: k.source.clone(),
                        measured_at: k.measured_at,
                        explanation: k.explanation.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string(&row).map_err(|e| Error::Encode(e.to_string()))
}

pub(crate) fn decode(id: i64, format: i64, text: &str) -> Result<Scorecard> {
    let corrupt = |detail: String| Error::Corrupt {
        row: format!("run {id}"),
        detail,
    };
    if format != 1 {
        return Err(Error::NewerFormat { id, format });
    }
    let row: ScorecardV1 = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    let categories = row
        .categories
        .into_iter()
        .map(|c| {
            let checks = c
                .checks
                .into_iter()
                .map(|k| {
                    Ok(CheckResult {
                        outcome: Outcome::parse(&k.outcome)
                            .ok_or_else(|| corrupt(format!("outcome {:?}", k.outcome)))?,
                        id: k.id,
                        name: k.name,
                        kind: k.kind,
                        points: k.points,
                        earned: k.earned,
                        measured: k.measured,
                        threshold: k.threshold,
                        source: k.source,
                        measured_at: k.measured_at,
                        explanation: k.explanation,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(CategoryResult {
                id: c.id,
                name: c.name,
                weight: c.weight,
                score: c.score,
                checks,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Scorecard {
        environment: row.environment,
        score: row.score,
        grade: crate::stored_grade(&row.grade, row.score),
        coverage: row.coverage,
        measured_at: row.measured_at,
        categories,
    })
}
