//! The audit log through the API: who is acting, an action's intent
//! written before it is sent and its outcome after, whether this
//! transport may act at all, and the log listed with its chain verified.

use readyroom_core::audit::{self, ActionResult, Broken, DeployFacts, Entry, NewEntry, Phase};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Api, ApiError, ErrorCode};

/// Who acts, on which machine: `user@host`, as the OS names them.
pub fn operator() -> String {
    let host = whoami::fallible::hostname().unwrap_or_else(|_| "unknown-host".to_string());
    format!("{}@{host}", whoami::username())
}

/// Refuses an action where this transport was not started to take them
/// (`serve` without `--allow-actions`).
pub(crate) fn actions_allowed(api: &Api) -> Result<(), ApiError> {
    if api.settings().allow_actions {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ActionsNotAllowed,
        "actions against production are off in this browser session: `readyroom serve` was started without --allow-actions. Use the desktop app or the CLI, or restart serve with --allow-actions",
    ))
}

/// Refuses an action whose confirmation is not the environment's name,
/// typed, or that has no reason.
pub(crate) fn confirmed(environment: &str, confirm: &str, reason: &str) -> Result<(), ApiError> {
    if reason.trim().is_empty() {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "a reason is required: say why, for the audit log",
        ));
    }
    if confirm != environment {
        return Err(ApiError::new(
            ErrorCode::NotConfirmed,
            format!("not confirmed: type the environment's name, {environment}, exactly; nothing was sent"),
        ));
    }
    Ok(())
}

/// An action about to be sent.
pub(crate) struct Intent<'a> {
    pub environment: &'a str,
    pub action: &'a str,
    pub target: String,
    pub reason: &'a str,
    /// A rollback's facts (provider, from, to, dry run).
    pub deploy: Option<DeployFacts>,
}

/// Writes the intent (synced to disk) and returns it: nothing may be sent
/// to production unless this succeeded.
pub(crate) async fn write_intent(api: &Api, intent: Intent<'_>) -> Result<Entry, ApiError> {
    let entry = NewEntry {
        id: audit::new_id(rand::random()),
        at: api.now(),
        environment: intent.environment.to_string(),
        operator: operator(),
        action: intent.action.to_string(),
        phase: Phase::Intent,
        intent: None,
        target: intent.target,
        reason: intent.reason.trim().to_string(),
        result: None,
        detail: String::new(),
        deploy: intent.deploy,
    };
    let store = api.store().await?;
    store.append_audit(&entry).await.map_err(|e| {
        ApiError::new(
            ErrorCode::StoreFailed,
            format!("the audit log could not be written, so nothing was sent to production: {e}"),
        )
    })
}

/// Writes the outcome of `intent`.
pub(crate) async fn write_outcome(
    api: &Api,
    intent: &Entry,
    result: ActionResult,
    detail: &str,
) -> Result<Entry, ApiError> {
    write_after(api, intent, Phase::Outcome, Some(result), detail, None).await
}

/// Writes an entry that follows `intent` (its outcome, or a rollback's
/// verification), with the rollback's facts as they stand now (`deploy`;
/// the intent's when `None`).
pub(crate) async fn write_after(
    api: &Api,
    intent: &Entry,
    phase: Phase,
    result: Option<ActionResult>,
    detail: &str,
    deploy: Option<DeployFacts>,
) -> Result<Entry, ApiError> {
    let entry = NewEntry {
        id: audit::new_id(rand::random()),
        at: api.now(),
        phase,
        intent: Some(intent.entry.id.clone()),
        result,
        detail: detail.to_string(),
        operator: operator(),
        deploy: deploy.or_else(|| intent.entry.deploy.clone()),
        ..intent.entry.clone()
    };
    api.store()
        .await?
        .append_audit(&entry)
        .await
        .map_err(ApiError::from)
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditRequest {
    /// Only this environment's entries (the chain is verified whole).
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
}

/// One entry, with whether its outcome was ever recorded.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditRow {
    #[serde(flatten)]
    pub entry: Entry,
    /// An intent with no outcome: Readyroom stopped between the two, and
    /// nobody knows what production did.
    pub outcome_unknown: bool,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    /// Newest first.
    pub entries: Vec<AuditRow>,
    /// How many entries the whole log holds.
    pub total: u32,
    /// Where the chain breaks, if it does: the log was tampered with or
    /// damaged at that entry.
    #[ts(optional)]
    pub broken: Option<Broken>,
}

pub(crate) async fn get_audit_log(api: &Api, r: AuditRequest) -> Result<AuditView, ApiError> {
    let read = api.store().await?.audit_log().await?;
    let broken = read.verdict().err();
    let unknown: std::collections::HashSet<i64> = audit::unanswered(&read.entries)
        .iter()
        .map(|e| e.seq)
        .collect();
    let total = (read.entries.len() + read.unreadable.len()) as u32;
    let entries = read
        .entries
        .into_iter()
        .rev()
        .filter(|e| {
            r.environment
                .as_deref()
                .is_none_or(|env| e.entry.environment == env)
        })
        .map(|entry| AuditRow {
            outcome_unknown: unknown.contains(&entry.seq),
            entry,
        })
        .collect();
    Ok(AuditView {
        entries,
        total,
        broken,
    })
}
