//! `readyroom quota`: per tier, its limits, the current windows' totals and
//! how many workspaces are near or over each limit; then the lists of
//! workspaces, each with its worst limit and, where it will run out before
//! the reset, when (a projection, with its basis).

use std::fmt::Write;

use readyroom_api::quota::QuotaView;
use readyroom_core::quota::cost::{DEFAULT_MODEL, DEFAULT_PRICE};
use readyroom_core::quota::{
    AiCost, Band, Limit, LimitUsage, TierSummary, Which, WorkspaceList, WorkspaceUsage,
};
use time::OffsetDateTime;

use readyroom_core::format::count;

use super::{cell, json, table, when};
use crate::args::Format;

pub fn quota(view: &QuotaView, near: bool, over: bool, format: Format) -> String {
    if format == Format::Json {
        return json(view);
    }
    let md = format == Format::Markdown;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}Quotas · {} · {}{}",
        if md { "## " } else { "" },
        cell(&view.environment, format),
        cell(view.source.as_deref().unwrap_or("no source"), format),
        view.reading
            .as_ref()
            .map(|r| format!(" · read at {}", when(r.at)))
            .unwrap_or_default()
    );
    if let Some(p) = &view.problem {
        let _ = writeln!(
            out,
            "failing since {}: {}{}",
            p.since,
            cell(&p.reason, format),
            if view.reading.is_some() {
                " (the last good reading follows)"
            } else {
                ""
            }
        );
    }
    let Some(reading) = &view.reading else {
        return out;
    };
    let heading = |out: &mut String, title: &str| {
        if md {
            let _ = writeln!(out, "\n### {title}\n");
        } else {
            let _ = writeln!(out, "\n{title}");
        }
    };
    if !near && !over {
        heading(&mut out, "Tiers");
        tiers(&mut out, &reading.tiers, format);
        heading(&mut out, "AI cost today");
        ai_cost(&mut out, &reading.ai_cost, format);
    }
    let wanted: Vec<Which> = match (near, over) {
        (true, false) => vec![Which::Near],
        (false, true) => vec![Which::Over],
        (true, true) => vec![Which::Over, Which::Near],
        (false, false) => vec![
            Which::Over,
            Which::Near,
            Which::Throttled,
            Which::Projected,
            Which::Spenders,
        ],
    };
    for which in wanted {
        let Some(list) = reading.lists.iter().find(|l| l.which == which) else {
            continue;
        };
        heading(&mut out, &list_title(list, view.tier.as_deref()));
        if which == Which::Spenders {
            spenders(&mut out, list, &reading.ai_cost.currency, format);
        } else {
            workspaces(&mut out, list, reading.at, format);
        }
    }
    out
}

fn list_title(list: &WorkspaceList, tier: Option<&str>) -> String {
    let what = match list.which {
        Which::Over => "Over a limit",
        Which::Near => "Near a limit (80 % or more)",
        Which::Projected => "Projected to run out before the window resets",
        Which::Throttled => "Throttled today (answered 429)",
        Which::Any => "Every workspace",
        Which::Spenders => "Top AI spenders today",
    };
    let tier = tier.map(|t| format!(", tier {t}")).unwrap_or_default();
    if list.workspaces.len() < list.total as usize {
        format!(
            "{what}{tier}: {} (the first {} shown)",
            list.total,
            list.workspaces.len()
        )
    } else {
        format!("{what}{tier}: {}", list.total)
    }
}

fn tiers(out: &mut String, tiers: &[TierSummary], format: Format) {
    if tiers.is_empty() {
        let _ = writeln!(out, "no usage rows");
        return;
    }
    let mut headers = vec!["tier", "workspaces"];
    headers.extend(Limit::ALL.iter().map(|l| l.label()));
    headers.push("throttled today");
    let mut t = table(format, &headers);
    for tier in tiers {
        let mut row = vec![cell(&tier.tier, format), count(tier.workspaces)];
        for counts in &tier.limits {
            let window = tier
                .windows
                .iter()
                .find(|w| w.window == counts.limit.window());
            let used = window.map_or(0, |w| match counts.limit {
                Limit::AiCallsPerDay => w.ai_calls,
                Limit::AiTokensPerDay => w.ai_tokens,
                _ => w.requests,
            });
            row.push(match counts.value {
                // The tier's total in the window; the limit is per
                // workspace; then how many workspaces are near and over.
                Some(limit) => format!(
                    "{} (limit {} each)\n{} near · {} over",
                    count(used),
                    count(limit),
                    counts.near,
                    counts.over
                ),
                None => format!("{} (no limit)", count(used)),
            });
        }
        let throttled = tier
            .windows
            .iter()
            .find(|w| w.window == readyroom_core::quota::Window::Day)
            .map_or(0, |w| w.throttled);
        row.push(count(throttled));
        t.add_row(row);
    }
    let _ = writeln!(out, "{t}");
    for tier in tiers.iter().filter(|t| !t.limited) {
        let _ = writeln!(
            out,
            "tier {} has no limits in the plans: its workspaces are listed, never counted as free; give it limits with [quota.tiers.{}]",
            cell(&tier.tier, format),
            cell(&tier.tier, format)
        );
    }
}

/// An amount: cents, or finer where it is less than a cent.
fn money(v: f64, currency: &str) -> String {
    if v > 0.0 && v < 0.01 {
        format!("{v:.4} {currency}")
    } else {
        format!("{v:.2} {currency}")
    }
}

fn ai_cost(out: &mut String, cost: &AiCost, format: Format) {
    if cost.tiers.is_empty() {
        let _ = writeln!(out, "no usage rows");
        return;
    }
    let mut t = table(
        format,
        &[
            "tier",
            "priced as",
            "per million tokens",
            "AI tokens today",
            "cost",
        ],
    );
    for tier in &cost.tiers {
        t.add_row(vec![
            cell(&tier.tier, format),
            cell(&tier.price.model, format),
            money(tier.price.per_million, &cost.currency),
            count(tier.tokens),
            money(tier.cost, &cost.currency),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let _ = writeln!(out, "total today: {}", money(cost.total, &cost.currency));
    if !cost.configured {
        let _ = writeln!(
            out,
            "priced at the default: every tier as model '{DEFAULT_MODEL}' at {} per million tokens; set [quota.ai_cost] with your models' prices",
            money(DEFAULT_PRICE, &cost.currency)
        );
    }
}

fn spenders(out: &mut String, list: &WorkspaceList, currency: &str, format: Format) {
    if list.workspaces.is_empty() {
        let _ = writeln!(out, "none");
        return;
    }
    let mut t = table(format, &["workspace", "tier", "AI tokens today", "cost"]);
    for ws in &list.workspaces {
        let tokens = ws
            .limits
            .iter()
            .find(|l| l.limit == Limit::AiTokensPerDay)
            .and_then(|l| l.used);
        t.add_row(vec![
            cell(
                &format!("{} ({})", ws.workspace_name, ws.workspace_id),
                format,
            ),
            cell(&ws.tier, format),
            tokens.map_or_else(|| "—".into(), count),
            money(ws.ai_cost.unwrap_or(0.0), currency),
        ]);
    }
    let _ = writeln!(out, "{t}");
}

/// A workspace's worst limit: the largest share used.
fn worst(ws: &WorkspaceUsage) -> Option<&LimitUsage> {
    ws.limits
        .iter()
        .filter_map(|l| Some((l, l.share()?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| l)
}

fn percent(l: &LimitUsage) -> String {
    match l.share() {
        Some(s) if s.is_infinite() => "limit 0".into(),
        Some(s) => format!("{:.0} %", s * 100.0),
        None => "no limit".into(),
    }
}

/// How long until `to`, for people: `45 s`, `12 min`, `3 h 20 min`.
fn until(from: OffsetDateTime, to: OffsetDateTime) -> String {
    let s = (to - from).whole_seconds().max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3_600 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
    }
}

fn workspaces(out: &mut String, list: &WorkspaceList, at: OffsetDateTime, format: Format) {
    if list.workspaces.is_empty() {
        let _ = writeln!(out, "none");
        return;
    }
    let projected = list.which == Which::Projected;
    let mut t = table(
        format,
        &[
            "workspace",
            "tier",
            if projected { "limit" } else { "worst limit" },
            "used",
            "throttled today",
            if projected {
                "runs out (a projection)"
            } else {
                "other limits"
            },
        ],
    );
    for ws in &list.workspaces {
        let limit = if projected {
            ws.limits
                .iter()
                .filter(|l| l.projection.is_some())
                .min_by_key(|l| l.projection.as_ref().map(|p| p.runs_out_at))
        } else {
            worst(ws)
        };
        let Some(limit) = limit else {
            // A tier without limits: listed (throttled, any), never dropped.
            t.add_row(vec![
                cell(
                    &format!("{} ({})", ws.workspace_name, ws.workspace_id),
                    format,
                ),
                cell(&ws.tier, format),
                "no limit".into(),
                "—".into(),
                count(ws.throttled),
                String::new(),
            ]);
            continue;
        };
        let used = format!(
            "{} of {} ({})",
            count(limit.used.unwrap_or(0)),
            count(limit.value.unwrap_or(0)),
            percent(limit)
        );
        let last = if projected {
            limit
                .projection
                .as_ref()
                .map(|p| {
                    format!(
                        "{} ({}; the window resets in {}), at {:.1}/min so far with {:.0} % of the window gone",
                        when(p.runs_out_at),
                        if p.runs_out_at <= at {
                            "reached".to_string()
                        } else {
                            format!("in {}", until(at, p.runs_out_at))
                        },
                        until(at, p.resets_at),
                        p.per_minute,
                        p.elapsed_share * 100.0
                    )
                })
                .unwrap_or_default()
        } else {
            ws.limits
                .iter()
                .filter(|l| !std::ptr::eq(*l, limit) && l.band.is_some_and(|b| b > Band::Under))
                .map(|l| format!("{} {}", l.limit.label(), percent(l)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        t.add_row(vec![
            cell(
                &format!("{} ({})", ws.workspace_name, ws.workspace_id),
                format,
            ),
            cell(&ws.tier, format),
            limit.limit.label().to_string(),
            used,
            count(ws.throttled),
            cell(&last, format),
        ]);
    }
    let _ = writeln!(out, "{t}");
}
