//! Long-lived work (the run watcher today; the OTLP receivers and the pool
//! sampler next) runs as services with an explicit start and stop, owned
//! by the application layer. The desktop app, `readyroom serve` and
//! standalone CLI commands start them the same way, and shutdown is
//! bounded: a service that does not stop within the grace period is
//! aborted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::Api;

/// A service: runs until `stop` changes, then returns promptly.
pub trait Service: Send + Sync {
    fn name(&self) -> &'static str;
    fn run(
        &self,
        api: Api,
        stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()>;
}

/// One retention pass of a sampler's rows: `prune` removes from the store
/// what is older than `days` ago; how many went is logged as `what`.
pub(crate) async fn retain(
    api: &Api,
    what: &str,
    days: u32,
    prune: impl for<'s> FnOnce(
        &'s readyroom_store::Store,
        time::OffsetDateTime,
    ) -> readyroom_sources::BoxFuture<'s, readyroom_store::Result<u64>>,
) {
    let cutoff = api.now() - time::Duration::days(i64::from(days));
    match api.store().await {
        Ok(store) => match prune(store, cutoff).await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "{what} retention"),
            Ok(_) => {}
            Err(e) => tracing::warn!("{what} retention: {e}"),
        },
        Err(e) => tracing::warn!("{what} retention: {}", e.message),
    }
}

/// The services every long-running entry point starts. A new service is
/// one line here.
pub fn app_services() -> Vec<Arc<dyn Service>> {
    vec![
        Arc::new(crate::scorecard::watch::RunWatcher),
        Arc::new(crate::traces::service::OtlpReceiver),
        Arc::new(crate::traces::service::SpanRetention),
        Arc::new(crate::pools::PoolSampler),
        Arc::new(crate::quota::QuotaSampler),
        Arc::new(crate::deploys::ReconcileAtStart),
    ]
}

pub(crate) struct Services {
    stop: watch::Sender<bool>,
    running: Mutex<Vec<(&'static str, JoinHandle<()>)>>,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            stop: watch::channel(false).0,
            running: Mutex::new(Vec::new()),
        }
    }
}

impl Api {
    /// Starts `services` on the current tokio runtime.
    pub fn start_services(&self, services: Vec<Arc<dyn Service>>) {
        let mut running = self
            .inner
            .services
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // After a stop, a fresh start listens for the next stop.
        self.inner
            .services
            .stop
            .send_if_modified(|stopped| std::mem::replace(stopped, false));
        for service in services {
            let name = service.name();
            let task =
                tokio::spawn(service.run(self.clone(), self.inner.services.stop.subscribe()));
            tracing::debug!(service = name, "started");
            running.push((name, task));
        }
    }

    /// The names of the services running now.
    pub fn running_services(&self) -> Vec<&'static str> {
        let running = self
            .inner
            .services
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        running
            .iter()
            .filter(|(_, task)| !task.is_finished())
            .map(|(name, _)| *name)
            .collect()
    }

    /// Asks every service to stop and waits at most `grace` in all; those
    /// still running then are aborted. Returns the names of those aborted.
    /// The in-app demo stops first, within its own `grace`, so its last
    /// spans reach a receiver that still runs.
    pub async fn stop_services(&self, grace: Duration) -> Vec<&'static str> {
        if tokio::time::timeout(grace, crate::demo::stop(self))
            .await
            .is_err()
        {
            tracing::warn!("the demo did not stop in time");
        }
        let _ = self.inner.services.stop.send(true);
        let tasks: Vec<_> = std::mem::take(
            &mut *self
                .inner
                .services
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let deadline = tokio::time::Instant::now() + grace;
        let mut aborted = Vec::new();
        for (name, mut task) in tasks {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
                tracing::warn!(service = name, "did not stop in time; aborted");
                aborted.push(name);
            }
        }
        aborted
    }
}
