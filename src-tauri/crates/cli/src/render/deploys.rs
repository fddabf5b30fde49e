use readyroom_api::deploys::{DeploysView, Preflight, RollbackOutcome};
use readyroom_core::audit::ActionResult;
use readyroom_core::deploys::{short, DeployState, Deployment, Direction, Plan, SeenHealth};
use readyroom_core::format::printable;
use time::OffsetDateTime;

use super::{cell, json, table, when};
use crate::args::Format;

/// How long ago, in the largest whole unit.
fn age(at: OffsetDateTime) -> String {
    let secs = (OffsetDateTime::now_utc() - at).whole_seconds().max(0);
    match secs {
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3_600),
        s => format!("{} d", s / 86_400),
    }
}

fn plan_lines(plan: &Plan) -> String {
    let mut out = format!("  {}\n", printable(&plan.summary()));
    let past: Vec<String> = plan.passed_over().map(Deployment::describe).collect();
    if !past.is_empty() {
        out.push_str(&format!("  passed over: {}\n", printable(&past.join(", "))));
    }
    for w in &plan.warnings {
        out.push_str(&format!("  warning: {}\n", printable(w)));
    }
    if let Some(after) = plan
        .after
        .as_deref()
        .filter(|_| plan.direction == Direction::Back)
    {
        out.push_str(&format!("  after: {}\n", printable(after)));
    }
    out
}

/// The health Readyroom saw while a deployment's release answered:
/// "9/10 healthy", or "—" where no stored sample names it.
fn seen_words(seen: Option<&SeenHealth>) -> String {
    match seen {
        None => "—".into(),
        Some(h) if h.mostly_unhealthy() => {
            format!("{}/{} healthy (mostly not)", h.healthy, h.samples)
        }
        Some(h) => format!("{}/{} healthy", h.healthy, h.samples),
    }
}

pub fn deploys(view: &DeploysView, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    let name = printable(&view.environment);
    if !view.configured {
        return format!("{name} has no deploy provider: add [environments.{name}.deploy] (provider = \"vercel\" | \"webhook\" | \"command\" | \"demo\", and what it needs; see the README's Configuration).\n");
    }
    let mut out = String::new();
    if let Some(p) = &view.problem {
        out.push_str(&format!("Deploys of {name}: {}\n", printable(&p.message)));
    }
    for line in &view.reconciled {
        out.push_str(&format!(
            "Reconciled an interrupted rollback: {}\n",
            printable(line)
        ));
    }
    if let Some(listing) = &view.listing {
        let current = listing.current.as_deref();
        let next = view
            .next
            .as_ref()
            .and_then(|p| p.to.as_ref())
            .map(|d| d.id.as_str());
        let mut t = table(
            format,
            &[
                "",
                "deployment",
                "version",
                "commit",
                "message",
                "author",
                "age",
                "state",
                "health seen",
            ],
        );
        for d in &listing.deployments {
            let mark = if Some(d.id.as_str()) == current {
                "current"
            } else if Some(d.id.as_str()) == next {
                "rollback →"
            } else {
                ""
            };
            let state = match (&d.state, d.rollback_candidate) {
                (DeployState::Ready, Some(false)) => "ready · not a rollback candidate".into(),
                (state, _) => state.label().to_string(),
            };
            t.add_row(vec![
                mark.to_string(),
                cell(&d.id, format),
                cell(d.version.as_deref().unwrap_or("—"), format),
                cell(d.commit.as_deref().map(short).unwrap_or("—"), format),
                cell(d.message.as_deref().unwrap_or(""), format),
                cell(d.author.as_deref().unwrap_or(""), format),
                age(d.created_at),
                cell(&state, format),
                seen_words(view.seen.get(&d.id)),
            ]);
        }
        out.push_str(&format!("Production deployments of {name}:\n{t}\n"));
        if listing.truncated {
            out.push_str("(the provider has more; older ones are not shown)\n");
        }
        for note in &listing.notes {
            out.push_str(&format!("Note: {}\n", printable(note)));
        }
    }
    match (&view.next, &view.why_not) {
        (Some(plan), _) => out.push_str(&format!(
            "Roll back now (`readyroom rollback --env {name} --reason …`):\n{}",
            plan_lines(plan)
        )),
        (None, Some(why)) if view.problem.is_none() => {
            out.push_str(&format!("No rollback now: {}\n", printable(why)))
        }
        _ => {}
    }
    if let Some(u) = &view.undo {
        out.push_str(&format!(
            "Undo available (`readyroom rollback --undo …`): back to {} (it left it in audit entry {}).\n",
            printable(&u.to),
            u.rollback_seq
        ));
    }
    if let Some(why) = &view.actions.why_not {
        out.push_str(&format!("Actions: {}\n", printable(why)));
    }
    out
}

/// The pre-flight, for the operator to read before confirming.
pub fn preflight(p: &Preflight) -> String {
    let mut out = format!(
        "Pre-flight of {} in {}:\n",
        if p.direction == Direction::Forward {
            "an undo"
        } else {
            "a rollback"
        },
        printable(&p.environment)
    );
    for s in &p.steps {
        out.push_str(&format!(
            "  {} {}: {}\n",
            if s.ok { "✓" } else { "✗" },
            s.name,
            printable(&s.detail)
        ));
    }
    if let Some(plan) = &p.plan {
        out.push_str("What changes:\n");
        out.push_str(&plan_lines(plan));
    }
    out
}

/// The outcome: what happened, whether production is healthy, where the
/// audit log has it. `with_preflight` adds the pre-flight (a script that
/// confirmed with --confirm saw none).
pub fn rollback(o: &RollbackOutcome, with_preflight: bool) -> String {
    let mut out = if with_preflight {
        preflight(&o.preflight)
    } else {
        String::new()
    };
    if let Some(v) = &o.verification {
        if !v.polls.is_empty() {
            out.push_str("Health after:\n");
            for poll in &v.polls {
                out.push_str(&format!(
                    "  {} (+{:.1} s) {}\n",
                    when(poll.at),
                    poll.after_ms as f64 / 1000.0,
                    printable(&poll.verdict.words())
                ));
            }
        }
    }
    let head = match o.result {
        Some(ActionResult::Done) => "Done",
        Some(ActionResult::DryRun) => "Dry run",
        Some(ActionResult::NotDone) => "Not done",
        None => "OUTCOME UNKNOWN",
    };
    out.push_str(&format!(
        "{head}: {}\n(audit log entries {}–{}; `readyroom audit` lists them)\n",
        printable(&o.message),
        o.intent_seq,
        o.audit_seq
    ));
    out
}
