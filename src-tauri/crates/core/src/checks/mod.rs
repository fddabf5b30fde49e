//! Judging evidence: one function per kind of check.
//!
//! Each returns a [`Judgement`]: the outcome with the measured value, the
//! threshold, the source, when it was measured, and a one-line explanation.
//! `unknown` is only for evidence that could not be gathered, and then the
//! explanation says what to configure.

mod deploys;
pub(crate) mod health;
mod pools;
mod security;
mod traces;
mod uptime;

use time::OffsetDateTime;

use crate::evidence::{Evidence, HttpOutcome, HttpProbe, HttpResponse, Input, InputId, Missing};
use crate::rubric::{Better, CheckDef, ThresholdSpec};
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

/// A kind of check (tokio-console's `Warn`, as a table row): the inputs it
/// reads, what its thresholds mean, and how it judges. Adding a kind is one
/// constant in its capability's module and one line in [`KINDS`].
pub struct CheckKind {
    /// Its name in rubric files: `kind = "tls"`.
    pub name: &'static str,
    /// The inputs it reads. When none of them was gathered the check is
    /// `unknown` and says what would gather them; `judge` is not called.
    pub reads: &'static [InputId],
    /// Unit, direction and defaults of its pass/partial thresholds; `None`
    /// for checks judged on presence (headers, JSON shape).
    pub thresholds: Option<ThresholdSpec>,
    /// Whether it judges a history, and so takes `min_samples`/`min_hours`.
    pub history_minimums: bool,
    /// What passes, in words, for one rubric entry (its thresholds applied).
    pub threshold: fn(&CheckDef) -> String,
    /// The judgement, given at least one observed input. `None` while the
    /// capability that gathers its inputs is not built.
    pub judge: Option<fn(&CheckDef, &Evidence) -> Judgement>,
}

/// Every check kind the engine knows, by capability.
pub const KINDS: &[&[CheckKind]] = &[
    health::KINDS,
    pools::KINDS,
    security::KINDS,
    uptime::KINDS,
    traces::KINDS,
    deploys::KINDS,
];

/// Every check kind, flattened.
pub fn kinds() -> impl Iterator<Item = &'static CheckKind> {
    KINDS.iter().flat_map(|k| k.iter())
}

/// The kind named `name` in a rubric.
pub fn kind(name: &str) -> Option<&'static CheckKind> {
    kinds().find(|k| k.name == name)
}

/// Judges one rubric entry against the evidence.
pub fn evaluate(check: &CheckDef, ev: &Evidence) -> Judgement {
    let Some(kind) = kind(&check.kind) else {
        // Rubric validation refuses unknown kinds; say so rather than panic.
        return Judgement::unknown(
            "",
            "rubric",
            format!(
                "Not measured: the engine knows no check kind '{}'.",
                check.kind
            ),
        );
    };
    let threshold = (kind.threshold)(check);
    if !kind.reads.iter().any(|input| ev.is_observed(*input)) {
        let first = kind.reads.first().and_then(|input| ev.missing(*input));
        return match first {
            Some(missing) => Judgement::from_missing(missing, &threshold),
            None => Judgement::unknown(
                threshold,
                "rubric",
                "Not measured: this check reads no input.",
            ),
        };
    }
    match kind.judge {
        Some(judge) => judge(check, ev),
        None => Judgement::unknown(
            threshold,
            "not evaluated",
            "Not measured: this version of Readyroom cannot judge this check yet.",
        ),
    }
}

/// The usual threshold text: the kind's bands with the rubric's numbers.
fn banded(check: &CheckDef) -> String {
    check.thresholds().map(|t| describe(&t)).unwrap_or_default()
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

    /// The `unknown` judgement for an input that was not gathered.
    fn from_missing(missing: Missing, threshold: &str) -> Self {
        match missing {
            Missing::NotConfigured { hint } => Judgement::unknown(
                threshold,
                "not configured",
                format!("Not measured: {}", sentence(&hint)),
            ),
            Missing::Unavailable { source, reason, at } => {
                let mut j = Judgement::unknown(
                    threshold,
                    source,
                    format!("Could not gather evidence: {}", sentence(&reason)),
                );
                j.measured_at = Some(at);
                j
            }
        }
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

/// Returns the observed value of `input`, or the `unknown` judgement saying
/// why there is none.
fn observed<'a, T: 'static>(
    ev: &'a Evidence,
    input: &Input<T>,
    threshold: &str,
) -> Result<&'a T, Judgement> {
    ev.get(input)
        .map_err(|missing| Judgement::from_missing(missing, threshold))
}

/// The response a single-probe check judges, with a `fail` judgement to
/// build on; or, when the probe got no response, that `fail` finished.
/// `what` names the URL's role in the explanation ("The base URL").
fn single_response<'a>(
    ev: &'a Evidence,
    input: &Input<HttpProbe>,
    threshold: &str,
    what: &str,
) -> Result<(&'a HttpResponse, Judgement), Judgement> {
    let probe = observed(ev, input, threshold)?;
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

use crate::format::num;

#[cfg(test)]
mod tests;

/// `text` as the end of a sentence: a full stop added unless it already
/// ends in one (a reason may end in a question: "is PostgreSQL running?").
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '?', '!']) {
        text.to_string()
    } else {
        format!("{text}.")
    }
}
