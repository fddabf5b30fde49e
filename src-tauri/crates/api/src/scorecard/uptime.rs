//! Uptime from Readyroom's own stored health samples: a source that reads
//! the local store, run after the health probes so this run's own sample
//! counts too.

use readyroom_core::config::Environment;
use readyroom_core::deploys::PollVerdict;
use readyroom_core::evidence::inputs::{HEALTH, UPTIME};
use readyroom_core::evidence::{Evidence, InputId, Missing, UptimeHistory};
use readyroom_sources::{BoxFuture, Findings, RunContext, Source};
use readyroom_store::{HealthSample, Store};

/// How far back uptime looks.
const UPTIME_WINDOW: time::Duration = time::Duration::days(30);

pub struct UptimeSource {
    pub store: Store,
}

impl Source for UptimeSource {
    fn label(&self) -> &'static str {
        "uptime"
    }

    fn provides(&self) -> &'static [InputId] {
        &[UPTIME.id]
    }

    fn needs(&self) -> &'static [InputId] {
        &[HEALTH.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        !env.health_urls.is_empty()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some(current) = sample_of(ctx.earlier) else {
                return findings;
            };
            let since = ctx.earlier.gathered_at - UPTIME_WINDOW;
            let gathered = match self.store.uptime(ctx.environment, since).await {
                Ok(past) => Ok(with_current(past, &current)),
                Err(e) => Err(Missing::Unavailable {
                    source: "Readyroom's stored health samples".into(),
                    reason: e.to_string(),
                    at: ctx.earlier.gathered_at,
                }),
            };
            findings.set(&UPTIME, gathered);
            findings
        })
    }
}

/// Stored samples of the window plus this run's own.
fn with_current(past: Option<UptimeHistory>, current: &HealthSample) -> UptimeHistory {
    let ok = u64::from(current.healthy);
    match past {
        Some(h) => UptimeHistory {
            samples: h.samples + 1,
            healthy: h.healthy + ok,
            first_at: h.first_at.min(current.at),
            last_at: h.last_at.max(current.at),
        },
        None => UptimeHistory {
            samples: 1,
            healthy: ok,
            first_at: current.at,
            last_at: current.at,
        },
    }
}

/// This run's health sample: healthy when every health URL answered 2xx.
pub fn sample_of(ev: &Evidence) -> Option<HealthSample> {
    let probes = ev.get(&HEALTH).ok()?;
    let healthy = probes
        .iter()
        .all(|p| p.response().is_some_and(|r| r.is_success()));
    let latency_ms = probes.iter().map(|p| p.elapsed_ms).reduce(f64::max);
    let named = |keys: &[&str]| {
        probes.iter().find_map(|p| {
            let json = p.response()?.json.as_ref()?;
            keys.iter()
                .find_map(|k| json.get(*k)?.as_str())
                .map(|v| v.chars().take(100).collect::<String>())
        })
    };
    Some(HealthSample {
        at: probes.iter().map(|p| p.at).min().unwrap_or(ev.gathered_at),
        healthy,
        latency_ms,
        // The release that answered, in the names health endpoints use.
        version: named(&["version", "release"]),
        commit: named(&["commit", "sha", "git_sha", "gitSha", "commit_sha"]),
        sound: readyroom_core::deploys::judge_poll(probes, None) == PollVerdict::Healthy,
    })
}
