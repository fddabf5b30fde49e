//! The OTLP/HTTP and OTLP/gRPC receivers, wired to the span store: spans are attributed to
//! an environment by their resource and stored a batch at a time.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use readyroom_core::config::Config;
use readyroom_core::traces::{unix_nanos, Attribution, Span};
pub use readyroom_sources::otlp::ReceiverLimits;
use readyroom_sources::otlp::{http_router, serve_grpc, serve_http, SpanSink};
use readyroom_sources::BoxFuture;
use readyroom_store::{Attributed, SpanStore};

/// Spans stored per environment (`None`: unattributed) since they were
/// last taken: bounded by the number of environments, however fast spans
/// arrive, so announcing them never queues.
#[derive(Default)]
pub struct Arrivals(std::sync::Mutex<std::collections::BTreeMap<Option<String>, u64>>);

impl Arrivals {
    /// Counts a stored batch, tallied by environment (a batch names few).
    fn add(&self, tally: &[(Option<Arc<str>>, u64)]) {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for (environment, spans) in tally {
            *counts
                .entry(environment.as_deref().map(str::to_string))
                .or_default() += spans;
        }
    }

    /// The counts so far, leaving none.
    pub fn take(&self) -> std::collections::BTreeMap<Option<String>, u64> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Stores received spans, attributed to environments.
pub struct StoreSink {
    store: SpanStore,
    attribution: Attribution,
    arrivals: Option<Arc<Arrivals>>,
}

impl StoreSink {
    pub fn new(store: SpanStore, attribution: Attribution) -> Self {
        StoreSink {
            store,
            attribution,
            arrivals: None,
        }
    }
}

impl SpanSink for StoreSink {
    fn ingest(&self, spans: Vec<Span>) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            // Each environment named once per batch (its spans share the
            // name), with how many spans it has.
            let mut tally: Vec<(Option<Arc<str>>, u64)> = Vec::new();
            let batch: Vec<Attributed> = spans
                .into_iter()
                .map(|span| {
                    let name = self.attribution.environment(&span);
                    let i = match tally.iter().position(|(env, _)| env.as_deref() == name) {
                        Some(i) => i,
                        None => {
                            tally.push((name.map(Arc::from), 0));
                            tally.len() - 1
                        }
                    };
                    tally[i].1 += 1;
                    Attributed {
                        environment: tally[i].0.clone(),
                        span,
                    }
                })
                .collect();
            self.store
                .insert(batch, unix_nanos(time::OffsetDateTime::now_utc()))
                .await
                .map_err(|e| e.to_string())?;
            if let Some(arrivals) = &self.arrivals {
                arrivals.add(&tally);
            }
            Ok(())
        })
    }
}

/// A receiver serving in the background.
pub struct RunningReceiver {
    pub addr: SocketAddr,
    /// "OTLP/HTTP" or "OTLP/gRPC", for messages.
    protocol: &'static str,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl RunningReceiver {
    /// "OTLP/HTTP" or "OTLP/gRPC".
    pub fn protocol(&self) -> &'static str {
        self.protocol
    }

    pub async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(format!("the {} receiver failed: {e}", self.protocol)),
        }
    }
}

/// The environments' match rules from config (`[environments.NAME.traces.match]`).
pub fn attribution(config: &Config) -> Attribution {
    Attribution::new(config.environments.iter().filter_map(|(name, env)| {
        env.traces
            .as_ref()
            .map(|traces| (name.as_str(), &traces.match_resource))
    }))
}

/// The span store at `spans_path` as the receivers' sink (opened once,
/// shared by both protocols), counting what it stores into `arrivals`
/// when given.
pub async fn open_sink(
    spans_path: &Path,
    attribution: Attribution,
    arrivals: Option<Arc<Arrivals>>,
) -> Result<Arc<dyn SpanSink>, String> {
    let store = SpanStore::open(spans_path)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(StoreSink {
        arrivals,
        ..StoreSink::new(store, attribution)
    }))
}

/// Binds `addr`; a port already taken (a collector often owns 4317 and
/// 4318) is a message naming it and what to change.
async fn bind(
    addr: SocketAddr,
    protocol: &str,
    what_to_change: &str,
) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "cannot receive {protocol} on {addr}: port {} is already in use (another collector may own it); {what_to_change}",
                addr.port()
            )
        } else {
            format!("cannot receive {protocol} on {addr}: {e}")
        }
    })
}

/// Binds `addr` and serves `protocol` there in the background with
/// `serve(listener, shutdown)` until the receiver is stopped.
async fn start<F>(
    addr: SocketAddr,
    protocol: &'static str,
    what_to_change: &str,
    serve: impl FnOnce(tokio::net::TcpListener, BoxFuture<'static, ()>) -> F,
) -> Result<RunningReceiver, String>
where
    F: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    let listener = bind(addr, protocol, what_to_change).await?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        Box::pin(async {
            let _ = stopped.await;
        }),
    ));
    Ok(RunningReceiver {
        addr,
        protocol,
        stop,
        task,
    })
}

/// Starts an OTLP/HTTP receiver on `addr` into `sink`.
async fn start_http(
    addr: SocketAddr,
    sink: Arc<dyn SpanSink>,
    limits: ReceiverLimits,
    what_to_change: &str,
) -> Result<RunningReceiver, String> {
    start(
        addr,
        "OTLP/HTTP",
        what_to_change,
        |listener, shutdown| async move {
            serve_http(listener, http_router(sink, limits), shutdown)
                .await
                .map_err(|e| format!("the OTLP/HTTP receiver stopped: {e}"))
        },
    )
    .await
}

/// Starts an OTLP/gRPC receiver on `addr` into `sink`.
async fn start_grpc(
    addr: SocketAddr,
    sink: Arc<dyn SpanSink>,
    limits: ReceiverLimits,
    what_to_change: &str,
) -> Result<RunningReceiver, String> {
    start(addr, "OTLP/gRPC", what_to_change, |listener, shutdown| {
        serve_grpc(listener, sink, limits, shutdown)
    })
    .await
}

/// Where a protocol listens, and what to change when its port is taken.
pub struct Endpoint<'a> {
    pub addr: SocketAddr,
    pub what_to_change: &'a str,
}

/// Starts OTLP/HTTP and OTLP/gRPC where given (`None`: off) into `sink`,
/// each on its own: a port already taken costs only that protocol.
/// Returns the receivers running and why the others are not.
pub async fn start_receivers(
    http: Option<Endpoint<'_>>,
    grpc: Option<Endpoint<'_>>,
    sink: Arc<dyn SpanSink>,
    limits: ReceiverLimits,
) -> (Vec<RunningReceiver>, Vec<String>) {
    let mut results = Vec::new();
    if let Some(e) = http {
        results.push(start_http(e.addr, sink.clone(), limits.clone(), e.what_to_change).await);
    }
    if let Some(e) = grpc {
        results.push(start_grpc(e.addr, sink, limits, e.what_to_change).await);
    }
    let mut running = Vec::new();
    let mut failed = Vec::new();
    for result in results {
        match result {
            Ok(r) => running.push(r),
            Err(message) => failed.push(message),
        }
    }
    (running, failed)
}

/// Stops every receiver, reporting the first failure.
pub async fn stop_all(running: Vec<RunningReceiver>) -> Result<(), String> {
    let mut stopped = Ok(());
    for r in running {
        if let Err(e) = r.stop().await {
            stopped = stopped.and(Err(e));
        }
    }
    stopped
}
