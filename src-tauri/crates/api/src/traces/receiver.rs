//! The OTLP/HTTP receiver, wired to the span store: spans are attributed to
//! an environment by their resource and stored a batch at a time.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use readyroom_core::traces::{environment_of, unix_nanos, Span};
pub use readyroom_sources::otlp::ReceiverLimits;
use readyroom_sources::otlp::{http_router, serve_http, SpanSink};
use readyroom_sources::BoxFuture;
use readyroom_store::{Attributed, SpanStore};

/// Stores received spans, attributed by their resource.
pub struct StoreSink {
    store: SpanStore,
}

impl StoreSink {
    pub fn new(store: SpanStore) -> Self {
        StoreSink { store }
    }
}

impl SpanSink for StoreSink {
    fn ingest(&self, spans: Vec<Span>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let batch: Vec<Attributed<'_>> = spans
                .iter()
                .map(|span| Attributed {
                    environment: environment_of(span),
                    span,
                })
                .collect();
            self.store
                .insert(&batch, unix_nanos(time::OffsetDateTime::now_utc()))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// A receiver serving in the background.
pub struct RunningReceiver {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningReceiver {
    pub async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(format!("the OTLP/HTTP receiver stopped: {e}")),
            Err(e) => Err(format!("the OTLP/HTTP receiver failed: {e}")),
        }
    }
}

/// Opens the span store at `spans_path` and starts an OTLP/HTTP receiver
/// on `addr`. A port already taken (a collector often owns 4318) is a
/// message naming it and what to change.
pub async fn start_http(
    addr: SocketAddr,
    spans_path: &Path,
    limits: ReceiverLimits,
    what_to_change: &str,
) -> Result<RunningReceiver, String> {
    let store = SpanStore::open(spans_path)
        .await
        .map_err(|e| e.to_string())?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "cannot receive OTLP/HTTP on {addr}: port {} is already in use (another collector may own it); {what_to_change}",
                addr.port()
            )
        } else {
            format!("cannot receive OTLP/HTTP on {addr}: {e}")
        }
    })?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let router = http_router(Arc::new(StoreSink::new(store)), limits);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve_http(listener, router, async {
        let _ = stopped.await;
    }));
    Ok(RunningReceiver { addr, stop, task })
}
