//! The summary per tier in one `GROUP BY`: workspaces, the current
//! windows' totals, and per limit how many workspaces are near or over.

use readyroom_core::quota::summary::{LimitCounts, TierSummary, WindowTotals};
use readyroom_core::quota::{Limit, Plans, Window};
use sqlx::Row;
use time::OffsetDateTime;

use super::{each_limit, limit_columns, limits_json, usage_cte, PgConnection, UsageFrom};

/// The summary query over `from`: per tier, its workspaces (any window),
/// the current windows' totals, and per limit how many workspaces are near
/// (`used > 0 AND used * 5 >= limit * 4 AND used <= limit`) or over
/// (`used > limit`). Windows whose start is past their length count
/// nothing now.
fn summary_sql(from: &UsageFrom) -> String {
    let per_ws_sums = each_limit(|l, used, _| {
        format!(
            "sum({col}) FILTER (WHERE w = '{window}') AS {used}",
            col = l.column(),
            window = l.window().as_str()
        )
    })
    .join(",\n");
    let limit_cols = limit_columns();
    // In numeric: `used * 5` must not overflow a bigint.
    let bands = each_limit(|_, used, lim| {
        format!(
            "count(*) FILTER (WHERE {used} > 0 AND {used}::numeric * 5 >= {lim}::numeric * 4 AND {used} <= {lim}),\n\
             count(*) FILTER (WHERE {used} > {lim})"
        )
    })
    .join(",\n");
    let totals = Window::ALL
        .into_iter()
        .map(|w| {
            let w = w.as_str();
            format!(
                "coalesce(sum(requests) FILTER (WHERE w = '{w}'), 0)::bigint, \
                 coalesce(sum(ai_calls) FILTER (WHERE w = '{w}'), 0)::bigint, \
                 coalesce(sum(ai_tokens) FILTER (WHERE w = '{w}'), 0)::bigint, \
                 coalesce(sum(throttled) FILTER (WHERE w = '{w}'), 0)::bigint"
            )
        })
        .collect::<Vec<_>>()
        .join(",\n");
    format!(
        "WITH {usage},
        current AS (SELECT * FROM usage WHERE cur),
        tiers AS (SELECT tier, count(DISTINCT workspace_id) AS workspaces FROM usage GROUP BY tier),
        totals AS (SELECT tier, {totals} FROM current GROUP BY tier),
        per_ws AS (SELECT tier, workspace_id, {per_ws_sums} FROM current GROUP BY tier, workspace_id),
        banded AS (
            SELECT per_ws.*, {limit_cols}
            FROM per_ws LEFT JOIN jsonb_each($1::jsonb) AS lim ON lim.key = per_ws.tier),
        bands AS (SELECT tier, {bands} FROM banded GROUP BY tier)
        SELECT tiers.tier, tiers.workspaces, totals.*, bands.*
        FROM tiers LEFT JOIN totals USING (tier) LEFT JOIN bands USING (tier)",
        usage = usage_cte(from),
    )
}

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
        // tier, workspaces, (tier, 12 totals), (tier, 10 band counts), now
        let int = |i: usize| -> Result<i64, sqlx::Error> {
            Ok(row.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
        };
        let mut windows = Vec::new();
        for (k, w) in Window::ALL.into_iter().enumerate() {
            let at = 3 + k * 4;
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
            let at = 16 + k * 2;
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
