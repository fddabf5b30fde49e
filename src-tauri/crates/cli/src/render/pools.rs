//! `readyroom pool`: the saturation sentence, then one section per
//! source (the server, the pooler, the app's pool), each with its last
//! good reading and, when its source is failing, since when and why.

use std::fmt::Write;

use readyroom_api::pools::{PoolWaitsView, PoolsView, SourceProblem};
use readyroom_core::pools::saturation::duration_ms;
use readyroom_core::pools::{Backend, BlockingNode, NoRate, ServerSample};

use super::{cell, json, num, table};
use crate::args::Format;

pub fn pools(view: &PoolsView, waits: Option<&PoolWaitsView>, format: Format) -> String {
    if format == Format::Json {
        // The view, with which requests pay beside it.
        let mut value = serde_json::to_value(view).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "waits".into(),
                serde_json::to_value(waits).unwrap_or_default(),
            );
        }
        return json(&value);
    }
    let md = format == Format::Markdown;
    let heading = |out: &mut String, title: &str| {
        if md {
            let _ = writeln!(out, "\n### {title}\n");
        } else {
            let _ = writeln!(out, "\n{title}");
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}{} · {}",
        if md { "## " } else { "" },
        cell(&view.environment, format),
        view.at
    );
    let _ = writeln!(out, "{}", cell(&view.saturation.sentence, format));

    heading(&mut out, "PostgreSQL");
    let s = &view.server;
    if !s.configured {
        let _ = writeln!(
            out,
            "not configured: add [environments.NAME.postgres] with url_secret"
        );
    }
    problem(&mut out, s.problem.as_ref(), s.sample.is_some(), format);
    if let Some(sample) = &s.sample {
        server(&mut out, sample, &s.blocking, format);
        if let Some(r) = &s.rates {
            let _ = writeln!(
                out,
                "{} commits/s, {} rollbacks/s over the last {}",
                num(round2(r.commits_per_second)),
                num(round2(r.rollbacks_per_second)),
                duration_ms(r.seconds * 1_000.0)
            );
        }
    }

    heading(&mut out, "Pooler");
    let p = &view.pooler;
    if !p.configured {
        let _ = writeln!(out, "not configured: add [environments.NAME.pgbouncer] with url_secret (a stats_users account)");
    }
    problem(&mut out, p.problem.as_ref(), p.sample.is_some(), format);
    if let Some(sample) = &p.sample {
        let _ = writeln!(out, "{}", cell(&sample.source, format));
        let mut t = table(
            format,
            &[
                "database",
                "user",
                "mode",
                "clients active",
                "waiting",
                "longest wait",
                "servers active",
                "idle",
                "used",
            ],
        );
        for pool in &sample.pools {
            t.add_row(vec![
                cell(&pool.database, format),
                cell(&pool.user, format),
                cell(&pool.pool_mode, format),
                pool.cl_active.to_string(),
                pool.cl_waiting.to_string(),
                duration_ms(pool.maxwait_us as f64 / 1_000.0),
                pool.sv_active.to_string(),
                pool.sv_idle.to_string(),
                pool.sv_used.to_string(),
            ]);
        }
        let _ = writeln!(out, "{t}");
        match (&p.rates, p.no_rates) {
            (Some(r), _) => {
                let _ = writeln!(
                    out,
                    "{} transactions/s, {} queries/s; clients waited {} in all over the last {}",
                    num(round2(r.transactions_per_second)),
                    num(round2(r.queries_per_second)),
                    duration_ms(r.wait_ms),
                    duration_ms(r.seconds * 1_000.0)
                );
            }
            (None, Some(NoRate::Reset)) => {
                let _ = writeln!(out, "no rates for this interval: the pooler's counters went back to zero (it restarted)");
            }
            (None, Some(NoRate::Gap)) => {
                let _ = writeln!(
                    out,
                    "no rates for this interval: the pooler was unreachable in between"
                );
            }
            (None, None) => {}
        }
    }

    if let Some(w) = waits {
        heading(&mut out, "Who waits for a connection");
        waits_section(&mut out, w, format);
    }

    heading(&mut out, "App pool");
    let a = &view.app;
    if !a.configured {
        let _ = writeln!(
            out,
            "not configured: set metrics_url (or [environments.NAME.app_pool])"
        );
    }
    problem(&mut out, a.problem.as_ref(), a.sample.is_some(), format);
    if let Some(sample) = &a.sample {
        let figure = |v: Option<f64>| v.map(num).unwrap_or_else(|| "—".into());
        let _ = writeln!(
            out,
            "{}: {} in use, {} idle, {} waiting, max {} ({} metrics)",
            cell(&sample.source, format),
            figure(sample.in_use),
            figure(sample.idle),
            figure(sample.waiting),
            figure(sample.max),
            sample.names
        );
    }
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn problem(out: &mut String, problem: Option<&SourceProblem>, has_sample: bool, format: Format) {
    if let Some(p) = problem {
        let _ = writeln!(
            out,
            "UNREACHABLE since {}: {} — {}{}",
            p.since,
            cell(&p.source, format),
            cell(&p.reason, format),
            if has_sample {
                " (the last good reading follows)"
            } else {
                ""
            }
        );
    }
}

fn server(out: &mut String, s: &ServerSample, blocking: &[BlockingNode], format: Format) {
    let _ = writeln!(
        out,
        "{}: {} of {} usable connections (max_connections {} minus {} reserved)",
        cell(&s.source, format),
        s.client_connections(),
        s.usable_connections(),
        s.max_connections,
        s.reserved_connections
    );
    let st = &s.states;
    let mut t = table(
        format,
        &[
            "active",
            "idle",
            "idle in transaction",
            "idle in transaction (aborted)",
            "other",
            "hidden from this role",
        ],
    );
    t.add_row(vec![
        st.active.to_string(),
        st.idle.to_string(),
        st.idle_in_transaction.to_string(),
        st.idle_in_transaction_aborted.to_string(),
        st.other.to_string(),
        st.hidden.to_string(),
    ]);
    let _ = writeln!(out, "{t}");
    if st.hidden > 0 {
        let _ = writeln!(out, "{} sessions of other roles hide their state: grant pg_monitor (or pg_read_all_stats) to the role Readyroom uses", st.hidden);
    }
    if !s.groups.is_empty() {
        let mut t = table(
            format,
            &[
                "application",
                "user",
                "client",
                "sessions",
                "active",
                "idle in transaction",
            ],
        );
        for g in s.groups.iter().take(10) {
            t.add_row(vec![
                cell(&g.application, format),
                cell(&g.user, format),
                cell(&g.client, format),
                g.states.total().to_string(),
                g.states.active.to_string(),
                (g.states.idle_in_transaction + g.states.idle_in_transaction_aborted).to_string(),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !blocking.is_empty() {
        let _ = writeln!(out, "Blocking:");
        for root in blocking {
            tree(out, root, s, 1, format);
        }
    }
    let mut named: Vec<&Backend> = s
        .backends
        .iter()
        .filter(|b| b.query_age_ms.is_some())
        .collect();
    named.sort_by_key(|b| std::cmp::Reverse(b.xact_age_ms.or(b.query_age_ms)));
    if !named.is_empty() {
        let show_text = named.iter().any(|b| b.query.is_some());
        let mut header = vec![
            "pid",
            "state",
            "transaction",
            "in state",
            "application",
            "user",
        ];
        if show_text {
            header.push("query");
        }
        let mut t = table(format, &header);
        let age = |v: Option<u64>| {
            v.map(|ms| duration_ms(ms as f64))
                .unwrap_or_else(|| "—".into())
        };
        for b in named.iter().take(8) {
            let mut row = vec![
                b.pid.to_string(),
                cell(b.state.as_deref().unwrap_or("hidden"), format),
                age(b.xact_age_ms),
                age(b.state_age_ms),
                cell(&b.application, format),
                cell(&b.user, format),
            ];
            if show_text {
                row.push(cell(b.query.as_deref().unwrap_or(""), format));
            }
            t.add_row(row);
        }
        let _ = writeln!(out, "Oldest transactions and longest queries:\n{t}");
    }
}

fn tree(out: &mut String, node: &BlockingNode, s: &ServerSample, depth: usize, format: Format) {
    let who = s.backends.iter().find(|b| b.pid == node.pid);
    let what = who
        .map(|b| {
            format!(
                "{}{} ({}, {})",
                b.state.as_deref().unwrap_or("state hidden"),
                b.state_age_ms
                    .map(|ms| format!(" for {}", duration_ms(ms as f64)))
                    .unwrap_or_default(),
                cell(&b.application, format),
                cell(&b.user, format)
            )
        })
        .unwrap_or_else(|| "not visible to this role".into());
    let blocks = if node.blocked_total > 0 {
        format!(", blocking {}", node.blocked_total)
    } else {
        String::new()
    };
    let _ = writeln!(out, "{}pid {} {what}{blocks}", "  ".repeat(depth), node.pid);
    for child in &node.waiting {
        tree(out, child, s, depth + 1, format);
    }
}

fn waits_section(out: &mut String, w: &PoolWaitsView, format: Format) {
    let rows: Vec<_> = w.routes.iter().filter(|r| r.requests > 0).take(8).collect();
    match rows.iter().find(|r| r.share_pct >= 1.0) {
        Some(top) => {
            let _ = writeln!(
                out,
                "{} % of {} time was spent waiting for a connection ({} of {} requests waited 1 ms or more)",
                top.share_pct.round(),
                cell(&top.route, format),
                top.waited,
                top.requests
            );
        }
        None if w.traces == 0 => {
            let _ = writeln!(out, "no traces in the last {} min to look at", w.minutes);
            return;
        }
        None => {
            let _ = writeln!(
                out,
                "requests barely waited for a connection in the last {} min",
                w.minutes
            );
        }
    }
    let mut t = table(
        format,
        &[
            "route",
            "service",
            "requests",
            "waited",
            "time waiting",
            "share",
        ],
    );
    for r in rows {
        t.add_row(vec![
            cell(&r.route, format),
            cell(&r.service, format),
            r.requests.to_string(),
            r.waited.to_string(),
            duration_ms(r.wait_ms),
            format!("{:.1} %", r.share_pct),
        ]);
    }
    let _ = writeln!(
        out,
        "{t}\nfrom the newest {} traces of the last {} min{}; waiting is time in spans named {}",
        w.traces,
        w.minutes,
        if w.capped { " (more were there)" } else { "" },
        w.span_names.join(", ")
    );
}
