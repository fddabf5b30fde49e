//! `readyroom score`: gather evidence, score it, store it, show it.

use std::io::IsTerminal;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::diff::ScorecardDiff;
use readyroom_core::evidence::{Evidence, Gathered, UptimeHistory};
use readyroom_core::scorecard::Scorecard;
use readyroom_secrets::SecretStore;
use readyroom_sources::{gather_evidence, GatherOptions, ResolvedSecrets};
use readyroom_store::{HealthSample, Store};

use crate::args::{Global, ScoreArgs};
use crate::exit::{self, Failure};
use crate::{render, setup};

/// How far back uptime looks.
const UPTIME_WINDOW: time::Duration = time::Duration::days(30);

pub async fn run(global: &Global, args: ScoreArgs) -> Result<u8, Failure> {
    let loaded = setup::load_config(global)?;
    let config = loaded.config();
    let (name, env) = config.environment(args.env.as_deref()).map_err(|msg| {
        if args.env.is_some() {
            Failure::usage(msg)
        } else {
            Failure::error(msg)
        }
    })?;
    let rubric = setup::load_rubric(config)?;
    let store = setup::open_store().await?;
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));

    let (card, sample) = score_environment(name, env, &rubric, &store, timeout).await?;
    let diff = if args.diff {
        store
            .latest(name)
            .await?
            .map(|prev| ScorecardDiff::between(&prev, &card))
    } else {
        None
    };
    store.save_run(&card, sample.as_ref()).await?;
    store.close().await;

    print!(
        "{}",
        render::scorecard(&card, diff.as_ref(), args.diff, args.format)
    );
    if let Some(min) = args.fail_under {
        if card.score < f64::from(min) {
            eprintln!("score {} is below --fail-under {min}", card.score);
            return Ok(exit::GATE_FAILED);
        }
    }
    Ok(exit::OK)
}

/// Gathers the evidence and scores it. The caller stores the run together
/// with its health sample.
pub async fn score_environment(
    name: &str,
    env: &Environment,
    rubric: &readyroom_core::rubric::Rubric,
    store: &Store,
    timeout: Duration,
) -> Result<(Scorecard, Option<HealthSample>), Failure> {
    let secrets = resolve_secrets(env);
    let progress = Progress::new();
    let options = GatherOptions {
        probe_timeout: timeout,
    };
    let mut evidence =
        gather_evidence(name, env, secrets, &options, &|label| progress.done(label)).await?;
    progress.finish();
    evidence.uptime = uptime(store, name, &evidence).await?;
    let card = Scorecard::compute(rubric, &evidence);
    Ok((card, sample_of(&evidence)))
}

fn resolve_secrets(env: &Environment) -> ResolvedSecrets {
    let store = SecretStore::new();
    let postgres_url = env
        .postgres
        .as_ref()
        .map(|pg| match store.get(&pg.url_secret) {
            Ok(Some((value, _))) => Ok(value),
            Ok(None) => Err(format!(
                "secret '{}' is not set; store it with `readyroom secret set {}` (or set {})",
                pg.url_secret,
                pg.url_secret,
                readyroom_secrets::env_var_name(&pg.url_secret)
            )),
            Err(e) => Err(e.to_string()),
        });
    ResolvedSecrets { postgres_url }
}

/// Stored samples of the window plus this run's own.
async fn uptime(
    store: &Store,
    name: &str,
    ev: &Evidence,
) -> Result<Gathered<UptimeHistory>, Failure> {
    let Some(current) = sample_of(ev) else {
        return Ok(ev.uptime.clone());
    };
    let past = store.uptime(name, ev.gathered_at - UPTIME_WINDOW).await?;
    let ok = u64::from(current.healthy);
    let history = match past {
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
    };
    Ok(Gathered::observed(history))
}

/// This run's health sample: healthy when every health URL answered 2xx.
fn sample_of(ev: &Evidence) -> Option<HealthSample> {
    let probes = ev.health.as_observed()?;
    let healthy = probes
        .iter()
        .all(|p| p.response().is_some_and(|r| r.is_success()));
    let latency_ms = probes.iter().map(|p| p.elapsed_ms).reduce(f64::max);
    Some(HealthSample {
        at: probes.iter().map(|p| p.at).min().unwrap_or(ev.gathered_at),
        healthy,
        latency_ms,
    })
}

/// Progress on stderr while probes run, only when a person is watching.
struct Progress {
    enabled: bool,
}

impl Progress {
    fn new() -> Self {
        let enabled = std::io::stderr().is_terminal();
        if enabled {
            eprint!("probing…");
        }
        Progress { enabled }
    }

    fn done(&self, label: &str) {
        if self.enabled {
            eprint!(" {label} ✓");
        }
    }

    fn finish(&self) {
        if self.enabled {
            eprintln!();
        }
    }
}
