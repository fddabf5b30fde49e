//! Vercel, from its documented REST API:
//! - `GET /v9/projects/{id}`: the deployment serving production
//!   (`targets.production.id`) and whether a rollback pinned it
//!   (`lastRollbackTarget`);
//! - `GET /v6/deployments?projectId&target=production&limit&until`: the
//!   production deployments, newest first, paged by `pagination.next`;
//! - `POST /v1/projects/{id}/rollback/{deploymentId}?description`: a
//!   rollback;
//! - `POST /v10/projects/{id}/promote/{deploymentId}`: a promotion, which
//!   is how a rollback is undone (it also unpins production).
//!
//! `teamId` scopes every call to the project's team. The token travels only
//! in `Authorization: Bearer`. A 429 to a read is retried after its
//! `Retry-After` (briefly); a 429 to a rollback means Vercel did not take
//! it, so it is sent once more if the wait is short; nothing else is ever
//! sent twice.

use std::time::Duration;

use readyroom_core::deploys::{DeployState, Deployment, Listing, ProviderTraits};
use readyroom_core::Sensitive;
use serde::Deserialize;
use time::OffsetDateTime;

use super::call::{call, parse, refusal, Answer};
use super::{endpoint, Action, DeployError, Deployer, Move, Sent};
use crate::source::BoxFuture;

/// Deployments asked for per page, and pages read at most.
const PAGE: u32 = 20;
const MAX_PAGES: usize = 5;
/// The longest `Retry-After` a read waits out, and how often.
const MAX_READ_WAIT_S: u64 = 10;
const READ_RETRIES: usize = 2;
/// The longest `Retry-After` a rollback waits out before its one resend.
const MAX_WRITE_WAIT_S: u64 = 5;

pub const AFTER_ROLLBACK: &str = "Vercel pins production after a rollback: new production deployments no longer get the custom domains automatically. Undo (a promote of the deployment the rollback left), or promoting any deployment, unpins it";

pub struct VercelDeployer {
    pub api: url::Url,
    pub project_id: String,
    pub team_id: Option<String>,
    pub token: Sensitive<String>,
    pub http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProject {
    #[serde(default)]
    targets: Option<WireTargets>,
    #[serde(default)]
    last_rollback_target: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireTargets {
    production: Option<WireTarget>,
}

#[derive(Deserialize)]
struct WireTarget {
    id: String,
}

#[derive(Deserialize)]
struct WirePage {
    deployments: Vec<WireDeployment>,
    #[serde(default)]
    pagination: Option<WirePagination>,
}

#[derive(Deserialize)]
struct WirePagination {
    next: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDeployment {
    uid: String,
    /// Milliseconds since the epoch.
    created: i64,
    url: Option<String>,
    ready_state: Option<String>,
    state: Option<String>,
    is_rollback_candidate: Option<bool>,
    #[serde(default)]
    meta: serde_json::Map<String, serde_json::Value>,
    creator: Option<WireCreator>,
}

#[derive(Deserialize)]
struct WireCreator {
    username: Option<String>,
}

impl WireDeployment {
    fn meta(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.meta.get(*k).and_then(|v| v.as_str()))
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    fn into_deployment(self) -> Deployment {
        let state = self
            .ready_state
            .as_deref()
            .or(self.state.as_deref())
            .map(DeployState::from_word)
            .unwrap_or(DeployState::Other("unknown".into()));
        Deployment {
            commit: self.meta(&["githubCommitSha", "gitlabCommitSha", "bitbucketCommitSha"]),
            message: self
                .meta(&[
                    "githubCommitMessage",
                    "gitlabCommitMessage",
                    "bitbucketCommitMessage",
                ])
                .map(|m| m.lines().next().unwrap_or_default().to_string()),
            author: self
                .meta(&[
                    "githubCommitAuthorName",
                    "gitlabCommitAuthorName",
                    "bitbucketCommitAuthorName",
                ])
                .or_else(|| self.creator.as_ref().and_then(|c| c.username.clone())),
            version: self.meta(&["version"]),
            created_at: OffsetDateTime::from_unix_timestamp_nanos(
                i128::from(self.created) * 1_000_000,
            )
            .unwrap_or(OffsetDateTime::UNIX_EPOCH),
            state,
            rollback_candidate: self.is_rollback_candidate,
            url: self.url.map(|u| {
                if u.starts_with("https://") {
                    u
                } else {
                    format!("https://{u}")
                }
            }),
            id: self.uid,
        }
    }
}

impl VercelDeployer {
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> url::Url {
        let mut url = endpoint(&self.api, segments);
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
            if let Some(team) = &self.team_id {
                pairs.append_pair("teamId", team);
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        url
    }

    /// A GET, retried after a short `Retry-After` (429) or once after a
    /// 5xx; the error of its last answer otherwise.
    async fn read(&self, url: &url::Url, missing: &str) -> Result<Answer, DeployError> {
        let mut tries = 0;
        loop {
            let request = self.http.get(url.clone()).bearer_auth(self.token.expose());
            let answer = call(request, url, false).await?;
            if answer.ok() {
                return Ok(answer);
            }
            let wait = match answer.status {
                429 => answer
                    .retry_after_s
                    .filter(|s| *s <= MAX_READ_WAIT_S)
                    .map(Duration::from_secs),
                500..=599 => Some(Duration::from_secs(1)),
                _ => None,
            };
            match wait {
                Some(wait) if tries < READ_RETRIES => {
                    tracing::info!(
                        status = answer.status,
                        wait_s = wait.as_secs(),
                        "Vercel asked to retry; waiting"
                    );
                    tokio::time::sleep(wait).await;
                    tries += 1;
                }
                _ => return Err(refusal(&answer, missing, false)),
            }
        }
    }

    async fn project(&self) -> Result<WireProject, DeployError> {
        let url = self.url(&["v9", "projects", &self.project_id], &[]);
        let answer = self
            .read(&url, &format!("project {}", self.project_id))
            .await?;
        parse(&answer, &url)
    }

    async fn deployments(&self) -> Result<(Vec<Deployment>, bool), DeployError> {
        let mut all = Vec::new();
        let mut until: Option<i64> = None;
        for _ in 0..MAX_PAGES {
            let limit = PAGE.to_string();
            let until_text = until.map(|u| u.to_string());
            let mut query = vec![
                ("projectId", self.project_id.as_str()),
                ("target", "production"),
                ("limit", limit.as_str()),
            ];
            if let Some(u) = &until_text {
                query.push(("until", u.as_str()));
            }
            let url = self.url(&["v6", "deployments"], &query);
            let answer = self
                .read(&url, &format!("project {}", self.project_id))
                .await?;
            let page: WirePage = parse(&answer, &url)?;
            all.extend(
                page.deployments
                    .into_iter()
                    .map(WireDeployment::into_deployment),
            );
            match page.pagination.and_then(|p| p.next) {
                Some(next) if Some(next) != until => until = Some(next),
                _ => return Ok((all, false)),
            }
        }
        Ok((all, true))
    }
}

impl Deployer for VercelDeployer {
    fn traits(&self) -> ProviderTraits {
        ProviderTraits {
            name: "vercel".into(),
            lists: true,
            targets: true,
            after_rollback: Some(AFTER_ROLLBACK.into()),
        }
    }

    fn list(&self) -> BoxFuture<'_, Result<Listing, DeployError>> {
        Box::pin(async move {
            let (project, (deployments, truncated)) =
                tokio::try_join!(self.project(), self.deployments())?;
            let current = project.targets.and_then(|t| t.production).map(|p| p.id);
            let mut listing = Listing::new(current, deployments, truncated);
            if project.last_rollback_target.is_some_and(|t| !t.is_null()) {
                listing.notes.push(
                    "production is pinned by an earlier rollback: new production deployments do not get the custom domains until one is promoted".into(),
                );
            }
            Ok(listing)
        })
    }

    fn send<'a>(&'a self, action: Action<'a>) -> BoxFuture<'a, Result<Sent, DeployError>> {
        Box::pin(async move {
            let to = action.to.ok_or_else(|| DeployError::Setup {
                detail: "a Vercel rollback needs the deployment to go to".into(),
            })?;
            let description = format!(
                "{} (by {} with Readyroom)",
                action.reason.trim(),
                action.operator
            );
            let description: String = description.chars().take(250).collect();
            let url = match action.kind {
                Move::RollBack => self.url(
                    &["v1", "projects", &self.project_id, "rollback", &to.id],
                    &[("description", description.as_str())],
                ),
                Move::Undo => self.url(
                    &["v10", "projects", &self.project_id, "promote", &to.id],
                    &[],
                ),
            };
            let missing = format!("deployment {} in project {}", to.id, self.project_id);
            let mut resent = false;
            loop {
                let request = self.http.post(url.clone()).bearer_auth(self.token.expose());
                let answer = call(request, &url, true).await?;
                if answer.ok() {
                    let what = match action.kind {
                        Move::RollBack => "the rollback to",
                        Move::Undo => "the promotion of",
                    };
                    return Ok(Sent {
                        status: i32::from(answer.status),
                        detail: format!(
                            "Vercel accepted {what} {} (HTTP {})",
                            to.describe(),
                            answer.status
                        ),
                    });
                }
                // A 429 says the rollback was not taken: one resend after a
                // short wait is safe; anything else is the answer.
                match answer.retry_after_s {
                    Some(wait) if answer.status == 429 && !resent && wait <= MAX_WRITE_WAIT_S => {
                        tracing::info!(
                            wait_s = wait,
                            "Vercel rate limited the rollback; sending it once more after the wait"
                        );
                        tokio::time::sleep(Duration::from_secs(wait)).await;
                        resent = true;
                    }
                    _ => return Err(refusal(&answer, &missing, true)),
                }
            }
        })
    }
}
