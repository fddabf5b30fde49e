//! `readyroom history`: past scorecards, newest first.

use readyroom_api::scorecard::HistoryRequest;

use crate::args::{Global, HistoryArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn run(global: &Global, args: HistoryArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .list_history(HistoryRequest {
            environment: args.env,
            limit: Some(args.limit),
        })
        .await?;
    api.close().await;
    print!("{}", render::history(&view.runs, args.format));
    Ok(exit::OK)
}
