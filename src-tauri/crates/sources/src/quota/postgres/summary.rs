//! The summary per tier in one `GROUP BY`: workspaces, the current
//! windows' totals, and per limit how many workspaces are near or over.

use readyroom_core::quota::summary::{LimitCounts, TierSummary, WindowTotals};
use readyroom_core::quota::{Limit, Plans, Window};
use sqlx::Row;
use time::OffsetDateTime;

use super::{each_limit, limits_json, lims_cte, usage_cte, PgConnection, UsageFrom};

/// The summary query over `from`: per tier, its workspaces (any window),
/// the current windows' totals, and per limit how many workspaces are near
/// (`used > 0 AND used * 5 >= limit * 4 AND used <= limit`) or over
/// (`used > limit`). Windows whose start is past their length count
/// nothing now.
///
/// One pass over the rows: each workspace's current sums per window
/// (grouped by tier and workspace, so a workspace counts once in each tier
/// its rows name), then per tier the sum of those and the bands. (The
/// totals are sums of sums; the workspaces, the groups.)
fn summary_sql(from: &UsageFrom) -> String {
    // Per workspace: every window's four counts (`COUNTS`), named
    // `{count}_{window}`.
    let per_ws_sums = Window::ALL
        .into_iter()
        .flat_map(|w| {
            COUNTS.into_iter().map(move |c| {
                format!(
                    "sum({c}) FILTER (WHERE cur AND w = '{w}') AS {c}_{w}",
                    w = w.as_str()
                )
            })
        })
        .collect::<Vec<_>>()
        .join(",\n");
    let totals = Window::ALL
        .into_iter()
        .flat_map(|w| {
            COUNTS
                .into_iter()
                .map(move |c| format!("coalesce(sum({c}_{w}), 0)::bigint", w = w.as_str()))
        })
        .collect::<Vec<_>>()
        .join(",\n");
    // In numeric: `used * 5` must not overflow a bigint.
    let bands = each_limit(|l, _, lim| {
        let used = format!("{}_{}", l.column(), l.window().as_str());
        format!(
            "count(*) FILTER (WHERE {used} > 0 AND {used}::numeric * 5 >= {lim}::numeric * 4 AND {used} <= {lim}),\n\
             count(*) FILTER (WHERE {used} > {lim})"
        )
    })
    .join(",\n");
    format!(
        "WITH {usage},
        per_ws AS (SELECT tier, workspace_id, {per_ws_sums} FROM usage GROUP BY tier, workspace_id),
        {lims}
        SELECT tier, count(*) AS workspaces, {totals}, {bands}
        FROM per_ws LEFT JOIN lims USING (tier) GROUP BY tier",
        usage = usage_cte(from),
        lims = lims_cte(),
    )
}

/// The contract's counts, in the order the totals are read.
const COUNTS: [&str; 4] = ["requests", "ai_calls", "ai_tokens", "throttled"];

/// The summary per tier, computed by the server, and the server's `now()`
/// it was computed at.
pub async fn summary(
    conn: &mut PgConnection,
    from: &UsageFrom,
    plans: &Plans,
) -> Result<(Vec<TierSummary>, OffsetDateTime), sqlx::Error> {
    let rows = sqlx::query(&summary_sql(from))
        .bind(limits_json(plans))
        .fetch_all(&mut *conn)
        .await?;
    // The transaction's `now()`, whether or not there is any usage.
    let now: OffsetDateTime = sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let tier: String = row.try_get(0)?;
        let tier = plans.name_of(&tier);
        // tier, workspaces, 12 totals (window by window: requests,
        // AI calls, AI tokens, throttled), 10 band counts (near, over).
        let int = |i: usize| -> Result<i64, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
        };
        let mut windows = Vec::new();
        for (k, w) in Window::ALL.into_iter().enumerate() {
            let at = 2 + k * 4;
            windows.push(WindowTotals {
                window: w,
                requests: int(at)?,
                ai_calls: int(at + 1)?,
                ai_tokens: int(at + 2)?,
                throttled: int(at + 3)?,
            });
        }
        let limits_of = plans.limits(&tier);
        let mut limits = Vec::new();
        for (k, limit) in Limit::ALL.into_iter().enumerate() {
            let at = 14 + k * 2;
            limits.push(LimitCounts {
                limit,
                value: limits_of.and_then(|l| l.get(limit)),
                near: int(at)? as u32,
                over: int(at + 1)? as u32,
            });
        }
        out.push(TierSummary {
            limited: limits_of.is_some_and(|l| !l.is_empty()),
            workspaces: int(1)? as u32,
            windows,
            limits,
            tier,
        });
    }
    out.sort_by(|a, b| (plans.order(&a.tier), &a.tier).cmp(&(plans.order(&b.tier), &b.tier)));
    Ok((out, now))
}
