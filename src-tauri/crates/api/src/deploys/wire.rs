//! The deploys area's requests and responses.

use std::collections::BTreeMap;

use readyroom_core::audit::ActionResult;
use readyroom_core::deploys::{Direction, Listing, Plan, ProviderTraits, SeenHealth, Verification};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::pools::ActionAvailability;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeploysRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
}

/// A rollback (or its undo) to check before sending.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreflightRequest {
    pub environment: String,
    /// The deployment to go to; without one, the newest earlier healthy
    /// one (or, for an undo, the one the last rollback left).
    #[serde(default)]
    #[ts(optional)]
    pub target: Option<String>,
    /// Undo the last rollback instead.
    #[serde(default)]
    pub undo: bool,
}

/// A rollback (or its undo) to send.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TriggerRollbackRequest {
    pub environment: String,
    #[serde(default)]
    #[ts(optional)]
    pub target: Option<String>,
    #[serde(default)]
    pub undo: bool,
    /// Why, for the audit log (required).
    pub reason: String,
    /// The environment's name, typed.
    pub confirm: String,
    /// Run the pre-flight and record it; send nothing.
    #[serde(default)]
    pub dry_run: bool,
}

/// A provider problem, with a stable code for the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeployProblem {
    /// `credential`, `unreachable`, `unauthorized`, `forbidden`,
    /// `notFound`, `conflict`, `notCandidate`, `rateLimited`, `provider`,
    /// `uncertain`, `malformed`, `setup`, `unsupported`.
    pub code: String,
    pub message: String,
}

/// The undo on offer: back to what the last rollback left.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UndoOffer {
    /// The deployment the undo returns production to.
    pub to: String,
    /// The deployment the rollback went to (serving now).
    pub from: String,
    /// The rollback's outcome in the audit log.
    pub rollback_seq: i64,
}

/// An environment's deployments and what can be done about them.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeploysView {
    pub environment: String,
    /// Whether `[environments.NAME.deploy]` names a provider.
    pub configured: bool,
    #[ts(optional)]
    pub provider: Option<ProviderTraits>,
    #[ts(optional)]
    pub listing: Option<Listing>,
    /// Why the provider could not be read.
    #[ts(optional)]
    pub problem: Option<DeployProblem>,
    /// What "Roll back" would do now.
    #[ts(optional)]
    pub next: Option<Plan>,
    /// Why there is nothing to roll back to, when there is not.
    #[ts(optional)]
    pub why_not: Option<String>,
    #[ts(optional)]
    pub undo: Option<UndoOffer>,
    #[ts(optional)]
    pub undo_why_not: Option<String>,
    /// Whether this window may send a rollback.
    pub actions: ActionAvailability,
    /// Interrupted rollbacks whose outcome this read reconciled with the
    /// provider, in words.
    pub reconciled: Vec<String>,
    /// Per deployment id, the health Readyroom saw while its release
    /// answered the health URLs (deployments never seen are absent).
    pub seen: BTreeMap<String, SeenHealth>,
}

/// One pre-flight check.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreflightStep {
    /// `credential`, `provider`, `target`, `health`.
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

/// Everything checked before a rollback is sent.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Preflight {
    pub environment: String,
    pub direction: Direction,
    #[ts(optional)]
    pub provider: Option<ProviderTraits>,
    pub steps: Vec<PreflightStep>,
    #[ts(optional)]
    pub plan: Option<Plan>,
    /// Every step passed: the rollback can be sent.
    pub ready: bool,
    /// What the operator types to confirm: the environment's name.
    pub confirm: String,
}

impl Preflight {
    /// The first step that failed, in words.
    pub fn failure(&self) -> Option<String> {
        self.steps
            .iter()
            .find(|s| !s.ok)
            .map(|s| format!("{}: {}", s.name, s.detail))
    }
}

/// How a rollback ended.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RollbackOutcome {
    pub environment: String,
    /// `None`: nobody knows yet (the provider's answer was lost and it
    /// could not be read again); the audit log says "outcome unknown"
    /// until the next read reconciles it.
    #[ts(optional)]
    pub result: Option<ActionResult>,
    /// The one sentence: what happened, and whether production is healthy.
    pub message: String,
    pub preflight: Preflight,
    #[ts(optional)]
    pub provider_status: Option<i32>,
    #[ts(optional)]
    pub verification: Option<Verification>,
    /// The intent's entry in the audit log.
    pub intent_seq: i64,
    /// The last entry this rollback wrote.
    pub audit_seq: i64,
}
