//! The lists (over, near, projected, throttled, heaviest, AI spenders)
//! picked in SQL: one
//! statement groups the current windows per workspace, flags each with the
//! same integer rules as `readyroom_core::quota` (bands; the projection's
//! `limit × elapsed < used × length`, exact in `numeric`), and returns each
//! list's first `cap` rows, heaviest first, with its total. Rust then only
//! dresses the few rows it got (band, projection time).

use readyroom_core::quota::lists::{ListRequest, Which, WorkspaceList};
use readyroom_core::quota::summary::{LimitUsage, WorkspaceUsage};
use readyroom_core::quota::{Limit, Plans};
use sqlx::Row;
use time::OffsetDateTime;

use super::{each_limit, limits_json, lims_cte, usage_cte, PgConnection, UsageFrom};

/// The statement: `$1` the limits, `$2` a tier or NULL, `$3` the cap,
/// `$4` each tier's price per million AI tokens, `$5` the price of any
/// other tier.
fn lists_sql(from: &UsageFrom) -> String {
    let sums = each_limit(|l, used, _| {
        format!(
            "sum({col}) FILTER (WHERE cur AND w = '{window}')::bigint AS {used}, \
             max(window_start) FILTER (WHERE cur AND w = '{window}' AND {col} IS NOT NULL) AS s_{key}",
            col = l.column(),
            window = l.window().as_str(),
            key = l.key(),
        )
    })
    .join(",\n");
    let over = each_limit(|_, used, lim| format!("coalesce({used} > {lim}, false)")).join(" OR ");
    let near = each_limit(|_, used, lim| {
        format!("coalesce({used} > 0 AND {used}::numeric * 5 >= {lim}::numeric * 4, false)")
    })
    .join(" OR ");
    let projected = each_limit(|l, used, lim| {
        format!(
            "coalesce({used} > 0 AND {used} <= {lim} AND now() - s_{key} >= interval '1 second' \
             AND {lim}::numeric * extract(epoch FROM now() - s_{key}) < {used}::numeric * {length}, false)",
            key = l.key(),
            length = l.window().length().whole_seconds(),
        )
    })
    .join(" OR ");
    let shares = each_limit(|_, used, lim| {
        format!(
            "CASE WHEN {lim} = 0 THEN CASE WHEN {used} > 0 THEN 'Infinity'::float8 ELSE 0 END \
             ELSE {used}::float8 / {lim} END"
        )
    })
    .join(", ");
    let list = |which: Which, filter: &str| {
        let order = match which {
            Which::Throttled => "throttled DESC",
            Which::Spenders => "ai_cost DESC",
            _ => "share DESC NULLS LAST",
        };
        format!(
            "(SELECT '{which}' AS which, f.*, count(*) OVER () AS total FROM flagged f WHERE {filter} \
             ORDER BY {order}, workspace_id COLLATE \"C\" LIMIT $3)",
            which = which.as_str()
        )
    };
    format!(
        "WITH {usage},
        per_ws AS (
            SELECT workspace_id, min(tier COLLATE \"C\") AS tier,
                   min(workspace_name COLLATE \"C\") AS workspace_name, {sums},
                   sum(throttled) FILTER (WHERE cur AND w = 'day')::bigint AS throttled
            FROM usage GROUP BY workspace_id),
        {lims},
        limited AS (SELECT * FROM per_ws LEFT JOIN lims USING (tier)),
        flagged AS MATERIALIZED (
            SELECT limited.*, ({over}) AS is_over, ({near}) AS is_near,
                   ({projected}) AS is_projected, greatest({shares}) AS share,
                   -- Prices::cost's operations in its order, so both sort alike.
                   u_ai_tokens_per_day::float8
                       * coalesce((($4::jsonb) ->> tier)::float8, $5::float8) / 1000000 AS ai_cost
            FROM limited WHERE $2::text IS NULL OR tier = lower(btrim($2::text)))
        {over_list} UNION ALL {near_list} UNION ALL {projected_list}
        UNION ALL {throttled_list} UNION ALL {any_list} UNION ALL {spenders_list}",
        usage = usage_cte(from),
        lims = lims_cte(),
        over_list = list(Which::Over, "is_over"),
        near_list = list(Which::Near, "is_near AND NOT is_over"),
        projected_list = list(Which::Projected, "is_projected"),
        throttled_list = list(Which::Throttled, "coalesce(throttled, 0) > 0"),
        any_list = list(Which::Any, "true"),
        spenders_list = list(Which::Spenders, "coalesce(ai_cost, 0) > 0"),
    )
}

/// Tier (lowercase) → price per million AI tokens, for every tier the
/// plans or the prices name.
fn prices_json(plans: &Plans) -> String {
    let prices = plans.prices().per_tier(plans.tiers().map(|(name, _)| name));
    serde_json::to_string(&prices).unwrap_or_else(|_| "{}".into())
}

/// The lists as `request` asks, seen at the server's `now`.
pub async fn lists(
    conn: &mut PgConnection,
    from: &UsageFrom,
    plans: &Plans,
    request: &ListRequest,
    now: OffsetDateTime,
) -> Result<Vec<WorkspaceList>, sqlx::Error> {
    let rows = sqlx::query(&lists_sql(from))
        .bind(limits_json(plans))
        .bind(request.tier.as_deref())
        .bind(i64::from(request.cap))
        .bind(prices_json(plans))
        .bind(plans.prices().default_price())
        .fetch_all(&mut *conn)
        .await?;
    let mut out: Vec<WorkspaceList> = Which::ALL
        .into_iter()
        .map(|which| WorkspaceList {
            which,
            total: 0,
            workspaces: Vec::new(),
        })
        .collect();
    for row in &rows {
        let which: String = row.try_get("which")?;
        let Some(list) = out.iter_mut().find(|l| l.which.as_str() == which) else {
            continue;
        };
        list.total = u32::try_from(row.try_get::<i64, _>("total")?).unwrap_or(u32::MAX);
        list.workspaces.push(workspace(row, plans, now)?);
    }
    Ok(out)
}

/// One returned row as the workspace's usage of every limit.
fn workspace(
    row: &sqlx::postgres::PgRow,
    plans: &Plans,
    now: OffsetDateTime,
) -> Result<WorkspaceUsage, sqlx::Error> {
    let tier = plans.name_of(&row.try_get::<String, _>("tier")?);
    let limits_of = plans.limits(&tier);
    let mut limits = Vec::with_capacity(Limit::ALL.len());
    for limit in Limit::ALL {
        let used: Option<i64> = row.try_get(format!("u_{}", limit.key()).as_str())?;
        let start: Option<OffsetDateTime> = row.try_get(format!("s_{}", limit.key()).as_str())?;
        let value = limits_of.and_then(|l| l.get(limit));
        limits.push(LimitUsage::of(limit, used, value, start, now));
    }
    Ok(WorkspaceUsage {
        workspace_id: row.try_get("workspace_id")?,
        workspace_name: row
            .try_get::<Option<String>, _>("workspace_name")?
            .unwrap_or_default(),
        throttled: row.try_get::<Option<i64>, _>("throttled")?.unwrap_or(0),
        ai_cost: row.try_get("ai_cost")?,
        limits,
        tier,
    })
}
