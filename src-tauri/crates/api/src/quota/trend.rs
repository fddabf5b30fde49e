//! `get_quota_trend`: the quota sampler's snapshots over the last days,
//! from the local store (never a read of production): who was throttled
//! on which day, each tier's 429s per day.

use readyroom_core::quota::trend::trend;
use time::{Date, UtcOffset};

use super::wire::{QuotaTrendRequest, QuotaTrendView};
use crate::{context, Api, ApiError};

/// Days the trend covers unless asked otherwise, and at most.
const DEFAULT_DAYS: u32 = 7;
const MAX_DAYS: u32 = 90;

pub(crate) async fn get_quota_trend(
    api: &Api,
    r: QuotaTrendRequest,
) -> Result<QuotaTrendView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
    let count = r.days.unwrap_or(DEFAULT_DAYS).clamp(1, MAX_DAYS);
    let today = api.now().to_offset(UtcOffset::UTC).date();
    // Oldest first, today last.
    let days: Vec<Date> = (0..count)
        .rev()
        .filter_map(|back| today.checked_sub(time::Duration::days(i64::from(back))))
        .collect();
    let from = days.first().copied().unwrap_or(today);
    let store = api.store().await?;
    let history = store.quota_history(name, from, today).await?;
    Ok(QuotaTrendView {
        environment: name.to_string(),
        configured: env.quota.is_some(),
        sampling: api.running_services().contains(&super::service::NAME),
        every_ms: config.settings.quota.every_ms,
        trend: trend(
            &days,
            &history.workspaces,
            &history.day_ends,
            history.snapshots,
            history.failures,
        ),
        skipped: history.skipped,
    })
}
