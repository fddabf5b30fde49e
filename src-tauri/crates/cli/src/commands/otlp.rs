//! `readyroom otlp`: standalone OTLP/HTTP and OTLP/gRPC receivers into the
//! local span store, for when neither the desktop app nor `serve` is
//! running.

use readyroom_api::context::parse_config;
use readyroom_api::paths;
use readyroom_api::traces::receiver::{
    attribution, open_sink, start_receivers, stop_all, Endpoint, ReceiverLimits,
};
use readyroom_core::traces::Attribution;

use crate::args::{Format, Global, OtlpArgs};
use crate::exit::{self, Failure};
use crate::interrupt;

/// The environments' match rules, when a config is there to give them. A
/// config with problems does not stop the receiver: spans are then placed
/// by their resource alone, and the operator is told.
fn rules(global: &Global) -> Attribution {
    let path = paths::config_file(global.config.as_deref());
    if !path.as_deref().is_some_and(|p| p.exists()) {
        return Attribution::default();
    }
    match parse_config(path.as_deref()) {
        Ok(Ok(parsed)) => attribution(&parsed.config),
        Ok(Err(problems)) => {
            eprintln!(
                "warning: the config has {} problem(s) (`readyroom config check` lists them); spans are attributed by their resource alone",
                problems.len()
            );
            Attribution::default()
        }
        Err(e) => {
            eprintln!("warning: {e}; spans are attributed by their resource alone");
            Attribution::default()
        }
    }
}

pub async fn run(args: OtlpArgs, global: &Global) -> Result<u8, Failure> {
    if args.http.0.is_none() && args.grpc.0.is_none() {
        return Err(Failure::usage(
            "both receivers are off: give --http or --grpc an address",
        ));
    }
    let spans = paths::spans_file().ok_or_else(|| {
        Failure::error("no data directory for the span store: set READYROOM_DATA_DIR")
    })?;
    let sink = open_sink(&spans, rules(global), None)
        .await
        .map_err(Failure::error)?;
    let limits = ReceiverLimits {
        max_body_bytes: args.max_body_bytes,
        allowed_origins: args.allow_origin,
        ..ReceiverLimits::default()
    };
    let (running, failed) = start_receivers(
        args.http.0.map(|addr| Endpoint {
            addr,
            what_to_change: "choose another address with --http ADDR:PORT, or --http off",
        }),
        args.grpc.0.map(|addr| Endpoint {
            addr,
            what_to_change: "choose another address with --grpc ADDR:PORT, or --grpc off",
        }),
        sink,
        limits,
    )
    .await;
    if !failed.is_empty() {
        let _ = stop_all(running).await;
        return Err(Failure::error(failed.join("\n")));
    }
    let address = |protocol: &str| {
        running
            .iter()
            .find(|r| r.protocol() == protocol)
            .map(|r| r.addr)
    };
    let (http, grpc) = (address("OTLP/HTTP"), address("OTLP/gRPC"));
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({
                "http": http.map(|a| a.to_string()),
                "endpoint": http.map(|a| format!("http://{a}/v1/traces")),
                "grpc": grpc.map(|a| a.to_string()),
                "store": spans.display().to_string(),
            })
        ),
        _ => {
            if let Some(a) = http {
                println!("Receiving OTLP/HTTP traces at http://{a}/v1/traces");
            }
            if let Some(a) = grpc {
                println!("Receiving OTLP/gRPC traces at http://{a}");
            }
            println!(
                "into {}\nPoint exporters at OTEL_EXPORTER_OTLP_ENDPOINT=http://{} (OTLP/HTTP){}. Ctrl-C stops.",
                spans.display(),
                http.or(grpc).map(|a| a.to_string()).unwrap_or_default(),
                grpc.map(|a| format!(" or http://{a} with OTEL_EXPORTER_OTLP_PROTOCOL=grpc"))
                    .unwrap_or_default()
            );
        }
    }
    interrupt::first().await?;
    interrupt::unless_second(stop_all(running))
        .await
        .map_err(Failure::error)?;
    eprintln!("stopped");
    Ok(exit::OK)
}
