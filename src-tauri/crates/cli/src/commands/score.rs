//! `readyroom score`: gather evidence, score it, store it, show it.

use readyroom_api::commands::EnvironmentRequest;
use readyroom_api::context;

use crate::args::{Global, ScoreArgs};
use crate::exit::{self, Failure};
use crate::{app, render};
use readyroom_core::format::printable;

pub async fn run(global: &Global, args: ScoreArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let environment = context::resolve_environment(&api, args.env.as_deref())?;
    let view = api
        .run_scorecard(EnvironmentRequest { environment })
        .await?;
    api.close().await;
    for skipped in &view.skipped {
        eprintln!("warning: {}", printable(skipped));
    }
    let card = view
        .scorecard
        .ok_or_else(|| Failure::error("the run returned no scorecard"))?;
    print!(
        "{}",
        render::scorecard(&card, view.diff.as_ref(), args.diff, args.format)
    );
    if let Some(min) = args.fail_under {
        if card.score < f64::from(min) {
            eprintln!("score {} is below --fail-under {min}", card.score);
            return Ok(exit::GATE_FAILED);
        }
    }
    Ok(exit::OK)
}
