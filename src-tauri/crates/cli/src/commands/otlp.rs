//! `readyroom otlp`: a standalone OTLP/HTTP receiver into the local span
//! store, for when neither the desktop app nor `serve` is running.

use readyroom_api::paths;
use readyroom_api::traces::receiver::{start_http, ReceiverLimits};

use crate::args::{Format, OtlpArgs};
use crate::exit::{self, Failure};
use crate::interrupt;

pub async fn run(args: OtlpArgs) -> Result<u8, Failure> {
    let spans = paths::spans_file().ok_or_else(|| {
        Failure::error("no data directory for the span store: set READYROOM_DATA_DIR")
    })?;
    let limits = ReceiverLimits {
        max_body_bytes: args.max_body_bytes,
        allowed_origins: args.allow_origin,
        ..ReceiverLimits::default()
    };
    let receiver = start_http(
        args.http,
        &spans,
        limits,
        "choose another address with --http ADDR:PORT",
    )
    .await
    .map_err(Failure::error)?;
    let endpoint = format!("http://{}/v1/traces", receiver.addr);
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({ "http": receiver.addr.to_string(), "endpoint": endpoint, "store": spans.display().to_string() })
        ),
        _ => println!(
            "Receiving OTLP/HTTP traces at {endpoint} into {}\nPoint exporters at OTEL_EXPORTER_OTLP_ENDPOINT=http://{}. Ctrl-C stops.",
            spans.display(),
            receiver.addr
        ),
    }
    interrupt::first().await?;
    interrupt::unless_second(receiver.stop())
        .await
        .map_err(Failure::error)?;
    eprintln!("stopped");
    Ok(exit::OK)
}
