//! A rollback, start to end: confirmation, pre-flight, the intent in the
//! audit log (synced) before anything is sent, one call to the provider
//! under its timeout, the outcome written the moment it is known, then
//! verification and its own entry. Whatever happens, the log says it: a
//! refusal, a dry run, an error, an answer lost (settled by reading the
//! provider again, or left "outcome unknown" for the next read).

use std::time::{Duration, Instant};

use readyroom_core::audit::{ActionResult, DeployFacts, Entry, Phase};
use readyroom_core::deploys::{reconcile::settle, Verification};
use readyroom_sources::deploy::{Action, DeployError, Deployer, Move};

use super::verify::{verify, Schedule};
use super::wire::{Preflight, RollbackOutcome, TriggerRollbackRequest};
use super::{preflight, reconcile};
use crate::audit::{self, write_after, Intent};
use crate::{context, Api, ApiError, ErrorCode, Event};

struct Flow<'a> {
    api: &'a Api,
    name: &'a str,
    intent: Entry,
    facts: DeployFacts,
    preflight: Preflight,
}

impl Flow<'_> {
    fn progress(&self, stage: &str, message: impl Into<String>) {
        progress(self.api, self.name, stage, message);
    }

    /// Writes an entry after the intent; a failure to write is said in the
    /// answer (the intent stays "outcome unknown"), not hidden.
    async fn record(
        &self,
        phase: Phase,
        result: Option<ActionResult>,
        detail: &str,
    ) -> Result<Entry, ApiError> {
        write_after(self.api, &self.intent, phase, result, detail, Some(self.facts.clone()))
            .await
            .map_err(|e| {
                ApiError::new(
                    ErrorCode::StoreFailed,
                    format!("{detail}. The audit log could not record it ({}); its intent (entry {}) stays as \"outcome unknown\" until the next read settles it", e.message, self.intent.seq),
                )
            })
    }

    fn outcome(
        self,
        result: Option<ActionResult>,
        message: String,
        verification: Option<Verification>,
        audit_seq: i64,
    ) -> RollbackOutcome {
        RollbackOutcome {
            environment: self.name.to_string(),
            result,
            message,
            provider_status: self.facts.provider_status,
            verification,
            intent_seq: self.intent.seq,
            audit_seq,
            preflight: self.preflight,
        }
    }
}

fn progress(api: &Api, name: &str, stage: &str, message: impl Into<String>) {
    api.emit(Event::RollbackProgress {
        environment: name.to_string(),
        stage: stage.to_string(),
        message: message.into(),
    });
}

pub(crate) async fn trigger_rollback(
    api: &Api,
    r: TriggerRollbackRequest,
) -> Result<RollbackOutcome, ApiError> {
    audit::actions_allowed(api)?;
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, Some(&r.environment))?;
    let Some(deploy) = env.deploy.as_ref() else {
        return Err(ApiError::new(
            ErrorCode::ActionDisabled,
            format!("{name} has no deploy provider: add [environments.{name}.deploy] to roll it back from here"),
        ));
    };
    audit::confirmed(name, &r.confirm, &r.reason)?;
    let store = api.store().await?;
    store.ready_to_write().await?;
    let log = store.audit_log().await?.entries;

    progress(
        api,
        name,
        "preflight",
        "checking the credential, the provider and the target",
    );
    let checked = preflight::check(api, name, env, r.target.as_deref(), r.undo, &log).await;
    reconcile::reconcile(api, name, &log, checked.listing.as_ref()).await;
    let plan = checked.preflight.plan.clone();
    let facts = DeployFacts {
        provider: checked
            .preflight
            .provider
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_else(|| deploy.provider.name().to_string()),
        from: plan
            .as_ref()
            .and_then(|p| p.from.as_ref())
            .map(|d| d.id.clone()),
        to: plan
            .as_ref()
            .and_then(|p| p.to.as_ref().map(|d| d.id.clone()).or(p.named.clone())),
        dry_run: r.dry_run,
        provider_status: None,
        verification: None,
        healthy: None,
        reconciled: false,
    };
    let kind = if r.undo { Move::Undo } else { Move::RollBack };
    let target = match (&plan, &r.target) {
        (Some(plan), _) => plan.summary(),
        (None, Some(id)) => format!("to {id}"),
        (None, None) if r.undo => "the last rollback, undone".into(),
        (None, None) => "to the previous healthy deployment".into(),
    };
    let intent = audit::write_intent(
        api,
        Intent {
            environment: name,
            action: kind.action(),
            target,
            reason: &r.reason,
            deploy: Some(facts.clone()),
        },
    )
    .await?;
    let mut flow = Flow {
        api,
        name,
        intent,
        facts,
        preflight: checked.preflight,
    };
    flow.progress("intent", format!("audit entry {} written", flow.intent.seq));

    let (Some(deployer), Some(plan), true) = (checked.deployer, plan, flow.preflight.ready) else {
        let why = flow
            .preflight
            .failure()
            .unwrap_or_else(|| "it did not finish".into());
        let message = format!("not sent: the pre-flight failed ({why}); production is unchanged");
        let entry = flow
            .record(Phase::Outcome, Some(ActionResult::NotDone), &message)
            .await?;
        return Ok(flow.outcome(Some(ActionResult::NotDone), message, None, entry.seq));
    };
    if r.dry_run {
        let message = format!(
            "the pre-flight passed ({}); nothing was sent",
            plan.summary()
        );
        let entry = flow
            .record(Phase::Outcome, Some(ActionResult::DryRun), &message)
            .await?;
        return Ok(flow.outcome(Some(ActionResult::DryRun), message, None, entry.seq));
    }

    flow.progress(
        "sending",
        format!(
            "asking {} to move production: {}",
            flow.facts.provider,
            plan.summary()
        ),
    );
    let timeout = Duration::from_millis(deploy.timeout_ms());
    let operator = audit::operator();
    let action = Action {
        kind,
        to: plan.to.as_ref(),
        named: plan.named.as_deref(),
        from: plan.from.as_ref(),
        reason: &r.reason,
        operator: &operator,
        environment: name,
    };
    let sent = tokio::time::timeout(timeout, deployer.send(action))
        .await
        .unwrap_or_else(|_| {
            Err(DeployError::Uncertain {
                detail: format!("no answer within {} s", timeout.as_secs_f64()),
            })
        });
    let accepted = Instant::now();
    let said = match sent {
        Ok(sent) => {
            flow.facts.provider_status = Some(sent.status);
            sent.detail
        }
        Err(e) if e.uncertain() => match settle_lost(&flow, deployer.as_ref(), &e).await {
            Some((ActionResult::Done, words)) => words,
            Some((result, words)) => {
                let entry = flow.record(Phase::Outcome, Some(result), &words).await?;
                return Ok(flow.outcome(Some(result), words, None, entry.seq));
            }
            None => {
                let message = format!("{e}. The provider could not be read again, so nobody knows yet: the audit log keeps this rollback as \"outcome unknown\" (entry {}) until the next read of {name}'s deployments settles it. Check the provider's dashboard now", flow.intent.seq);
                flow.progress("unknown", message.clone());
                let seq = flow.intent.seq;
                return Ok(flow.outcome(None, message, None, seq));
            }
        },
        Err(e) => {
            flow.facts.provider_status = e.status();
            // A refusal leaves production as it was; a job or command that
            // ran and failed may have moved part of it (its words say so).
            let message = if matches!(e, DeployError::Failed { .. }) {
                format!("not done: {e}")
            } else {
                format!("not done: {e}; production is unchanged")
            };
            flow.progress("refused", message.clone());
            let entry = flow
                .record(Phase::Outcome, Some(ActionResult::NotDone), &message)
                .await?;
            return Ok(flow.outcome(Some(ActionResult::NotDone), message, None, entry.seq));
        }
    };
    flow.progress("accepted", said.clone());
    flow.record(Phase::Outcome, Some(ActionResult::Done), &said)
        .await?;

    let verification = verify(
        api,
        name,
        env,
        plan.to.as_ref(),
        accepted,
        Schedule {
            every: Duration::from_millis(deploy.verify_every_ms()),
            deadline: Duration::from_millis(deploy.verify_timeout_ms()),
            timeout: Duration::from_millis(env.probe_timeout_ms(&config.settings)),
        },
    )
    .await;
    let sentence = verification.sentence();
    flow.facts.verification = Some(sentence.clone());
    flow.facts.healthy = verification.healthy();
    flow.progress("verified", sentence.clone());
    let entry = flow.record(Phase::Verification, None, &sentence).await?;
    let mut message = format!("{said}; {sentence}");
    if let Some(after) = plan.after.as_deref().filter(|_| kind == Move::RollBack) {
        message.push_str(&format!(". {after}"));
    }
    Ok(flow.outcome(
        Some(ActionResult::Done),
        message,
        Some(verification),
        entry.seq,
    ))
}

/// The provider's answer was lost: read it again (the one extra round
/// trip, taken only then) and settle what happened.
async fn settle_lost(
    flow: &Flow<'_>,
    deployer: &dyn Deployer,
    lost: &DeployError,
) -> Option<(ActionResult, String)> {
    flow.progress("uncertain", format!("{lost}"));
    if !deployer.traits().lists {
        return None;
    }
    let listing = deployer.list().await.ok()?;
    let (result, words) = settle(&flow.intent, listing.current.as_deref())?;
    Some((
        result,
        format!(
            "{lost}; read again: {}",
            words.trim_start_matches("reconciled: ")
        ),
    ))
}
