//! Judging evidence: one function per kind of check.
//!
//! Each returns a [`Judgement`]: the outcome with the measured value, the
//! threshold, the source, when it was measured, and a one-line explanation.
//! `unknown` is only for evidence that could not be gathered, and then the
//! explanation says what to configure.

mod health;
mod pending;
mod postgres;
mod security;
mod uptime;

use time::OffsetDateTime;

use crate::evidence::{Evidence, Gathered, HttpOutcome, HttpProbe, HttpResponse};
use crate::rubric::{Better, CheckDef, CheckKind, ThresholdSpec};
use crate::scorecard::Outcome;

#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub outcome: Outcome,
    pub measured: String,
    pub threshold: String,
    pub source: String,
    pub measured_at: Option<OffsetDateTime>,
    pub explanation: String,
}

pub fn evaluate(check: &CheckDef, ev: &Evidence) -> Judgement {
    use CheckKind::*;
    match check.kind {
        HealthEndpoint => health::endpoint(check, ev),
        HealthDependencies => health::dependencies(ev),
        HealthDetail => health::detail(ev),
        HealthLatency => health::latency(check, ev),
        DbPooling => postgres::pooling(ev),
        ConnectionHeadroom => postgres::headroom(check, ev),
        CacheHit => postgres::cache_hit(check, ev),
        Tls => security::tls(check, ev),
        SecurityHeaders => security::headers(ev),
        RateLimitHeaders => security::rate_limit_headers(ev),
        ProblemJson => security::problem_json(ev),
        AuthEnforced => security::auth_enforced(ev),
        MetricsEndpoint => health::metrics_endpoint(ev),
        Uptime => uptime::uptime(check, ev),
        RollbackReady | RollbackDrill | PerfBaseline | ErrorRate | UpstreamAbsorbed | PoolWait
        | TracesFlowing | TraceIntegrity | ErrorDetail | ApiP95 | DbP95 => {
            pending::not_collected_yet(check)
        }
    }
}

impl Judgement {
    fn new(outcome: Outcome, measured: impl Into<String>, threshold: impl Into<String>) -> Self {
        Judgement {
            outcome,
            measured: measured.into(),
            threshold: threshold.into(),
            source: String::new(),
            measured_at: None,
            explanation: String::new(),
        }
    }

    fn source(mut self, source: impl Into<String>, at: OffsetDateTime) -> Self {
        self.source = source.into();
        self.measured_at = Some(at);
        self
    }

    fn explain(mut self, explanation: impl Into<String>) -> Self {
        self.explanation = explanation.into();
        self
    }

    /// An `unknown` judgement for evidence that was not gathered.
    fn unknown(
        threshold: impl Into<String>,
        source: impl Into<String>,
        explanation: impl Into<String>,
    ) -> Self {
        Judgement {
            outcome: Outcome::Unknown,
            measured: "not measured".into(),
            threshold: threshold.into(),
            source: source.into(),
            measured_at: None,
            explanation: explanation.into(),
        }
    }
}

/// Returns the observed value, or the `unknown` judgement saying why there
/// is none.
fn observed<'a, T>(g: &'a Gathered<T>, threshold: &str) -> Result<&'a T, Judgement> {
    match g {
        Gathered::Observed { value } => Ok(value),
        Gathered::NotConfigured { hint } => Err(Judgement::unknown(
            threshold,
            "not configured",
            format!("Not measured: {hint}."),
        )),
        Gathered::Unavailable { source, reason, at } => {
            let mut j = Judgement::unknown(
                threshold,
                source.as_str(),
                format!("Could not gather evidence: {reason}."),
            );
            j.measured_at = Some(*at);
            Err(j)
        }
    }
}

/// The response a single-probe check judges, with a `fail` judgement to
/// build on; or, when the probe got no response, that `fail` finished.
/// `what` names the URL's role in the explanation ("The base URL").
fn single_response<'a>(
    g: &'a Gathered<HttpProbe>,
    threshold: &str,
    what: &str,
) -> Result<(&'a HttpResponse, Judgement), Judgement> {
    let probe = observed(g, threshold)?;
    let j = Judgement::new(Outcome::Fail, "", threshold).source(probe.url.as_str(), probe.at);
    match &probe.outcome {
        HttpOutcome::Response(r) => Ok((r, j)),
        HttpOutcome::Failed(f) => Err(Judgement {
            measured: "no response".into(),
            ..j
        }
        .explain(format!("{what} {f}."))),
    }
}

/// Places a measurement in the pass / partial / fail bands.
fn band(value: f64, t: &ThresholdSpec) -> Outcome {
    let (pass, partial) = match t.better {
        Better::Lower => (value < t.pass, value < t.partial),
        Better::Higher => (value >= t.pass, value >= t.partial),
    };
    if pass {
        Outcome::Pass
    } else if partial {
        Outcome::Partial
    } else {
        Outcome::Fail
    }
}

fn describe(t: &ThresholdSpec) -> String {
    let op = match t.better {
        Better::Lower => "<",
        Better::Higher => ">=",
    };
    format!(
        "pass {op} {} {unit}, partial {op} {} {unit}",
        num(t.pass),
        num(t.partial),
        unit = t.unit
    )
}

fn thresholds(check: &CheckDef) -> ThresholdSpec {
    check
        .thresholds()
        .expect("rubric validation guarantees thresholds for this kind")
}

/// Formats a number without a useless fraction.
fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests;
