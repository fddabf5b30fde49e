use readyroom_api::audit::AuditView;
use readyroom_core::audit::{ActionResult, Phase};

use super::{cell, json, table, when};
use crate::args::Format;

/// The chain's verdict in one line.
pub fn audit_verdict(view: &AuditView) -> String {
    match &view.broken {
        None => format!(
            "Audit log: {} entries, chain verified.\n",
            view.total
        ),
        Some(b) => format!(
            "AUDIT LOG TAMPERED OR DAMAGED at entry {}: {}. Entries from there on cannot be trusted.\n",
            b.seq, b.reason
        ),
    }
}

pub fn audit(view: &AuditView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    if view.entries.is_empty() {
        return format!(
            "{}No actions recorded{}.\n",
            audit_verdict(view),
            if view.total > 0 {
                " for this environment"
            } else {
                ""
            }
        );
    }
    let mut t = table(
        format,
        &[
            "#",
            "at",
            "environment",
            "operator",
            "action",
            "phase",
            "target",
            "reason / outcome",
        ],
    );
    for row in &view.entries {
        let e = &row.entry.entry;
        let reconciled = e.deploy.as_ref().is_some_and(|d| d.reconciled);
        let phase = match (e.phase, e.result) {
            (Phase::Intent, _) if row.outcome_unknown => "intent · OUTCOME UNKNOWN".to_string(),
            (Phase::Intent, _) => "intent".to_string(),
            (Phase::Outcome, result) => {
                let word = match result {
                    Some(ActionResult::Done) => "done",
                    Some(ActionResult::DryRun) => "dry run",
                    _ => "not done",
                };
                if reconciled {
                    format!("{word} (reconciled)")
                } else {
                    word.to_string()
                }
            }
            (Phase::Verification, _) => match e.deploy.as_ref().and_then(|d| d.healthy) {
                Some(true) => "verified healthy".to_string(),
                Some(false) => "verified: NOT HEALTHY".to_string(),
                None => "not verified".to_string(),
            },
        };
        let said = match e.phase {
            Phase::Intent => &e.reason,
            Phase::Outcome | Phase::Verification => &e.detail,
        };
        t.add_row(vec![
            row.entry.seq.to_string(),
            when(e.at),
            cell(&e.environment, format),
            cell(&e.operator, format),
            cell(&e.action, format),
            phase,
            cell(&e.target, format),
            cell(said, format),
        ]);
    }
    format!("{}{t}\n", audit_verdict(view))
}
