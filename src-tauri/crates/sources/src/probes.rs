//! The HTTP probes of the scorecard, one source each: health URLs,
//! protected URLs, the base URL, the rate-limit URL and the error probe.

use futures::future::join_all;
use readyroom_core::config::Environment;
use readyroom_core::evidence::inputs::{AUTH, BASE, ERROR_SHAPE, HEALTH, RATE_LIMIT};
use readyroom_core::evidence::{HttpOutcome, HttpProbe, Input, InputId};
use url::Url;

use crate::http::{self, Redirects};
use crate::source::{BoxFuture, Findings, RunContext, Source};

/// A GET of each URL an environment lists.
pub struct UrlList {
    label: &'static str,
    input: &'static Input<Vec<HttpProbe>>,
    urls: fn(&Environment) -> Vec<Url>,
    redirects: Redirects,
}

/// A GET of one URL an environment names (or implies).
pub struct OneUrl {
    label: &'static str,
    input: &'static Input<HttpProbe>,
    url: fn(&Environment) -> Option<Url>,
    redirects: Redirects,
}

/// Health URLs: status, latency and JSON detail.
pub const HEALTH_PROBES: UrlList = UrlList {
    label: "health",
    input: &HEALTH,
    urls: |env| env.health_urls.clone(),
    redirects: Redirects::Follow,
};

/// Protected URLs, asked without credentials. A redirect to a login page
/// is not proof of refusal, so redirects are not followed.
pub const AUTH_PROBES: UrlList = UrlList {
    label: "auth",
    input: &AUTH,
    urls: |env| env.protected_urls.clone(),
    redirects: Redirects::Keep,
};

/// The base URL, for its security headers.
pub const BASE_PROBE: OneUrl = OneUrl {
    label: "base",
    input: &BASE,
    url: |env| env.base_url.clone(),
    redirects: Redirects::Follow,
};

/// An API response, for its rate-limit headers.
pub const RATE_LIMIT_PROBE: OneUrl = OneUrl {
    label: "rate limit",
    input: &RATE_LIMIT,
    url: |env| {
        env.rate_limit_url
            .clone()
            .or_else(|| env.protected_urls.first().cloned())
    },
    redirects: Redirects::Keep,
};

/// A request that must fail, for the error shape.
pub const ERROR_PROBE: OneUrl = OneUrl {
    label: "error shape",
    input: &ERROR_SHAPE,
    url: |env| {
        env.error_url
            .clone()
            .or_else(|| env.base_url.as_ref().and_then(random_missing_path))
    },
    redirects: Redirects::Keep,
};

impl Source for UrlList {
    fn label(&self) -> &'static str {
        self.label
    }

    fn provides(&self) -> &'static [InputId] {
        std::slice::from_ref(&self.input.id)
    }

    fn configured(&self, env: &Environment) -> bool {
        !(self.urls)(env).is_empty()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let urls = (self.urls)(ctx.env);
            let probes = join_all(
                urls.iter()
                    .map(|u| http::probe(ctx.http, self.redirects, u.as_str(), ctx.timeout)),
            )
            .await;
            let sighting = sighting(&probes);
            let mut findings = Findings::new(ctx);
            findings.set(self.input, Ok(probes));
            match sighting {
                Some((target, result)) => findings.seen(target, result),
                None => findings,
            }
        })
    }
}

impl Source for OneUrl {
    fn label(&self) -> &'static str {
        self.label
    }

    fn provides(&self) -> &'static [InputId] {
        std::slice::from_ref(&self.input.id)
    }

    fn configured(&self, env: &Environment) -> bool {
        (self.url)(env).is_some()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let Some(url) = (self.url)(ctx.env) else {
                return findings;
            };
            let probe = http::probe(ctx.http, self.redirects, url.as_str(), ctx.timeout).await;
            let sighting = sighting(std::slice::from_ref(&probe));
            findings.set(self.input, Ok(probe));
            match sighting {
                Some((target, result)) => findings.seen(target, result),
                None => findings,
            }
        })
    }
}

/// Reached when every probe got a response (whatever its status).
fn sighting(probes: &[HttpProbe]) -> Option<(String, Result<(), String>)> {
    let first = probes.first()?;
    let failure = probes.iter().find_map(|p| match &p.outcome {
        HttpOutcome::Failed(f) => Some(format!("{}: {f}", p.url)),
        HttpOutcome::Response(_) => None,
    });
    let target = if probes.len() == 1 {
        first.url.clone()
    } else {
        format!("{} URLs", probes.len())
    };
    Some((target, failure.map_or(Ok(()), Err)))
}

/// A path under `/api/` that no app serves, so it must answer an error.
fn random_missing_path(base: &Url) -> Option<Url> {
    let suffix: u64 = rand::random();
    base.join(&format!("/api/readyroom-probe-{suffix:016x}"))
        .ok()
}
