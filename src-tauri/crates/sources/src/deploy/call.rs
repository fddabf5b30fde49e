//! One HTTP call to a provider's API, and its answer mapped to what it
//! means for an operator: the documented statuses each with their own
//! error, a lost answer to a write as "uncertain", never a panic.

use crate::http::{classify, read_capped};

use super::errors::provider_message;
use super::DeployError;

/// A provider answer is small; more than this is not read.
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// What came back.
pub(crate) struct Answer {
    pub status: u16,
    /// `Retry-After` in seconds, where the provider sent one.
    pub retry_after_s: Option<u64>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// How the URL appears in errors: without its query.
pub(crate) fn shown(url: &url::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

/// Sends `request`. `writes` marks a call that may change production: a
/// timeout or a broken connection after it went out is
/// [`DeployError::Uncertain`], not "unreachable".
pub(crate) async fn call(
    request: reqwest::RequestBuilder,
    url: &url::Url,
    writes: bool,
) -> Result<Answer, DeployError> {
    let lost = |e: reqwest::Error| {
        let detail = classify(&e).to_string();
        if writes && !e.is_connect() {
            DeployError::Uncertain { detail }
        } else {
            DeployError::Unreachable {
                url: shown(url),
                detail,
            }
        }
    };
    let mut response = request.send().await.map_err(lost)?;
    let status = response.status().as_u16();
    let retry_after_s = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let body = read_capped(&mut response, MAX_ANSWER_BYTES)
        .await
        .map_err(lost)?;
    if body.cut {
        return Err(DeployError::Malformed {
            detail: format!(
                "{} answered more than {} MiB",
                shown(url),
                MAX_ANSWER_BYTES / 1024 / 1024
            ),
        });
    }
    Ok(Answer {
        status,
        retry_after_s,
        body: body.bytes,
    })
}

/// The error a non-2xx answer means; `missing` names what a 404 says is
/// not there. A 5xx to a write is uncertain: the provider may have acted
/// before it failed.
pub(crate) fn refusal(answer: &Answer, missing: &str, writes: bool) -> DeployError {
    let detail = provider_message(&answer.body);
    match answer.status {
        401 => DeployError::Unauthorized,
        403 => DeployError::Forbidden { detail },
        404 => DeployError::NotFound {
            what: missing.to_string(),
            detail,
        },
        409 => DeployError::Conflict { detail },
        422 => DeployError::NotCandidate { detail },
        429 => DeployError::RateLimited {
            retry_after_s: answer.retry_after_s,
        },
        status @ 500..=599 if writes => DeployError::Uncertain {
            detail: format!(
                "HTTP {status}{}",
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(": \"{detail}\"")
                }
            ),
        },
        status => DeployError::Provider { status, detail },
    }
}

/// Parses a JSON answer into `T`, saying where it did not fit.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    answer: &Answer,
    url: &url::Url,
) -> Result<T, DeployError> {
    let mut de = serde_json::Deserializer::from_slice(&answer.body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| DeployError::Malformed {
        detail: format!(
            "{} answered JSON that does not fit at {}: {}",
            shown(url),
            e.path(),
            e.inner()
        ),
    })
}
