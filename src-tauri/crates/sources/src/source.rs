//! A source of evidence: what it gathers, the secrets it needs, its label,
//! and how it gathers under its own time budget.
//!
//! Every source, whether it reads production (HTTP, TLS, PostgreSQL) or the
//! local store (uptime), implements [`Source`]. The [`crate::Registry`]
//! derives from them the planned probes, the progress events, the secrets
//! to look up and each source's status, so a label is written once.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{Evidence, Gathered, Input, InputId, Missing};
use readyroom_core::Sensitive;
use time::OffsetDateTime;

use crate::http::HttpClients;
use crate::trust::ExtraRoots;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A keychain entry a source needs, and the config key naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// The config key that references it, e.g. `postgres.url_secret`.
    pub key: &'static str,
    pub name: String,
}

/// Secrets looked up for a run, by name. `Err` says why one is missing.
pub type ResolvedSecrets = BTreeMap<String, Result<Sensitive<String>, String>>;

/// Everything a source may use during one run.
pub struct RunContext<'a> {
    pub environment: &'a str,
    pub env: &'a Environment,
    /// The per-probe timeout of this environment.
    pub timeout: Duration,
    pub secrets: &'a ResolvedSecrets,
    /// HTTP clients with the environment's trust roots, built once per run.
    pub http: &'a HttpClients,
    pub extra_roots: &'a ExtraRoots,
    /// What the sources this one [`Source::needs`] gathered.
    pub earlier: &'a Evidence,
}

impl RunContext<'_> {
    /// The value of secret `name`, or why there is none.
    pub fn secret(&self, name: &str) -> Result<&Sensitive<String>, String> {
        match self.secrets.get(name) {
            Some(Ok(value)) => Ok(value),
            Some(Err(reason)) => Err(reason.clone()),
            None => Err("the secret was not looked up".into()),
        }
    }
}

/// Whether a source reached what it reads, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// What it reached: a URL, `host:port`, `postgres host:port/db`.
    pub target: String,
    /// `Err` says why it was unreachable.
    pub result: Result<(), String>,
}

/// What one source brought back.
#[derive(Debug)]
pub struct Findings {
    pub evidence: Evidence,
    pub sighting: Option<Sighting>,
}

impl Findings {
    pub fn new(ctx: &RunContext<'_>) -> Self {
        Findings {
            evidence: Evidence::empty(ctx.environment, ctx.earlier.gathered_at),
            sighting: None,
        }
    }

    pub fn set<T: Send + Sync + 'static>(&mut self, input: &Input<T>, gathered: Gathered<T>) {
        self.evidence.set(input, gathered);
    }

    pub fn seen(mut self, target: impl Into<String>, result: Result<(), String>) -> Self {
        self.sighting = Some(Sighting {
            target: target.into(),
            result,
        });
        self
    }

    /// Every input of `source` unavailable for `reason` (a source that ran
    /// out of time, or could not start).
    pub fn unavailable(ctx: &RunContext<'_>, source: &dyn Source, reason: String) -> Self {
        let at = OffsetDateTime::now_utc();
        let mut evidence = Evidence::empty(ctx.environment, at);
        for input in source.provides() {
            evidence.set_missing(
                *input,
                Missing::Unavailable {
                    source: source.label().to_string(),
                    reason: reason.clone(),
                    at,
                },
            );
        }
        Findings {
            evidence,
            sighting: Some(Sighting {
                target: source.label().to_string(),
                result: Err(reason),
            }),
        }
    }
}

/// A source of evidence (ARCHITECTURE.md: a small trait per port).
pub trait Source: Send + Sync {
    /// Its name in progress, the status bar and errors: `"health"`.
    fn label(&self) -> &'static str;
    /// The inputs it gathers.
    fn provides(&self) -> &'static [InputId];
    /// Inputs of other sources it reads; it runs after them.
    fn needs(&self) -> &'static [InputId] {
        &[]
    }
    /// Whether the environment's config gives it anything to read. An
    /// unconfigured source does not run, and its inputs read as missing
    /// with their declared hint.
    fn configured(&self, env: &Environment) -> bool;
    /// Keychain entries it needs for this environment.
    fn secrets(&self, _env: &Environment) -> Vec<SecretRef> {
        Vec::new()
    }
    /// How long it may take in all before its inputs count as unavailable.
    /// The default allows one probe timeout and a second for the rest.
    fn budget(&self, ctx: &RunContext<'_>) -> Duration {
        ctx.timeout + Duration::from_secs(1)
    }
    /// Gathers its inputs. Never fails: a failure is evidence.
    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings>;
}
