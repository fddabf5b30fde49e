//! The OTLP receiver as a service: it runs while the desktop app or
//! `serve` runs, unless `[settings.otlp] enabled = false`. A port already
//! taken (a collector often owns 4318) is logged with the setting to
//! change, and the rest of the app keeps working.

use tokio::sync::watch;

use super::receiver::{start_http, ReceiverLimits};
use crate::services::Service;
use crate::Api;

pub struct OtlpReceiver;

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
            let settings = crate::context::load_config(&api)
                .map(|c| c.config.settings.otlp)
                .unwrap_or_default();
            if !settings.enabled {
                tracing::info!("the OTLP receiver is off ([settings.otlp] enabled = false)");
                return;
            }
            let spans = super::spans_path(&api.settings().store_path);
            let limits = ReceiverLimits {
                max_body_bytes: settings.max_body_bytes,
                ..ReceiverLimits::default()
            };
            let receiver = match start_http(
                settings.http,
                &spans,
                limits,
                "set [settings.otlp] http to a free address, or enabled = false",
            )
            .await
            {
                Ok(r) => r,
                Err(message) => {
                    tracing::warn!("{message}");
                    return;
                }
            };
            tracing::info!(address = %receiver.addr, "receiving OTLP/HTTP traces");
            let _ = stop.changed().await;
            if let Err(e) = receiver.stop().await {
                tracing::warn!("{e}");
            }
        })
    }
}
