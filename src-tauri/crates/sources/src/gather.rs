//! Running every probe of an environment at once.

use std::time::Duration;

use futures::future::join_all;
use readyroom_core::config::{Environment, PostgresSource};
use readyroom_core::evidence::{Evidence, Gathered};
use readyroom_core::Sensitive;
use time::OffsetDateTime;
use url::Url;

use crate::http::{self, Redirects};
use crate::trust::{root_store, ExtraRoots};
use crate::{metrics, postgres, tls, Result};

#[derive(Debug, Clone)]
pub struct GatherOptions {
    pub probe_timeout: Duration,
}

/// Secrets the environment references, looked up by the caller (the
/// keychain lives in another adapter). `Err` holds why a secret is missing.
#[derive(Debug, Default)]
pub struct ResolvedSecrets {
    pub postgres_url: Option<std::result::Result<Sensitive<String>, String>>,
}

/// Gathers all the evidence for one environment. Fails only for local
/// setup problems (an unreadable ca_file); every remote failure becomes
/// evidence. `on_done` is called with a label as each probe finishes.
pub async fn gather_evidence(
    name: &str,
    env: &Environment,
    secrets: ResolvedSecrets,
    options: &GatherOptions,
    on_done: &(dyn Fn(&str) + Sync),
) -> Result<Evidence> {
    let timeout = options.probe_timeout;
    let extra = match &env.ca_file {
        Some(path) => ExtraRoots::load(path)?,
        None => ExtraRoots::default(),
    };
    let follow = http::client(&extra, timeout, Redirects::Follow)?;
    let keep = http::client(&extra, timeout, Redirects::Keep)?;
    let mut ev = Evidence::empty(name, OffsetDateTime::now_utc());

    let many = |urls: Vec<String>, client: &reqwest::Client, label: &'static str| {
        let client = client.clone();
        async move {
            if urls.is_empty() {
                return Vec::new();
            }
            let probes = join_all(urls.iter().map(|u| http::probe(&client, u, timeout))).await;
            on_done(label);
            probes
        }
    };
    let one = |url: Option<String>, client: &reqwest::Client, label: &'static str| {
        let client = client.clone();
        async move {
            let url = url?;
            let p = http::probe(&client, &url, timeout).await;
            on_done(label);
            Some(p)
        }
    };

    let health_urls: Vec<String> = env.health_urls.iter().map(Url::to_string).collect();
    let auth_urls: Vec<String> = env.protected_urls.iter().map(Url::to_string).collect();
    let base_url = env.base_url.as_ref().map(Url::to_string);
    let rate_limit_url = env
        .rate_limit_url
        .as_ref()
        .or(env.protected_urls.first())
        .map(Url::to_string);
    let error_url = env
        .error_url
        .clone()
        .or_else(|| env.base_url.as_ref().and_then(random_missing_path))
        .map(|u| u.to_string());

    let tls_probe = async {
        let url = env.base_url.as_ref()?;
        let p = tls::probe(url, root_store(&extra), timeout).await;
        on_done("tls");
        Some(p)
    };
    let metrics_probe = async {
        let url = env.metrics_url.as_ref()?;
        let p = metrics::probe(&follow, url.as_str(), timeout).await;
        on_done("metrics");
        Some(p)
    };
    let pg_probe = async {
        let source: &PostgresSource = env.postgres.as_ref()?;
        let result = match secrets.postgres_url {
            Some(Ok(url)) => postgres::read_stats(
                &url,
                timeout,
                Duration::from_millis(source.statement_timeout_ms),
            )
            .await
            .map_err(|f| (f.source, f.reason)),
            Some(Err(reason)) => Err((format!("secret '{}'", source.url_secret), reason)),
            None => Err((
                format!("secret '{}'", source.url_secret),
                "the secret was not looked up".into(),
            )),
        };
        on_done("postgres");
        Some(result)
    };

    let (health, auth, base, rate_limit, error_shape, tls_result, metrics_result, pg_result) = tokio::join!(
        many(health_urls, &follow, "health"),
        many(auth_urls, &keep, "auth"),
        one(base_url, &follow, "base"),
        one(rate_limit_url, &keep, "rate limit"),
        one(error_url, &keep, "error shape"),
        tls_probe,
        metrics_probe,
        pg_probe,
    );

    if !health.is_empty() {
        ev.health = Gathered::observed(health);
    }
    if !auth.is_empty() {
        ev.auth = Gathered::observed(auth);
    }
    if let Some(p) = base {
        ev.base = Gathered::observed(p);
    }
    if let Some(p) = rate_limit {
        ev.rate_limit = Gathered::observed(p);
    }
    if let Some(p) = error_shape {
        ev.error_shape = Gathered::observed(p);
    }
    if let Some(p) = tls_result {
        ev.tls = Gathered::observed(p);
    }
    if let Some(p) = metrics_result {
        ev.metrics = Gathered::observed(p);
    }
    match pg_result {
        Some(Ok(stats)) => ev.postgres = Gathered::observed(stats),
        Some(Err((source, reason))) => {
            ev.postgres = Gathered::Unavailable {
                source,
                reason,
                at: OffsetDateTime::now_utc(),
            }
        }
        None => {}
    }
    Ok(ev)
}

/// The probe groups [`gather_evidence`] will run for `env`, by the labels it
/// reports them with, so a caller can show progress as "3 of 7".
pub fn planned_probes(env: &Environment) -> Vec<&'static str> {
    let mut planned = Vec::new();
    let mut plan = |on: bool, label| {
        if on {
            planned.push(label)
        }
    };
    plan(!env.health_urls.is_empty(), "health");
    plan(!env.protected_urls.is_empty(), "auth");
    plan(env.base_url.is_some(), "base");
    plan(
        env.rate_limit_url.is_some() || !env.protected_urls.is_empty(),
        "rate limit",
    );
    plan(
        env.error_url.is_some() || env.base_url.is_some(),
        "error shape",
    );
    plan(env.base_url.is_some(), "tls");
    plan(env.metrics_url.is_some(), "metrics");
    plan(env.postgres.is_some(), "postgres");
    planned
}

/// A path under `/api/` that no app serves, so it must answer an error.
fn random_missing_path(base: &Url) -> Option<Url> {
    let suffix: u64 = rand::random();
    base.join(&format!("/api/readyroom-probe-{suffix:016x}"))
        .ok()
}
