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

    /// The keychain entries the sources that will run need.
    pub fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        let mut refs: Vec<SecretRef> = self
            .sources
            .iter()
            .filter(|s| s.configured(env))
            .flat_map(|s| s.secrets(env))
            .collect();
        refs.dedup_by(|a, b| a.name == b.name);
        refs
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
        let extra_roots = match &env.ca_file {
            Some(path) => ExtraRoots::load(path)?,
            None => ExtraRoots::default(),
        };
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
