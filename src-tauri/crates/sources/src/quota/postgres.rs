//! The quota data contract in PostgreSQL: a relation the operator's app
//! provides (or a custom read-only query) with one row per workspace and
//! window. Readyroom never pulls every row: the summary per tier is one
//! `GROUP BY` in SQL, with the plans' limits sent as a JSON parameter and
//! the near/over bands computed there with the same integer comparisons
//! as `readyroom_core::quota::bands`. Before that, the relation's columns
//! are checked by name and type, so a wrong one is named with the type
//! expected rather than failing somewhere in the aggregate.

use std::collections::BTreeMap;

use readyroom_core::quota::summary::{LimitCounts, TierSummary, WindowTotals};
use readyroom_core::quota::{Limit, Plans, Window};
use sqlx::{Column, Executor, Row, TypeInfo};
use time::OffsetDateTime;

use super::super::postgres::PgConnection;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsageFrom {
    /// A relation (`readyroom_usage`, `billing.usage`), quoted here.
    Relation(String),
    /// A read-only query returning the contract's columns.
    Query(String),
}

/// The relation read when the config names none.
pub const DEFAULT_RELATION: &str = "readyroom_usage";

impl UsageFrom {
    /// The SQL to select from.
    fn sql(&self) -> String {
        match self {
            // Each part of `schema.name` quoted, so a name is only a name.
            UsageFrom::Relation(name) => name
                .split('.')
                .map(|part| format!("\"{}\"", part.trim().replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join("."),
            UsageFrom::Query(query) => {
                format!("({}) AS usage", query.trim().trim_end_matches(';'))
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            UsageFrom::Relation(name) => format!("the relation {name}"),
            UsageFrom::Query(_) => "the custom quota query".to_string(),
        }
    }
}

/// The contract's columns, the types each may have, and the type named
/// when it has another.
const COLUMNS: [(&str, &[&str], &str); 9] = [
    (
        "workspace_id",
        &["TEXT", "VARCHAR", "BPCHAR", "NAME", "UUID", "INT4", "INT8"],
        "text",
    ),
    (
        "workspace_name",
        &["TEXT", "VARCHAR", "BPCHAR", "NAME"],
        "text",
    ),
    ("tier", &["TEXT", "VARCHAR", "BPCHAR", "NAME"], "text"),
    (
        "window",
        &["TEXT", "VARCHAR", "BPCHAR", "NAME"],
        "text (minute, hour or day)",
    ),
    ("window_start", &["TIMESTAMPTZ", "TIMESTAMP"], "timestamptz"),
    ("requests", COUNT, "bigint"),
    ("ai_calls", COUNT, "bigint"),
    ("ai_tokens", COUNT, "bigint"),
    ("throttled", COUNT, "bigint"),
];
const COUNT: &[&str] = &["INT8", "INT4", "INT2"];

/// Checks `from`'s columns against the contract without running it: every
/// problem in one message, each column named with the type expected.
pub async fn check_columns(conn: &mut PgConnection, from: &UsageFrom) -> Result<(), String> {
    let described = conn
        .describe(&format!("SELECT * FROM {} LIMIT 0", from.sql()))
        .await
        .map_err(|e| match e.as_database_error() {
            Some(db) => format!("{} cannot be read: {}", from.describe(), db.message()),
            None => format!("{} cannot be read: {e}", from.describe()),
        })?;
    let found: BTreeMap<String, String> = described
        .columns()
        .iter()
        .map(|c| (c.name().to_string(), c.type_info().name().to_string()))
        .collect();
    let problems: Vec<String> = COLUMNS
        .iter()
        .filter_map(|(name, accepted, expected)| match found.get(*name) {
            None => Some(format!("column {name} is missing (expected {expected})")),
            Some(ty) if !accepted.contains(&ty.as_str()) => Some(format!(
                "column {name} is {} (expected {expected})",
                ty.to_lowercase()
            )),
            Some(_) => None,
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} does not follow the quota data contract: {}",
            from.describe(),
            problems.join("; ")
        ))
    }
}

/// The plans' limits as the summary query takes them: tier (lowercase) →
/// limit key → value.
fn limits_json(plans: &Plans) -> String {
    let tiers: BTreeMap<String, BTreeMap<&str, u64>> = plans
        .tiers()
        .map(|(name, limits)| {
            (
                name.to_lowercase(),
                Limit::ALL
                    .into_iter()
                    .filter_map(|l| limits.get(l).map(|v| (l.key(), v)))
                    .collect(),
            )
        })
        .collect();
    serde_json::to_string(&tiers).unwrap_or_else(|_| "{}".into())
}

/// One expression per limit: that workspace's current value (`used`) and
/// the tier's limit (`lim`), both named by the limit's key.
fn per_limit(f: impl Fn(Limit, &str, &str) -> String) -> String {
    Limit::ALL
        .into_iter()
        .map(|l| {
            let used = format!("u_{}", l.key());
            let lim = format!("l_{}", l.key());
            f(l, &used, &lim)
        })
        .collect::<Vec<_>>()
        .join(",\n")
}

/// The summary query over `from`: per tier, its workspaces (any window),
/// the current windows' totals, and per limit how many workspaces are near
/// (`used > 0 AND used * 5 >= limit * 4 AND used <= limit`) or over
/// (`used > limit`). Windows whose start is past their length count
/// nothing now.
fn summary_sql(from: &UsageFrom) -> String {
    let per_ws_sums = per_limit(|l, used, _| {
        format!(
            "sum({col}) FILTER (WHERE w = '{window}') AS {used}",
            col = l.column(),
            window = l.window().as_str()
        )
    });
    let limit_cols =
        per_limit(|_, _, lim| format!("(lim.value ->> '{key}')::bigint AS {lim}", key = &lim[2..]));
    let bands = per_limit(|_, used, lim| {
        format!(
            "count(*) FILTER (WHERE {used} > 0 AND {used} * 5 >= {lim} * 4 AND {used} <= {lim}),\n\
             count(*) FILTER (WHERE {used} > {lim})"
        )
    });
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
        "WITH usage AS (
            SELECT workspace_id::text AS workspace_id, lower(btrim(tier::text)) AS tier,
                   lower(btrim(\"window\"::text)) AS w, window_start::timestamptz AS window_start,
                   requests::bigint AS requests, ai_calls::bigint AS ai_calls,
                   ai_tokens::bigint AS ai_tokens, throttled::bigint AS throttled
            FROM {from}),
        current AS (
            SELECT * FROM usage
            WHERE window_start <= now() AND now() < window_start + CASE w
                WHEN 'minute' THEN interval '1 minute'
                WHEN 'hour' THEN interval '1 hour'
                WHEN 'day' THEN interval '1 day' END),
        tiers AS (SELECT tier, count(DISTINCT workspace_id) AS workspaces FROM usage GROUP BY tier),
        totals AS (SELECT tier, {totals} FROM current GROUP BY tier),
        per_ws AS (SELECT tier, workspace_id, {per_ws_sums} FROM current GROUP BY tier, workspace_id),
        banded AS (
            SELECT per_ws.*, {limit_cols}
            FROM per_ws LEFT JOIN jsonb_each($1::jsonb) AS lim ON lim.key = per_ws.tier),
        bands AS (SELECT tier, {bands} FROM banded GROUP BY tier)
        SELECT tiers.tier, tiers.workspaces, totals.*, bands.*, now() AS now
        FROM tiers LEFT JOIN totals USING (tier) LEFT JOIN bands USING (tier)",
        from = from.sql()
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
    let mut now = OffsetDateTime::now_utc();
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        now = row.try_get("now")?;
        let tier: String = row.try_get(0)?;
        let tier = plans
            .tiers()
            .find(|(name, _)| name.eq_ignore_ascii_case(&tier))
            .map_or(tier, |(name, _)| name.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relation_is_quoted_part_by_part_and_a_query_becomes_a_subquery() {
        assert_eq!(
            UsageFrom::Relation("billing.usage".into()).sql(),
            "\"billing\".\"usage\""
        );
        assert_eq!(
            UsageFrom::Relation("x\"; DROP TABLE t; --".into()).sql(),
            "\"x\"\"; DROP TABLE t; --\""
        );
        assert_eq!(
            UsageFrom::Query("SELECT * FROM u;".into()).sql(),
            "(SELECT * FROM u) AS usage"
        );
    }
}
