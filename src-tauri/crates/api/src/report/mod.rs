//! The weekly review (issue 15): the period's runs read from the local
//! store, the review built by `readyroom_core::report`, and rendered as a
//! self-contained HTML page (the trend as SVG from the charts crate, the
//! font embedded) and as Markdown. Reads only the local store.

use base64::Engine as _;
use readyroom_charts::{font_ttf, score_trend_svg, Theme};
use readyroom_core::report::{self, html, markdown, Run, Stored, TrendPoint, WeeklyReport};
use readyroom_core::traces::unix_nanos;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{context, Api, ApiError, ErrorCode};

/// A week of runs every minute; past this the trend keeps the first ones.
const MAX_RUNS: u32 = 10_080;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub environment: String,
    /// The period: the last N days, up to now (default 7).
    #[serde(default)]
    #[ts(optional)]
    pub days: Option<u32>,
    /// Whether to render the HTML and Markdown (default true); the UI,
    /// which shows the data, asks without.
    #[serde(default)]
    #[ts(optional)]
    pub render: Option<bool>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SavedReport {
    /// Where the HTML review was written.
    pub html: String,
    /// Where the Markdown beside it was written.
    pub markdown: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    pub report: WeeklyReport,
    /// The review as one self-contained HTML document ("" when not
    /// rendered).
    pub html: String,
    /// The review as Markdown ("" when not rendered).
    pub markdown: String,
}

/// Writes the review's HTML and Markdown into `dir` (created if missing)
/// as `readyroom-review-ENV-DATE.html` and `.md`.
pub fn write_files(view: &ReportView, dir: &std::path::Path) -> Result<SavedReport, ApiError> {
    let failed = |path: &std::path::Path, e: std::io::Error| {
        ApiError::new(
            ErrorCode::SetupFailed,
            format!("cannot write {}: {e}", path.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    let stem = format!(
        "readyroom-review-{}-{}",
        view.report.environment,
        view.report.to.date()
    );
    let html = dir.join(format!("{stem}.html"));
    let markdown = dir.join(format!("{stem}.md"));
    std::fs::write(&html, &view.html).map_err(|e| failed(&html, e))?;
    std::fs::write(&markdown, &view.markdown).map_err(|e| failed(&markdown, e))?;
    Ok(SavedReport {
        html: html.display().to_string(),
        markdown: markdown.display().to_string(),
    })
}

/// Writes the review into the data directory's `reports/` folder (the
/// app's "Save"; no path comes from the request).
pub(crate) async fn save_weekly_report(
    api: &Api,
    r: ReportRequest,
) -> Result<SavedReport, ApiError> {
    let dir = api
        .settings()
        .store_path
        .parent()
        .map(|d| d.join("reports"))
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::SetupFailed,
                "the local store has no folder to put reports in",
            )
        })?;
    let view = get_weekly_report(
        api,
        ReportRequest {
            render: Some(true),
            ..r
        },
    )
    .await?;
    write_files(&view, &dir)
}

pub(crate) async fn get_weekly_report(api: &Api, r: ReportRequest) -> Result<ReportView, ApiError> {
    let config = context::load_config(api)?.config;
    context::environment(&config, Some(&r.environment))?;
    let days = r.days.unwrap_or(7);
    if !(1..=366).contains(&days) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("a review covers 1 to 366 days, not {days}"),
        ));
    }
    let to = api.now();
    let from = to - time::Duration::days(i64::from(days));
    let store = api.store().await?;
    let runs = store
        .runs_between(&r.environment, from, to, MAX_RUNS)
        .await?;
    let none = || {
        ApiError::new(
            ErrorCode::NotFound,
            format!(
                "no readable scorecard of {} in the last {days} day(s); run it first (`readyroom score --env {}`, or Run now in the Scorecard view)",
                r.environment, r.environment
            ),
        )
    };
    // The period's first and last runs that can be read back.
    let mut start = None;
    for run in &runs {
        if let Some(card) = store.run_scorecard(run.id).await.ok().flatten() {
            start = Some(Run { id: run.id, card });
            break;
        }
    }
    let start = start.ok_or_else(none)?;
    let mut now = None;
    for run in runs.iter().rev() {
        if let Some(card) = store.run_scorecard(run.id).await.ok().flatten() {
            now = Some(Run { id: run.id, card });
            break;
        }
    }
    let now = now.ok_or_else(none)?;
    let trend: Vec<TrendPoint> = runs
        .iter()
        .map(|run| TrendPoint {
            run: run.id,
            at: run.measured_at,
            score: run.score,
        })
        .collect();
    // The audit log is read whole (its chain is verified over all of it
    // elsewhere); the review keeps the period's entries of this environment.
    let audit = store.audit_log().await?;
    let quota = store
        .quota_history(&r.environment, from.date(), to.date())
        .await?;
    let window_secs = (to - from).as_seconds_f64();
    let routes = match api.span_store().await? {
        None => Vec::new(),
        Some(spans) => spans
            .route_stats(&r.environment, unix_nanos(from), unix_nanos(to))
            .await?
            .finish(window_secs),
    };
    let every = std::time::Duration::from_millis(config.settings.pools.every_ms);
    let pools = match crate::pools::stored_series(api, &r.environment, from, every).await {
        Ok((series, _)) => Some(series),
        Err(e) => {
            tracing::warn!("the review's pool samples: {}", e.message);
            None
        }
    };
    let stored = Stored {
        audit: &audit.entries,
        quota_days: &quota.workspaces,
        routes: &routes,
        pools: pools.as_ref(),
    };
    let review = report::weekly(&r.environment, from, to, &start, &now, trend, stored);
    if r.render == Some(false) {
        return Ok(ReportView {
            report: review,
            html: String::new(),
            markdown: String::new(),
        });
    }
    // Drawn only for the documents: the UI shows the data.
    let points: Vec<_> = review.trend.iter().map(|p| (p.at, p.score)).collect();
    let svg = score_trend_svg(&points, Theme::Light, 900, 260)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let font = base64::engine::general_purpose::STANDARD.encode(font_ttf());
    let html = html::render(
        &review,
        &html::Embedded {
            trend_svg: &svg,
            font_base64: &font,
            generated_at: to,
        },
    );
    let markdown = markdown::render(&review, to);
    Ok(ReportView {
        report: review,
        html,
        markdown,
    })
}
