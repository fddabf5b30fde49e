//! The sources of one application, and running them for an environment.
//!
//! Sources that need no other input run at once; sources that read what
//! others gathered (uptime reads this run's health probes) run after them.
//! Each runs under its own budget, so one that hangs costs its budget and
//! nothing more, and its inputs read as unavailable.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use readyroom_core::config::Environment;
use readyroom_core::evidence::Evidence;
use time::OffsetDateTime;

use crate::http::HttpClients;
use crate::source::{Findings, ResolvedSecrets, RunContext, SecretRef, Sighting, Source};
use crate::trust::ExtraRoots;
use crate::Result;

/// What a whole run gathered.
#[derive(Debug)]
pub struct Gathering {
    pub evidence: Evidence,
    /// Each source that ran, by label, and whether it reached its target.
    pub sightings: Vec<(&'static str, Sighting)>,
}

#[derive(Clone, Default)]
pub struct Registry {
    sources: Vec<Arc<dyn Source>>,
}

impl Registry {
    pub fn new(sources: Vec<Arc<dyn Source>>) -> Self {
        Registry { sources }
    }

    /// Adds a source (the application layer adds those that read its store).
    pub fn with(mut self, source: Arc<dyn Source>) -> Self {
        self.sources.push(source);
        self
    }

    /// The sources labelled `label` only (a connection test of one).
    pub fn only(&self, label: &str) -> Registry {
        Registry {
            sources: self
                .sources
                .iter()
                .filter(|s| s.label() == label)
                .cloned()
                .collect(),
        }
    }

    /// The inputs the registered sources gather.
    pub fn provided(&self) -> Vec<readyroom_core::evidence::InputId> {
        self.sources
            .iter()
            .flat_map(|s| s.provides().iter().copied())
            .collect()
    }

    /// Every registered source's label.
    pub fn labels(&self) -> Vec<&'static str> {
        self.sources.iter().map(|s| s.label()).collect()
    }

    /// The labels of the sources that will run for `env`, in the order
    /// they are registered, so a caller can show progress as "3 of 7".
    pub fn planned(&self, env: &Environment) -> Vec<&'static str> {
        self.sources
            .iter()
            .filter(|s| s.configured(env))
            .map(|s| s.label())
            .collect()
    }

    /// The keychain entries the sources that will run need, each once.
    pub fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        let mut seen = std::collections::HashSet::new();
        self.sources
            .iter()
            .filter(|s| s.configured(env))
            .flat_map(|s| s.secrets(env))
            .filter(|r| seen.insert(r.name.clone()))
            .collect()
    }

    /// Runs every configured source for one environment. Fails only for
    /// local setup problems (an unreadable ca_file), before any probe;
    /// every remote failure becomes evidence. `at` is the run's time;
    /// `on_done` is called with each source's label as it finishes.
    pub async fn gather(
        &self,
        environment: &str,
        env: &Environment,
        secrets: &ResolvedSecrets,
        timeout: Duration,
        at: OffsetDateTime,
        on_done: &(dyn Fn(&str) + Sync),
    ) -> Result<Gathering> {
        let extra_roots = ExtraRoots::of(env)?;
        let http = HttpClients::new(&extra_roots, timeout)?;
        let mut evidence = Evidence::empty(environment, at);
        let mut sightings = Vec::new();
        let planned: Vec<&Arc<dyn Source>> =
            self.sources.iter().filter(|s| s.configured(env)).collect();
        let (first, after): (Vec<_>, Vec<_>) =
            planned.into_iter().partition(|s| s.needs().is_empty());
        for phase in [first, after] {
            let ctx = RunContext {
                environment,
                env,
                timeout,
                secrets,
                http: &http,
                extra_roots: &extra_roots,
                earlier: &evidence,
            };
            let results = join_all(phase.iter().map(|s| run_one(s.as_ref(), &ctx, on_done))).await;
            for (label, findings) in results {
                evidence.merge(findings.evidence);
                if let Some(s) = findings.sighting {
                    sightings.push((label, s));
                }
            }
        }
        Ok(Gathering {
            evidence,
            sightings,
        })
    }
}

async fn run_one(
    source: &dyn Source,
    ctx: &RunContext<'_>,
    on_done: &(dyn Fn(&str) + Sync),
) -> (&'static str, Findings) {
    let budget = source.budget(ctx);
    let findings = match tokio::time::timeout(budget, source.gather(ctx)).await {
        Ok(findings) => findings,
        Err(_) => Findings::unavailable(
            ctx,
            source,
            format!(
                "{} did not finish within {} ms",
                source.label(),
                budget.as_millis()
            ),
        ),
    };
    on_done(source.label());
    (source.label(), findings)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use readyroom_core::config::Config;
    use readyroom_core::evidence::inputs::{AUTH, HEALTH};
    use readyroom_core::evidence::{HttpProbe, Input, InputId, Missing};

    use super::*;
    use crate::source::BoxFuture;

    /// A source that needs one secret and takes `delay` to answer.
    struct Slow {
        label: &'static str,
        input: &'static Input<Vec<HttpProbe>>,
        delay: Duration,
    }

    impl Source for Slow {
        fn label(&self) -> &'static str {
            self.label
        }
        fn provides(&self) -> &'static [InputId] {
            std::slice::from_ref(&self.input.id)
        }
        fn configured(&self, _env: &Environment) -> bool {
            true
        }
        fn secrets(&self, _env: &Environment) -> Vec<SecretRef> {
            vec![SecretRef {
                key: "test.secret",
                name: "shared/secret".into(),
            }]
        }
        fn budget(&self, _ctx: &RunContext<'_>) -> Duration {
            Duration::from_millis(200)
        }
        fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                let mut findings = Findings::new(ctx);
                findings.set(self.input, Ok(Vec::new()));
                findings
            })
        }
    }

    fn env() -> Config {
        Config::parse("[environments.prod]\n", std::path::Path::new("."))
            .expect("config")
            .config
    }

    #[tokio::test]
    async fn a_source_past_its_budget_is_unavailable_and_secrets_are_asked_once() {
        let registry = Registry::new(vec![
            Arc::new(Slow {
                label: "hangs",
                input: &HEALTH,
                delay: Duration::from_secs(30),
            }),
            Arc::new(Slow {
                label: "other",
                input: &AUTH,
                delay: Duration::ZERO,
            }),
        ]);
        let config = env();
        let (name, env) = config.environment(None).expect("env");
        assert_eq!(registry.planned(env), vec!["hangs", "other"]);
        assert_eq!(registry.secrets(env).len(), 1, "one lookup per secret");
        let done = std::sync::Mutex::new(Vec::new());
        let gathering = registry
            .gather(
                name,
                env,
                &ResolvedSecrets::new(),
                Duration::from_millis(100),
                OffsetDateTime::now_utc(),
                &|label| done.lock().expect("lock").push(label.to_string()),
            )
            .await
            .expect("gather");
        let mut done = done.into_inner().expect("lock");
        done.sort();
        assert_eq!(done, vec!["hangs", "other"], "both report progress");
        let hung = gathering
            .sightings
            .iter()
            .find(|(label, _)| *label == "hangs")
            .expect("sighting");
        assert_eq!(
            hung.1.result,
            Err("hangs did not finish within 200 ms".to_string())
        );
        assert!(matches!(
            gathering.evidence.missing(HEALTH.id),
            Some(Missing::Unavailable { reason, .. }) if reason == "hangs did not finish within 200 ms"
        ));
        assert!(
            gathering.evidence.is_observed(AUTH.id),
            "the other source's evidence is still there"
        );
    }
}
