//! The quotas area: per tier and per workspace, who is near or over a plan
//! limit, who will run out before the window resets, from the operator's
//! own usage data (PostgreSQL or the app's usage endpoint).

pub(crate) mod read;
pub(crate) mod service;
pub(crate) mod trend;
mod wire;

pub use service::QuotaSampler;
pub use wire::{
    PlanView, QuotaProblem, QuotaRequest, QuotaTrendRequest, QuotaTrendView, QuotaView,
};

use std::time::Duration;

use readyroom_core::quota::ListRequest;

use crate::{context, Api, ApiError};

/// Workspaces a list holds unless asked otherwise, and at most.
const DEFAULT_CAP: u32 = 50;
const MAX_CAP: u32 = 1_000;

/// The environment's quota usage, read now.
pub(crate) async fn get_quota(api: &Api, r: QuotaRequest) -> Result<QuotaView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
    let plans = config.quota.plans();
    let plan_views = plans
        .tiers()
        .map(|(tier, limits)| PlanView {
            tier: tier.to_string(),
            limits: limits.clone(),
            ai_price: plans.prices().of(tier),
            configured: config
                .quota
                .tiers
                .keys()
                .any(|t| t.eq_ignore_ascii_case(tier)),
        })
        .collect();
    let request = ListRequest {
        tier: r.tier.clone().filter(|t| !t.trim().is_empty()),
        cap: r.cap.unwrap_or(DEFAULT_CAP).clamp(1, MAX_CAP),
    };
    let mut view = QuotaView {
        environment: name.to_string(),
        configured: env.quota.is_some(),
        source: None,
        reading: None,
        problem: None,
        plans: plan_views,
        tier: request.tier.clone(),
        cap: request.cap,
    };
    let Some(quota) = env.quota.as_ref() else {
        return Ok(view);
    };
    let timeout = Duration::from_millis(env.probe_timeout_ms(&config.settings));
    let (source, result) = read::read(api, name, env, quota, &plans, &request, timeout).await?;
    let (reading, problem) = read::remember(api, name, &request, result);
    view.source = Some(source);
    view.reading = reading;
    view.problem = problem;
    Ok(view)
}
