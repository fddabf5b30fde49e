//! Tempo's TraceQL metrics, instant form: `GET /api/metrics/query` with
//! `q`, `start` and `end` (Unix seconds) answers one value per series
//! for the whole range (`QueryInstantResponse` as JSON: `series[]` of
//! `{labels: [{key, value: {stringValue | intValue | doubleValue | …}}],
//! value}`, with `status` saying whether the answer is partial).
//! Tempo answers durations in seconds. A Tempo without the metrics
//! generator's local blocks answers an error status; the caller falls
//! back to a sample of traces then.

use serde::Deserialize;

use super::{QueryError, TraceQuery};

/// A failed request in TraceQL, as `is_failed_request` says: status
/// ERROR, or an HTTP status of 500 or more by either convention.
pub const FAILED_REQUEST: &str =
    "(status = error || span.http.response.status_code >= 500 || span.http.status_code >= 500)";

impl QueryError {
    /// Tempo could not answer an aggregate query, but a sample of traces
    /// still can: metrics switched off, an older Tempo, an answer that
    /// does not read, or Jaeger. (Unreachable or refused: a sample would
    /// meet the same.)
    pub fn no_aggregate(&self) -> bool {
        matches!(
            self,
            QueryError::Status { .. } | QueryError::Malformed { .. } | QueryError::Unsupported(_)
        )
    }
}

/// One series of an instant answer: its labels (strings; numbers as
/// their text) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Series {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// An instant answer: its series, and whether Tempo said it is partial.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Instant {
    pub series: Vec<Series>,
    pub partial: bool,
}

impl Instant {
    /// The sum of every series (a count without `by`, or over its groups).
    pub fn total(&self) -> f64 {
        self.series
            .iter()
            .map(|s| s.value)
            .filter(|v| v.is_finite())
            .sum()
    }

    /// The series of a quantile query for quantile `p` (labelled `p`), or
    /// the only series when there is one.
    pub fn quantile(&self, p: f64) -> Option<f64> {
        let labelled = self.series.iter().find(|s| {
            s.label("p")
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|q| (q - p).abs() < 1e-9)
        });
        let series = labelled.or(match self.series.as_slice() {
            [only] => Some(only),
            _ => None,
        })?;
        series.value.is_finite().then_some(series.value)
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    series: Vec<RawSeries>,
    /// `PARTIAL` (or 1) when some blocks were not read.
    #[serde(default)]
    status: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    labels: Vec<RawLabel>,
    /// A number; jsonpb writes NaN and infinities as strings.
    #[serde(default)]
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawLabel {
    key: String,
    #[serde(default)]
    value: serde_json::Map<String, serde_json::Value>,
}

fn number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A label's value as text, whatever its `AnyValue` kind.
fn label_text(value: &serde_json::Map<String, serde_json::Value>) -> String {
    match value.values().next() {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Reads an instant answer's JSON.
pub(super) fn parse(body: &[u8]) -> Result<Instant, String> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let partial = match &answer.status {
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("PARTIAL"),
        Some(serde_json::Value::Number(n)) => n.as_u64() == Some(1),
        _ => false,
    };
    let series = answer
        .series
        .into_iter()
        .map(|s| Series {
            labels: s
                .labels
                .into_iter()
                .map(|l| (l.key, label_text(&l.value)))
                .collect(),
            value: s.value.as_ref().and_then(number).unwrap_or(f64::NAN),
        })
        .collect();
    Ok(Instant { series, partial })
}

impl TraceQuery {
    /// Tempo's answer to the TraceQL metrics query `q` over
    /// `[from_ns, to_ns]`, as one value per series. Jaeger has no such
    /// query: `Unsupported`.
    pub async fn instant(&self, q: &str, from_ns: u64, to_ns: u64) -> Result<Instant, QueryError> {
        if self.engine != super::Engine::Tempo {
            return Err(QueryError::Unsupported(format!(
                "{} has no aggregate query",
                self.engine.name()
            )));
        }
        let mut url = self.endpoint("api/metrics/query");
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("start", &(from_ns / 1_000_000_000).to_string())
            .append_pair("end", &to_ns.div_ceil(1_000_000_000).to_string());
        let Some((_, body)) = self.get(url, "application/json").await? else {
            return Err(QueryError::Status {
                engine: self.engine.name(),
                url: self.url().to_string(),
                status: 404,
                detail: "no TraceQL metrics endpoint (/api/metrics/query)".into(),
            });
        };
        parse(&body).map_err(|e| self.malformed(format!("the metrics answer does not read: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_answer_reads_its_series_labels_and_partial_status() {
        let body = br#"{
            "series": [
                {"labels": [{"key": "resource.service.name", "value": {"stringValue": "api"}},
                            {"key": "p", "value": {"doubleValue": 0.95}}],
                 "value": 0.25, "promLabels": "{p=\"0.95\"}"},
                {"labels": [{"key": "p", "value": {"doubleValue": 0.5}}], "value": 0.01},
                {"labels": [{"key": "n", "value": {"intValue": "3"}}], "value": "NaN"}
            ],
            "metrics": {"inspectedBytes": "100"},
            "status": "PARTIAL",
            "unknownField": true
        }"#;
        let answer = parse(body).expect("reads");
        assert!(answer.partial);
        assert_eq!(answer.series.len(), 3);
        assert_eq!(answer.series[0].label("resource.service.name"), Some("api"));
        assert_eq!(answer.series[2].label("n"), Some("3"));
        assert_eq!(answer.quantile(0.95), Some(0.25));
        assert_eq!(answer.quantile(0.5), Some(0.01));
        assert_eq!(
            answer.quantile(0.99),
            None,
            "no such series, and not one only"
        );
        assert!((answer.total() - 0.26).abs() < 1e-9, "NaN is left out");
    }

    #[test]
    fn an_answer_without_series_totals_zero_and_garbage_is_an_error() {
        let empty = parse(br#"{"series": []}"#).expect("reads");
        assert_eq!(empty.total(), 0.0);
        assert!(!empty.partial);
        assert_eq!(empty.quantile(0.95), None);
        let only = parse(br#"{"series": [{"labels": [], "value": 2.5}]}"#).expect("reads");
        assert_eq!(only.quantile(0.95), Some(2.5), "the only series");
        assert!(parse(b"<html>").is_err());
        assert!(parse(br#"{"series": 3}"#).is_err());
    }
}
