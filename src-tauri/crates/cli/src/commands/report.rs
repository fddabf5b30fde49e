//! `readyroom report`: the weekly review of an environment written as HTML
//! and Markdown into a folder.

use readyroom_api::context;
use readyroom_api::report::{write_files, ReportRequest};

use crate::app;
use crate::args::{Format, Global, ReportArgs};
use crate::exit::{self, Failure};

const DAY_SECONDS: u64 = 86_400;

pub async fn run(global: &Global, args: ReportArgs) -> Result<u8, Failure> {
    let days = args.since.as_secs().div_ceil(DAY_SECONDS).max(1);
    let days = u32::try_from(days)
        .ok()
        .filter(|d| *d <= 366)
        .ok_or_else(|| Failure::usage("--since covers at most 366 days"))?;
    let api = app::api(global)?;
    let environment = context::resolve_environment(&api, args.env.as_deref())?;
    let view = api
        .get_weekly_report(ReportRequest {
            environment: environment.clone(),
            days: Some(days),
            render: None,
        })
        .await;
    api.close().await;
    let view = view?;
    let saved = write_files(&view, &args.out)?;
    let (html, markdown) = (saved.html, saved.markdown);
    let r = &view.report;
    match args.format {
        Format::Json => {
            let json = serde_json::json!({
                "html": html,
                "markdown": markdown,
                "report": r,
            });
            println!("{json:#}");
        }
        Format::Table | Format::Markdown => {
            println!(
                "{environment}: {:.1} ({}) now, {:.1} ({}) at the start of the last {days} day(s); {} run(s).\nNext grade: {}.\nWrote {}\n  and {}",
                r.now.score,
                r.now.grade,
                r.start.score,
                r.start.grade,
                r.runs,
                match (r.next_grade.next, r.next_grade.steps_needed) {
                    (None, _) => "none above A".to_string(),
                    (Some(g), Some(n)) => format!("{g} after the first {n} step(s) of the report's path"),
                    (Some(g), None) => format!("{g} needs more than the failing checks"),
                },
                html,
                markdown
            );
        }
    }
    Ok(exit::OK)
}
