//! The quota data contract in PostgreSQL: a relation the operator's app
//! provides (or a custom read-only query) with one row per workspace and
//! window. Readyroom never pulls every row: the summary per tier
//! ([`summary`]) and the lists of workspaces ([`lists`]) are each one
//! statement, with the plans' limits sent as a JSON parameter and the
//! near/over bands computed there with the same integer comparisons as
//! `readyroom_core::quota::bands`. Before that, the relation's columns are
//! checked by name and type, so a wrong one is named with the type
//! expected rather than failing somewhere in the aggregate. All of it runs
//! in one read-only transaction under `statement_timeout` ([`read_over`]).

mod lists;
mod summary;

use std::collections::BTreeMap;
use std::time::Duration;

use readyroom_core::quota::{AiCost, Limit, ListRequest, Plans, QuotaReading};
use sqlx::{Column, Executor, TypeInfo};

use crate::postgres::{describe, read_only, PgConnection, PgFailure};

pub use lists::lists;
pub use summary::summary;

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

/// One reading over `conn` in one read-only transaction (one `now()` for
/// every window): the contract checked, the summary, the lists; the whole
/// of it bounded by `statement_timeout + grace`.
pub async fn read_over(
    conn: &mut PgConnection,
    source: &str,
    from: &UsageFrom,
    plans: &Plans,
    request: &ListRequest,
    statement_timeout: Duration,
    grace: Duration,
) -> Result<QuotaReading, PgFailure> {
    let fail = |reason: String| PgFailure {
        source: source.to_string(),
        reason,
    };
    let read = async {
        let mut tx = read_only(conn, statement_timeout)
            .await
            .map_err(|e| fail(describe(&e, source)))?;
        check_columns(&mut tx, from).await.map_err(fail)?;
        let (tiers, at) = summary(&mut tx, from, plans)
            .await
            .map_err(|e| fail(describe(&e, source)))?;
        let lists = lists(&mut tx, from, plans, request, at)
            .await
            .map_err(|e| fail(describe(&e, source)))?;
        // Nothing was written; the end of a read-only transaction.
        let _ = tx.rollback().await;
        Ok(QuotaReading {
            at,
            ai_cost: AiCost::of(&tiers, plans.prices()),
            tiers,
            lists,
        })
    };
    let budget = statement_timeout + grace;
    tokio::time::timeout(budget, read)
        .await
        .unwrap_or_else(|_| {
            Err(fail(format!(
                "{source} did not answer the quota read within {} ms",
                budget.as_millis()
            )))
        })
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
fn each_limit(f: impl Fn(Limit, &str, &str) -> String) -> Vec<String> {
    Limit::ALL
        .into_iter()
        .map(|l| {
            let used = format!("u_{}", l.key());
            let lim = format!("l_{}", l.key());
            f(l, &used, &lim)
        })
        .collect()
}

/// `lims`: each planned tier (lowercase) with its limits as columns
/// (`l_KEY`), from the plans sent as `$1`: read out of the JSON once per
/// tier, then joined to the workspaces by `tier`.
fn lims_cte() -> String {
    let columns =
        each_limit(|l, _, lim| format!("(value ->> '{key}')::bigint AS {lim}", key = l.key()))
            .join(", ");
    format!("lims AS (SELECT key AS tier, {columns} FROM jsonb_each($1::jsonb))")
}

/// The contract's rows from `from`, normalised (tier and window in
/// lowercase, counts as bigint), each with `cur`: whether its window is
/// the current one at the transaction's `now()`. A window whose start is
/// past its length counts nothing now.
///
/// Each `OFFSET 0` keeps its subquery from being folded into the query
/// above it: folded, every `FILTER (WHERE cur AND w = …)` of the
/// aggregates would recompute `lower(btrim(…))` and the window arithmetic
/// for each row; fenced, they are computed once per row (measured: the
/// lists' statement in half the time, `benches/quota_summary.rs`).
fn usage_cte(from: &UsageFrom) -> String {
    format!(
        "usage AS (
            SELECT workspace_id, workspace_name, tier, w, window_start,
                   requests, ai_calls, ai_tokens, throttled,
                   window_start <= now() AND now() < window_start + CASE w
                       WHEN 'minute' THEN interval '1 minute'
                       WHEN 'hour' THEN interval '1 hour'
                       WHEN 'day' THEN interval '1 day' END AS cur
            FROM (SELECT workspace_id::text AS workspace_id, workspace_name::text AS workspace_name,
                         lower(btrim(tier::text)) AS tier, lower(btrim(\"window\"::text)) AS w,
                         window_start::timestamptz AS window_start,
                         requests::bigint AS requests, ai_calls::bigint AS ai_calls,
                         ai_tokens::bigint AS ai_tokens, throttled::bigint AS throttled
                  FROM {from} OFFSET 0) AS contract
            OFFSET 0)",
        from = from.sql()
    )
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
