//! Deploy rollback: the deployments a provider lists, which of them
//! production can go back to, what a rollback will change ([`plan`]), and
//! whether production is healthy afterwards ([`verify`]).
//!
//! Providers differ (Vercel lists its deployments and pins production after
//! a rollback; a webhook or a command only acts), so everything here works
//! from plain data a provider adapter fills in: a [`Listing`] when the
//! provider can list, and the [`ProviderTraits`] it declares.

pub mod evidence;
pub mod plan;
pub mod reconcile;
pub mod seen;
pub mod undo;
pub mod verify;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

pub use plan::{plan, Direction, Plan, Refusal};
pub use seen::{seen_health, ReleaseHealth};
pub use undo::{undo_for, undo_target, undo_unlisted, UndoTarget};
pub use verify::{judge_poll, Poll, PollVerdict, Verification, VerificationOutcome};

/// Where a deployment is in its life, as the provider says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DeployState {
    /// Built and able to serve.
    Ready,
    /// Queued, initializing or building.
    Building,
    /// The build or deploy failed.
    Failed,
    Canceled,
    /// A state this version of Readyroom does not know, as the provider
    /// named it.
    Other(String),
}

impl DeployState {
    /// The provider's word for a state (Vercel's `readyState`, the demo's
    /// `state`).
    pub fn from_word(word: &str) -> DeployState {
        match word.to_ascii_lowercase().as_str() {
            "ready" | "succeeded" | "success" | "active" => DeployState::Ready,
            "building" | "queued" | "initializing" | "pending" | "in_progress" => {
                DeployState::Building
            }
            "error" | "failed" | "failure" => DeployState::Failed,
            "canceled" | "cancelled" => DeployState::Canceled,
            other => DeployState::Other(other.to_string()),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            DeployState::Ready => "ready",
            DeployState::Building => "building",
            DeployState::Failed => "failed",
            DeployState::Canceled => "canceled",
            DeployState::Other(word) => word,
        }
    }
}

/// One production deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    /// The release's version, where the provider knows one.
    #[ts(optional)]
    pub version: Option<String>,
    #[ts(optional)]
    pub commit: Option<String>,
    /// The commit's message (first line).
    #[ts(optional)]
    pub message: Option<String>,
    #[ts(optional)]
    pub author: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[ts(type = "string")]
    pub created_at: OffsetDateTime,
    pub state: DeployState,
    /// The provider's own verdict on whether production can go back to it
    /// (Vercel's `isRollbackCandidate`); `None` where it gives none.
    #[ts(optional)]
    pub rollback_candidate: Option<bool>,
    /// Its own URL, where the provider gives one.
    #[ts(optional)]
    pub url: Option<String>,
}

impl Deployment {
    /// How people name it: `dpl_7c9 (2.14.0, 3f9c2ab)`.
    pub fn describe(&self) -> String {
        let detail: Vec<&str> = [self.version.as_deref(), self.commit.as_deref().map(short)]
            .into_iter()
            .flatten()
            .collect();
        if detail.is_empty() {
            self.id.clone()
        } else {
            format!("{} ({})", self.id, detail.join(", "))
        }
    }
}

/// A commit id as people read it: its first 7 characters.
pub fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// What a provider listed: its production deployments, newest first, and
/// which one serves production now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The id of the deployment serving production, where the provider
    /// says.
    #[ts(optional)]
    pub current: Option<String>,
    pub deployments: Vec<Deployment>,
    /// Set when the provider had more than Readyroom read.
    pub truncated: bool,
    /// What the provider says about production beyond the list (Vercel:
    /// pinned by an earlier rollback).
    pub notes: Vec<String>,
}

impl Listing {
    /// Sorts newest first (providers answer in their own order).
    pub fn new(
        current: Option<String>,
        mut deployments: Vec<Deployment>,
        truncated: bool,
    ) -> Listing {
        deployments.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        Listing {
            current,
            deployments,
            truncated,
            notes: Vec::new(),
        }
    }

    pub fn get(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    pub fn current(&self) -> Option<&Deployment> {
        self.current.as_deref().and_then(|id| self.get(id))
    }
}

/// What a provider can do and does, declared by its adapter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProviderTraits {
    /// `vercel`, `webhook`, `command`, `demo`.
    pub name: String,
    /// Whether it lists deployments (a webhook or a command only acts: it
    /// rolls back to whatever the other side calls "previous").
    pub lists: bool,
    /// Whether a rollback can be sent to a chosen deployment.
    pub targets: bool,
    /// What the provider does after a rollback that the operator must know,
    /// and how the undo deals with it (Vercel pins production).
    #[ts(optional)]
    pub after_rollback: Option<String>,
}

/// The health Readyroom saw while a deployment served production, from its
/// own stored samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SeenHealth {
    pub samples: u32,
    pub healthy: u32,
}

impl SeenHealth {
    /// Seen mostly unhealthy: fewer than half of at least 3 samples.
    pub fn mostly_unhealthy(&self) -> bool {
        self.samples >= 3 && self.healthy * 2 < self.samples
    }
}
