//! What can go wrong with a deploy provider, each said with what to do.
//! No variant carries a secret: URLs are the config's (tokens travel only
//! in headers) and provider messages are the provider's.

/// A deploy provider's failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeployError {
    #[error("the deploy provider is not set up: {detail}")]
    Setup { detail: String },
    #[error("the deploy provider's token (keychain entry {name}) is not available: {reason}. Set it with `readyroom secret set {name}`")]
    Credential { name: String, reason: String },
    #[error("the deploy provider at {url} did not answer: {detail}. Check the provider's status page and this machine's network")]
    Unreachable { url: String, detail: String },
    #[error("the deploy provider refused the token (HTTP 401): it is wrong, expired or revoked. Replace it with `readyroom secret set NAME`")]
    Unauthorized,
    #[error("the deploy provider says the token may not do this (HTTP 403{}): give the token access to the project (and team_id, where the project is a team's)", provider_words(.detail))]
    Forbidden { detail: String },
    #[error("the deploy provider has no {what} (HTTP 404{}): check project_id / team_id in [environments.NAME.deploy], and the deployment id", provider_words(.detail))]
    NotFound { what: String, detail: String },
    #[error("the deploy provider answered 409 Conflict{}: the target may already serve production, or another rollback or promotion is in progress. Read `readyroom deploys` again", provider_words(.detail))]
    Conflict { detail: String },
    #[error("the deploy provider will not roll back to that deployment (HTTP 422{}): it is not a rollback candidate. Pick another from `readyroom deploys`", provider_words(.detail))]
    NotCandidate { detail: String },
    #[error("the deploy provider is rate limiting Readyroom (HTTP 429){}; nothing was done", retry_words(*.retry_after_s))]
    RateLimited { retry_after_s: Option<u64> },
    #[error("the deploy provider failed (HTTP {status}{}); try again shortly, or use the provider's dashboard", provider_words(.detail))]
    Provider { status: u16, detail: String },
    #[error("the deploy provider's answer was lost ({detail}): production may or may not have moved. Readyroom reads the provider again to find out")]
    Uncertain { detail: String },
    #[error("the deploy provider answered something Readyroom cannot read: {detail}")]
    Malformed { detail: String },
    #[error("{what} reports failure ({detail}); production may be unchanged or partly moved: check it, then read `readyroom deploys` and health again")]
    Failed {
        what: String,
        detail: String,
        /// A command's exit code.
        code: Option<i32>,
    },
    #[error("{what} cannot do this yet")]
    Unsupported { what: String },
}

fn provider_words(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": \"{detail}\"")
    }
}

fn retry_words(after: Option<u64>) -> String {
    match after {
        Some(s) => format!("; it asks to wait {s} s before trying again"),
        None => String::new(),
    }
}

impl DeployError {
    /// The provider's HTTP status, or a command's exit code, where it
    /// answered one.
    pub fn status(&self) -> Option<i32> {
        match self {
            DeployError::Unauthorized => Some(401),
            DeployError::Forbidden { .. } => Some(403),
            DeployError::NotFound { .. } => Some(404),
            DeployError::Conflict { .. } => Some(409),
            DeployError::NotCandidate { .. } => Some(422),
            DeployError::RateLimited { .. } => Some(429),
            DeployError::Provider { status, .. } => Some(i32::from(*status)),
            DeployError::Failed { code, .. } => *code,
            _ => None,
        }
    }

    /// Whether production may have moved although no success came back:
    /// the request went out and its answer did not come back.
    pub fn uncertain(&self) -> bool {
        matches!(self, DeployError::Uncertain { .. })
    }

    /// A stable name for the UI to switch on.
    pub fn code(&self) -> &'static str {
        match self {
            DeployError::Setup { .. } => "setup",
            DeployError::Credential { .. } => "credential",
            DeployError::Unreachable { .. } => "unreachable",
            DeployError::Unauthorized => "unauthorized",
            DeployError::Forbidden { .. } => "forbidden",
            DeployError::NotFound { .. } => "notFound",
            DeployError::Conflict { .. } => "conflict",
            DeployError::NotCandidate { .. } => "notCandidate",
            DeployError::RateLimited { .. } => "rateLimited",
            DeployError::Provider { .. } => "provider",
            DeployError::Uncertain { .. } => "uncertain",
            DeployError::Malformed { .. } => "malformed",
            DeployError::Failed { .. } => "failed",
            DeployError::Unsupported { .. } => "unsupported",
        }
    }
}

/// The `message` of a provider's JSON error body (`{"error": {"message"}}`
/// as Vercel answers, or RFC 9457's `detail`), cut to a sentence's length.
pub(crate) fn provider_message(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::new();
    };
    let message = json
        .pointer("/error/message")
        .or_else(|| json.get("detail"))
        .or_else(|| json.get("message"))
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    message.chars().take(300).collect()
}
