//! A webhook provider: POST a JSON body (the config's template, filled) to
//! a configured URL with a keychain-held secret in a header, for example a
//! CI workflow's dispatch; then, where the config names a status URL, poll
//! it until it reports success or failure. It does not list deployments:
//! the other side rolls back to what it calls previous, or to the
//! `{{target}}` named.

use std::time::{Duration, Instant};

use readyroom_core::deploys::{DeployState, Listing, ProviderTraits};
use readyroom_core::Sensitive;
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};

use super::call::{call, refusal, shown, Answer};
use super::template::{fill_json, mentions};
use super::{Action, DeployError, Deployer, Sent};
use crate::source::BoxFuture;

pub struct WebhookDeployer {
    pub url: url::Url,
    /// The header the secret travels in, and the secret.
    pub secret: Option<(HeaderName, Sensitive<String>)>,
    /// The JSON template (the config check parsed it once already).
    pub body: Value,
    pub status_url: Option<url::Url>,
    /// How often the status URL is read.
    pub every: Duration,
    pub http: reqwest::Client,
}

/// The body sent when the config gives none: every placeholder, named.
pub fn default_body() -> Value {
    json!({
        "action": "{{action}}",
        "environment": "{{environment}}",
        "target": "{{target}}",
        "from": "{{from}}",
        "reason": "{{reason}}",
        "operator": "{{operator}}",
    })
}

/// The header the config names for the secret (`Authorization` by
/// default, where the secret is sent as `Bearer <secret>`).
pub fn secret_header(name: Option<&str>) -> Result<HeaderName, DeployError> {
    match name {
        None => Ok(AUTHORIZATION),
        Some(name) => HeaderName::from_bytes(name.as_bytes()).map_err(|_| DeployError::Setup {
            detail: format!("secret_header {name:?} is not an HTTP header name"),
        }),
    }
}

impl WebhookDeployer {
    fn authorized(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, DeployError> {
        let Some((name, secret)) = &self.secret else {
            return Ok(request);
        };
        let text = if name == AUTHORIZATION {
            format!("Bearer {}", secret.expose())
        } else {
            secret.expose().to_string()
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| DeployError::Setup {
            detail: format!("the secret for the {name} header holds characters a header cannot carry (a newline?); set it again"),
        })?;
        value.set_sensitive(true);
        Ok(request.header(name.clone(), value))
    }

    /// Reads the status URL until it reports an end. The caller's timeout
    /// bounds it: cut short, the rollback's outcome is unknown.
    async fn follow(&self, status_url: &url::Url, posted: u16) -> Result<Sent, DeployError> {
        let started = Instant::now();
        loop {
            let answer = call(
                self.authorized(self.http.get(status_url.clone()))?,
                status_url,
                false,
            )
            .await?;
            if !answer.ok() {
                return Err(DeployError::Uncertain {
                    detail: format!(
                        "the webhook accepted it (HTTP {posted}), then its status URL {} answered HTTP {}",
                        shown(status_url),
                        answer.status
                    ),
                });
            }
            let word = status_word(&answer, status_url)?;
            match DeployState::from_word(&word) {
                DeployState::Ready => {
                    return Ok(Sent {
                        status: i32::from(posted),
                        detail: format!(
                            "the webhook accepted it (HTTP {posted}); its status URL said \"{word}\" after {:.1} s",
                            started.elapsed().as_secs_f64()
                        ),
                    })
                }
                DeployState::Failed | DeployState::Canceled => {
                    return Err(DeployError::Failed {
                        what: "the webhook's job".into(),
                        detail: format!("its status URL said \"{word}\""),
                        code: None,
                    })
                }
                DeployState::Building | DeployState::Other(_) => {
                    tokio::time::sleep(self.every).await
                }
            }
        }
    }
}

/// `{"status": …}`, where a `conclusion` (GitHub's runs) says how a
/// `completed` one ended.
fn status_word(answer: &Answer, url: &url::Url) -> Result<String, DeployError> {
    let json: Value = serde_json::from_slice(&answer.body).map_err(|e| DeployError::Malformed {
        detail: format!("{} answered something that is not JSON ({e})", shown(url)),
    })?;
    let word = |key: &str| {
        json.get(key)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    match (word("status"), word("conclusion")) {
        (Some(status), Some(conclusion)) if status == "completed" => Ok(conclusion),
        (Some(status), _) if matches!(status.as_str(), "completed" | "done" | "ok") => {
            Ok("success".into())
        }
        (Some(status), _) => Ok(status),
        (None, _) => Err(DeployError::Malformed {
            detail: format!("{} answered JSON without a \"status\" string", shown(url)),
        }),
    }
}

impl Deployer for WebhookDeployer {
    fn traits(&self) -> ProviderTraits {
        ProviderTraits {
            name: "webhook".into(),
            lists: false,
            targets: mentions(&self.body.to_string(), "target"),
            after_rollback: None,
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Listing, DeployError>> {
        Box::pin(async {
            Err(DeployError::Unsupported {
                what: "a webhook provider (it acts, it does not list)".into(),
            })
        })
    }

    fn send<'a>(&'a self, action: Action<'a>) -> BoxFuture<'a, Result<Sent, DeployError>> {
        Box::pin(async move {
            let body = fill_json(&self.body, &action).to_string();
            let request = self
                .authorized(self.http.post(self.url.clone()))?
                .header(CONTENT_TYPE, "application/json")
                .body(body);
            let answer = call(request, &self.url, true).await?;
            if !answer.ok() {
                return Err(refusal(&answer, "webhook at that URL", true));
            }
            match &self.status_url {
                // Past the POST, production may have moved: whatever stops
                // the status being read leaves the outcome unknown.
                Some(status_url) => self
                    .follow(status_url, answer.status)
                    .await
                    .map_err(|e| match e {
                        DeployError::Failed { .. } | DeployError::Uncertain { .. } => e,
                        other => DeployError::Uncertain {
                            detail: format!(
                                "the webhook accepted it (HTTP {}), then its status could not be read: {other}",
                                answer.status
                            ),
                        },
                    }),
                None => Ok(Sent {
                    status: i32::from(answer.status),
                    detail: format!("the webhook accepted it (HTTP {})", answer.status),
                }),
            }
        })
    }
}
