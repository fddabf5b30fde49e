//! `readyroom traces stats|show`: the traces Readyroom received.

use readyroom_api::traces::{TraceRequest, TraceStatsRequest};

use crate::args::{Global, TraceShowArgs, TraceStatsArgs};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn stats(global: &Global, args: TraceStatsArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let minutes = u32::try_from(args.since.as_secs() / 60).unwrap_or(u32::MAX);
    let view = api
        .get_trace_stats(TraceStatsRequest {
            environment: args.env,
            since_minutes: Some(minutes),
        })
        .await?;
    api.close().await;
    print!("{}", render::trace_stats(&view, args.format));
    Ok(exit::OK)
}

pub async fn show(global: &Global, args: TraceShowArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .get_trace(TraceRequest {
            trace_id: args.trace_id,
        })
        .await?;
    api.close().await;
    print!("{}", render::trace(&view, args.format));
    Ok(exit::OK)
}
