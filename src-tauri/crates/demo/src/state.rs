//! What the demo app shares between requests.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::db::{Db, Workspace};
use crate::llm::{RetryPolicy, Upstream, UpstreamBehaviour};
use crate::releases::{Release, Releases};
use crate::telemetry::Telemetry;

pub const HEALTHY_UPSTREAM: UpstreamBehaviour = UpstreamBehaviour {
    failure_rate: 0.08,
    min_latency_ms: 120,
    max_latency_ms: 600,
};
pub const INCIDENT_UPSTREAM: UpstreamBehaviour = UpstreamBehaviour {
    failure_rate: 0.6,
    min_latency_ms: 400,
    max_latency_ms: 1_500,
};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub by_key: Arc<HashMap<String, Workspace>>,
    pub upstream: Arc<Upstream>,
    pub upstream_url: String,
    pub http: reqwest::Client,
    pub retry: RetryPolicy,
    pub releases: Arc<Mutex<Releases>>,
    pub provider_token: Arc<str>,
    /// The usage endpoint's bearer token (the app's own: usage is
    /// customer data).
    pub usage_token: Arc<str>,
    pub metrics: Arc<Metrics>,
    /// Anonymous callers share one fixed-window bucket (per minute).
    pub anonymous: Arc<Mutex<(i64, u64)>>,
    pub telemetry: Telemetry,
}

impl AppState {
    pub fn current_release(&self) -> Release {
        self.releases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .current()
            .clone()
    }

    /// Deploys a release and applies what it does to the system.
    pub fn deploy(&self, id: &str) -> Option<Release> {
        let release = self
            .releases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .deploy(id)
            .cloned()?;
        self.upstream.set(if release.bad {
            INCIDENT_UPSTREAM
        } else {
            HEALTHY_UPSTREAM
        });
        // The health check's LLM status is judged on the new release's own
        // calls, not the last release's.
        self.metrics
            .recent_llm
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Some(release)
    }
}

/// Request and upstream counters for the Prometheus endpoint.
#[derive(Default)]
pub struct Metrics {
    pub requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub llm_calls_ok: AtomicU64,
    pub llm_calls_failed: AtomicU64,
    pub llm_retries: AtomicU64,
    /// Recent LLM call outcomes (true = failed), newest last, at most 50.
    pub recent_llm: Mutex<Vec<bool>>,
}

impl Metrics {
    pub fn count(&self, route: &str, status: u16) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((route.to_string(), status))
            .or_default() += 1;
    }

    pub fn llm(&self, failed: bool, attempts: u32) {
        if failed {
            self.llm_calls_failed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.llm_calls_ok.fetch_add(1, Ordering::Relaxed);
        }
        self.llm_retries
            .fetch_add(u64::from(attempts.saturating_sub(1)), Ordering::Relaxed);
        let mut recent = self.recent_llm.lock().unwrap_or_else(|p| p.into_inner());
        recent.push(failed);
        let excess = recent.len().saturating_sub(50);
        recent.drain(..excess);
    }

    /// Share of recent LLM calls that failed, if any were made.
    pub fn llm_failure_ratio(&self) -> Option<f64> {
        let recent = self.recent_llm.lock().unwrap_or_else(|p| p.into_inner());
        (!recent.is_empty())
            .then(|| recent.iter().filter(|f| **f).count() as f64 / recent.len() as f64)
    }
}
