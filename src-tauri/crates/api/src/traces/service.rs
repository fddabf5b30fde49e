//! The OTLP receiver as a service: it runs while the desktop app or
//! `serve` runs, unless `[settings.otlp] enabled = false`. A port already
//! taken (a collector often owns 4318) is logged with the setting to
//! change, and the rest of the app keeps working.

use tokio::sync::watch;

use super::receiver::{
    attribution, open_sink, start_receivers, stop_all, Arrivals, Endpoint, ReceiverLimits,
};
use super::receiver_status::{Listening, ReceiverState, ReceiverStatus};
use crate::events::Event;
use crate::services::Service;
use crate::Api;

pub struct OtlpReceiver;

/// How often stored spans are announced to the UI.
const ANNOUNCE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl Service for OtlpReceiver {
    fn name(&self) -> &'static str {
        "OTLP receiver"
    }

    fn run(
        &self,
        api: Api,
        mut stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()> {
        Box::pin(async move {
            // An unreadable config leaves the defaults: receiving spans does
            // not depend on the environments being valid.
            let config = crate::context::load_config(&api).ok().map(|c| c.config);
            let settings = config
                .as_ref()
                .map(|c| c.settings.otlp.clone())
                .unwrap_or_default();
            if !settings.enabled {
                tracing::info!("the OTLP receiver is off ([settings.otlp] enabled = false)");
                api.receiver_status().set(ReceiverStatus {
                    state: ReceiverState::Off,
                    ..ReceiverStatus::default()
                });
                return;
            }
            let rules = config.as_ref().map(attribution).unwrap_or_default();
            let spans = super::spans_path(&api.settings().store_path);
            let arrivals = std::sync::Arc::new(Arrivals::default());
            let sink = match open_sink(&spans, rules, Some(arrivals.clone())).await {
                Ok(sink) => sink,
                Err(message) => {
                    tracing::warn!("the OTLP receiver cannot open the span store: {message}");
                    api.receiver_status().set(ReceiverStatus {
                        state: ReceiverState::Failed,
                        listening: Vec::new(),
                        problems: vec![format!("the span store cannot be opened: {message}")],
                    });
                    return;
                }
            };
            let limits = ReceiverLimits {
                max_body_bytes: settings.max_body_bytes,
                allowed_origins: settings.allowed_origins.clone(),
                ..ReceiverLimits::default()
            };
            // Each protocol on its own: a collector owning one port leaves
            // the other receiving.
            let (running, failed) = start_receivers(
                Some(Endpoint {
                    addr: settings.http,
                    what_to_change:
                        "set [settings.otlp] http to a free address, or enabled = false",
                }),
                Some(Endpoint {
                    addr: settings.grpc,
                    what_to_change:
                        "set [settings.otlp] grpc to a free address, or enabled = false",
                }),
                sink,
                limits,
            )
            .await;
            for message in &failed {
                tracing::warn!("{message}");
            }
            for r in &running {
                tracing::info!(address = %r.addr, "receiving {} traces", r.protocol());
            }
            api.receiver_status().set(ReceiverStatus {
                state: if running.is_empty() {
                    ReceiverState::Failed
                } else {
                    ReceiverState::Running
                },
                listening: running
                    .iter()
                    .map(|r| Listening {
                        protocol: r.protocol().to_string(),
                        address: r.addr.to_string(),
                    })
                    .collect(),
                problems: failed,
            });
            if running.is_empty() {
                return;
            }
            // What arrived, announced once a second at most.
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(ANNOUNCE_EVERY) => {}
                    _ = stop.changed() => break,
                }
                let arrived = arrivals.take();
                if arrived.is_empty() {
                    continue;
                }
                // The trace list's index, kept current off the receivers'
                // path (a list folds what is left before it reads).
                if let Ok(Some(store)) = api.span_store().await {
                    if let Err(e) = store.fold_trace_index().await {
                        tracing::debug!("folding the trace index: {e}");
                    }
                }
                for (environment, spans) in arrived {
                    api.emit(Event::SpansReceived { environment, spans });
                }
            }
            api.receiver_status().set(ReceiverStatus::default());
            if let Err(e) = stop_all(running).await {
                tracing::warn!("{e}");
            }
        })
    }
}

/// How often retention runs (and once at start).
const RETENTION_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Keeps the span store within `[settings.spans]`: spans older than
/// `retention_days` go, then the oldest received past `max_bytes`.
pub struct SpanRetention;

impl Service for SpanRetention {
    fn name(&self) -> &'static str {
        "span retention"
    }

    fn run(
        &self,
        api: Api,
        mut stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()> {
        Box::pin(async move {
            loop {
                if let Err(e) = retain(&api).await {
                    tracing::warn!("span retention: {e}");
                }
                tokio::select! {
                    _ = tokio::time::sleep(RETENTION_EVERY) => {}
                    _ = stop.changed() => return,
                }
            }
        })
    }
}

async fn retain(api: &Api) -> Result<(), String> {
    let settings = crate::context::load_config(api)
        .map(|c| c.config.settings.spans)
        .unwrap_or_default();
    // Nothing received yet: nothing to keep, and no file to create.
    let Some(store) = api.span_store().await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let cutoff = api.now() - time::Duration::days(i64::from(settings.retention_days));
    let cutoff_ns = readyroom_core::traces::unix_nanos(cutoff);
    let removed = store
        .apply_retention(cutoff_ns, settings.max_bytes)
        .await
        .map_err(|e| e.to_string())?;
    if removed.by_age + removed.by_size > 0 {
        tracing::info!(
            by_age = removed.by_age,
            by_size = removed.by_size,
            "span retention removed spans"
        );
    }
    Ok(())
}
