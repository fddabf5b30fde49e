//! A simulated LLM provider on its own loopback port (realistic latency,
//! sometimes 429 with Retry-After or 5xx), and the app's client for it:
//! retries with exponential backoff and full jitter, honouring Retry-After,
//! giving up with a clear error after a bounded number of attempts.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use opentelemetry::{Context, KeyValue};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::telemetry::{attribute, end, error, finish, Telemetry};

/// How the simulated provider behaves; the incident drill changes it.
#[derive(Debug, Clone, Copy)]
pub struct UpstreamBehaviour {
    /// Probability that an attempt fails (429 or 5xx).
    pub failure_rate: f64,
    pub min_latency_ms: u64,
    pub max_latency_ms: u64,
}

pub struct Upstream {
    behaviour: Mutex<UpstreamBehaviour>,
    rng: Mutex<StdRng>,
    pub attempts: AtomicU64,
    pub failures: AtomicU64,
}

impl Upstream {
    pub fn new(behaviour: UpstreamBehaviour, seed: u64) -> Arc<Upstream> {
        Arc::new(Upstream {
            behaviour: Mutex::new(behaviour),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            attempts: AtomicU64::new(0),
            failures: AtomicU64::new(0),
        })
    }

    pub fn set(&self, behaviour: UpstreamBehaviour) {
        *self.behaviour.lock().unwrap_or_else(|p| p.into_inner()) = behaviour;
    }

    pub fn behaviour(&self) -> UpstreamBehaviour {
        *self.behaviour.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Serves the provider on a random loopback port.
    pub async fn serve(self: &Arc<Self>) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/v1/messages", post(messages))
            .with_state(self.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(addr)
    }
}

async fn messages(
    State(up): State<Arc<Upstream>>,
    Json(body): Json<serde_json::Value>,
) -> Response {
    let b = up.behaviour();
    let (latency, roll, kind) = {
        let mut rng = up.rng.lock().unwrap_or_else(|p| p.into_inner());
        (
            rng.random_range(b.min_latency_ms..=b.max_latency_ms.max(b.min_latency_ms)),
            rng.random::<f64>(),
            rng.random_range(0..3u8),
        )
    };
    up.attempts.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(latency)).await;
    if roll < b.failure_rate {
        up.failures.fetch_add(1, Ordering::Relaxed);
        return match kind {
            0 => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({"error": {"type": "rate_limit_error"}})),
                )
                    .into_response();
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
                r
            }
            1 => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"error": {"type": "overloaded_error"}})),
            )
                .into_response(),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({"error": {"type": "api_error"}})),
            )
                .into_response(),
        };
    }
    let text = body
        .get("prompt")
        .and_then(|p| p.as_str())
        .unwrap_or_default();
    let input_tokens = (text.len() / 4).max(1) as i64;
    let output_tokens = 24 + (latency as i64 % 40);
    Json(json!({
        "model": "demo-sonnet",
        "content": [{"type": "text", "text": format!("Summary: {}…", text.chars().take(40).collect::<String>())}],
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}
    }))
    .into_response()
}

/// The app side: retry policy and the result of a call.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
    /// Longest Retry-After honoured; beyond it the call gives up at once.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Completion {
    pub summary: String,
    pub attempts: u32,
    pub tokens: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct GaveUp {
    pub attempts: u32,
    pub last: String,
}

/// The model the demo app asks for.
pub const MODEL: &str = "demo-sonnet";

/// Calls the provider, one `gen_ai` client span per attempt under `parent`.
pub async fn summarize(
    client: &reqwest::Client,
    url: &str,
    prompt: &str,
    policy: RetryPolicy,
    telemetry: &Telemetry,
    parent: &Context,
) -> Result<Completion, GaveUp> {
    let mut last = String::new();
    for attempt in 1..=policy.max_attempts {
        let cx = telemetry.llm_span(parent, MODEL, attempt);
        let sent = client
            .post(url)
            .json(&json!({"model": MODEL, "prompt": prompt}))
            .send()
            .await;
        let wait_hint = match sent {
            Ok(r) if r.status().is_success() => {
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                let input = body["usage"]["input_tokens"].as_i64().unwrap_or(0);
                let output = body["usage"]["output_tokens"].as_i64().unwrap_or(0);
                attribute(&cx, KeyValue::new("gen_ai.usage.input_tokens", input));
                attribute(&cx, KeyValue::new("gen_ai.usage.output_tokens", output));
                finish(&cx, 200);
                let summary = body["content"][0]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                return Ok(Completion {
                    summary,
                    attempts: attempt,
                    tokens: input + output,
                });
            }
            Ok(r) => {
                let status = r.status().as_u16();
                last = format!("HTTP {status}");
                error(&cx, &status.to_string());
                // As the HTTP semantic conventions record a response
                // header: the LLM lens shows the wait the upstream asked for.
                if let Some(v) = r.headers().get("retry-after").and_then(|v| v.to_str().ok()) {
                    attribute(
                        &cx,
                        KeyValue::new(
                            "http.response.header.retry-after",
                            opentelemetry::Value::Array(opentelemetry::Array::String(vec![
                                opentelemetry::StringValue::from(v.to_string()),
                            ])),
                        ),
                    );
                }
                finish(&cx, status);
                let retryable =
                    r.status() == StatusCode::TOO_MANY_REQUESTS || r.status().is_server_error();
                if !retryable {
                    return Err(GaveUp {
                        attempts: attempt,
                        last,
                    });
                }
                retry_after(r.headers())
            }
            Err(e) => {
                last = if e.is_timeout() {
                    "timeout".into()
                } else {
                    "connection failed".into()
                };
                error(&cx, &last);
                end(&cx);
                None
            }
        };
        if attempt == policy.max_attempts {
            break;
        }
        let delay = match wait_hint {
            Some(d) if d > policy.max_retry_after => {
                return Err(GaveUp {
                    attempts: attempt,
                    last,
                })
            }
            Some(d) => d,
            None => {
                // Full jitter: uniform in [0, min(cap, base * 2^n)].
                let ceiling = policy
                    .cap
                    .min(policy.base * 2u32.saturating_pow(attempt - 1));
                Duration::from_millis(rand::rng().random_range(0..=ceiling.as_millis() as u64))
            }
        };
        tokio::time::sleep(delay).await;
    }
    Err(GaveUp {
        attempts: policy.max_attempts,
        last,
    })
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get("retry-after")?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}
