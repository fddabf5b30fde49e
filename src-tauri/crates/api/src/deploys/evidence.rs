//! The rollback checks' sources in a scorecard run: the deploy provider,
//! asked whether it could roll production back now (a read: the list, and
//! the plan over it), and the local audit log, for the last rehearsal.

use readyroom_core::config::Environment;
use readyroom_core::deploys::evidence::{
    last_drill, RollbackDrills, RollbackReadiness, DEPLOYS, ROLLBACK_AUDIT,
};
use readyroom_core::deploys::{self, Direction};
use readyroom_core::evidence::{InputId, Missing};
use readyroom_sources::deploy::deployer;
use readyroom_sources::{BoxFuture, Findings, RunContext, SecretRef, Source};
use readyroom_store::Store;

use super::provider::secret_refs;

pub struct DeploysSource {
    /// For the health seen per deployment: a target seen mostly unhealthy
    /// is not "a previous healthy deployment" (RUBRIC.md).
    pub store: Store,
}

impl Source for DeploysSource {
    fn label(&self) -> &'static str {
        "deploys"
    }

    fn provides(&self) -> &'static [InputId] {
        &[DEPLOYS.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.deploy.is_some()
    }

    fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        env.deploy.as_ref().map(secret_refs).unwrap_or_default()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let at = ctx.earlier.gathered_at;
            let provider = ctx
                .env
                .deploy
                .as_ref()
                .map(|d| d.provider.name().to_string())
                .unwrap_or_default();
            let mut readiness = RollbackReadiness {
                provider,
                at,
                problem: None,
                target: None,
                no_target: None,
            };
            let mut findings = Findings::new(ctx);
            let opened = match deployer(ctx.env, ctx.secrets, ctx.extra_roots) {
                Ok(Some(d)) => d,
                Ok(None) => return findings,
                Err(e) => {
                    readiness.problem = Some(e.to_string());
                    findings.set(&DEPLOYS, Ok(readiness));
                    return findings.seen("deploy provider", Err(e.to_string()));
                }
            };
            let traits = opened.traits();
            readiness.provider = traits.name.clone();
            let listing = if traits.lists {
                match opened.list().await {
                    Ok(l) => Some(l),
                    Err(e) => {
                        readiness.problem = Some(e.to_string());
                        findings.set(&DEPLOYS, Ok(readiness));
                        return findings.seen(traits.name.clone(), Err(e.to_string()));
                    }
                }
            } else {
                None
            };
            let seen = super::seen_in(&self.store, ctx.environment, listing.as_ref()).await;
            match deploys::plan(listing.as_ref(), &traits, None, Direction::Back, &seen) {
                Ok(plan) => readiness.target = Some(plan.summary()),
                Err(refusal) => readiness.no_target = Some(refusal.to_string()),
            }
            findings.set(&DEPLOYS, Ok(readiness));
            findings.seen(traits.name, Ok(()))
        })
    }
}

pub struct RollbackAuditSource {
    pub store: Store,
}

impl Source for RollbackAuditSource {
    fn label(&self) -> &'static str {
        "rollback audit"
    }

    fn provides(&self) -> &'static [InputId] {
        &[ROLLBACK_AUDIT.id]
    }

    fn configured(&self, env: &Environment) -> bool {
        env.deploy.is_some()
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let at = ctx.earlier.gathered_at;
            let mut findings = Findings::new(ctx);
            let gathered = match self.store.audit_log().await {
                Ok(read) => Ok(RollbackDrills {
                    last: last_drill(&read.entries, ctx.environment),
                    at,
                }),
                Err(e) => Err(Missing::Unavailable {
                    source: "Readyroom's audit log".into(),
                    reason: e.to_string(),
                    at,
                }),
            };
            findings.set(&ROLLBACK_AUDIT, gathered);
            findings
        })
    }
}
