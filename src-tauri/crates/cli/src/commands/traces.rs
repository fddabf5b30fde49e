//! `readyroom traces list|stats|show|compare`: the traces Readyroom received.

use readyroom_api::traces::{
    StatsGrouping, TraceCompareRequest, TraceListRequest, TraceRequest, TraceSort,
    TraceStatsRequest, TraceStatus,
};

use crate::args::{
    ByArg, Format, Global, ShowFormat, SortArg, StatusArg, TraceCompareArgs, TraceListArgs,
    TraceShowArgs, TraceStatsArgs,
};
use crate::exit::{self, Failure};
use crate::{app, render};

pub async fn list(global: &Global, args: TraceListArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .list_traces(TraceListRequest {
            environment: args.env,
            service: args.service,
            route: args.route,
            status: args.status.map(|s| match s {
                StatusArg::Ok => TraceStatus::Ok,
                StatusArg::Error => TraceStatus::Error,
            }),
            min_duration_ms: args.min_duration.map(|d| d.as_secs_f64() * 1_000.0),
            max_duration_ms: args.max_duration.map(|d| d.as_secs_f64() * 1_000.0),
            attribute: args.attribute,
            since_minutes: Some(u32::try_from(args.since.as_secs() / 60).unwrap_or(u32::MAX)),
            from: None,
            to: None,
            sort: Some(match args.sort {
                SortArg::Start => TraceSort::Start,
                SortArg::Duration => TraceSort::Duration,
            }),
            limit: Some(args.limit),
        })
        .await?;
    api.close().await;
    print!("{}", render::trace_list(&view, args.format));
    Ok(exit::OK)
}

pub async fn stats(global: &Global, args: TraceStatsArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let minutes = u32::try_from(args.since.as_secs() / 60).unwrap_or(u32::MAX);
    let view = api
        .get_trace_stats(TraceStatsRequest {
            environment: args.env,
            since_minutes: Some(minutes),
            by: Some(match args.by {
                ByArg::Route => StatsGrouping::Route,
                ByArg::Service => StatsGrouping::Service,
            }),
        })
        .await?;
    api.close().await;
    print!("{}", render::trace_stats(&view, args.format));
    Ok(exit::OK)
}

pub async fn show(global: &Global, args: TraceShowArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let request = TraceRequest {
        trace_id: args.trace_id,
        environment: args.env,
        file: None,
    };
    let format = match args.format {
        ShowFormat::OtlpJson => {
            let export = api.export_trace(request).await?;
            api.close().await;
            println!("{}", export.otlp_json);
            return Ok(exit::OK);
        }
        ShowFormat::Table => Format::Table,
        ShowFormat::Json => Format::Json,
        ShowFormat::Markdown => Format::Markdown,
    };
    let view = api.get_trace(request).await?;
    api.close().await;
    print!("{}", render::trace(&view, format));
    Ok(exit::OK)
}

pub async fn compare(global: &Global, args: TraceCompareArgs) -> Result<u8, Failure> {
    let api = app::api(global)?;
    let view = api
        .compare_traces(TraceCompareRequest {
            a: args.a,
            b: args.b,
            environment: args.env,
        })
        .await?;
    api.close().await;
    print!("{}", render::trace_comparison(&view, args.format));
    Ok(exit::OK)
}
