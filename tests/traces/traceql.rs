//! The part of TraceQL the Tempo contract server answers, evaluated over
//! its stored spans as Tempo's documentation defines it: a selection
//! `{ cond && (cond || cond) }` of conditions on intrinsics (`kind`,
//! `status`, `name`, `duration`, `nestedSetParent`, -1 for a root span)
//! and attributes (`span.*`, `resource.*`, `!= nil` for existence), and a
//! metrics stage `| count_over_time()` or `| quantile_over_time(duration,
//! q...)` with `by (...)`. Conditions on what it does not model
//! (`trace:*`) match every span.

use std::collections::BTreeMap;

use readyroom_core::traces::{Span, SpanKind, StatusCode, Value};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    LParen,
    RParen,
    And,
    Or,
    Pipe,
    Comma,
    Op(String),
    Word(String),
    Text(String),
}

fn tokens(q: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        match c {
            ' ' | '\n' | '\t' => i += 1,
            '{' => (out.push(Token::Open), i += 1).1,
            '}' => (out.push(Token::Close), i += 1).1,
            '(' => (out.push(Token::LParen), i += 1).1,
            ')' => (out.push(Token::RParen), i += 1).1,
            ',' => (out.push(Token::Comma), i += 1).1,
            _ if two == "&&" => (out.push(Token::And), i += 2).1,
            _ if two == "||" => (out.push(Token::Or), i += 2).1,
            '|' => (out.push(Token::Pipe), i += 1).1,
            _ if ["!=", ">=", "<="].contains(&two.as_str()) => {
                out.push(Token::Op(two));
                i += 2;
            }
            '=' | '<' | '>' => (out.push(Token::Op(c.to_string())), i += 1).1,
            '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '"')
                    .ok_or("unterminated string")?;
                out.push(Token::Text(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            _ => {
                let len = chars[i..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || "._:-".contains(**c))
                    .count();
                if len == 0 {
                    return Err(format!("unexpected '{c}'"));
                }
                out.push(Token::Word(chars[i..i + len].iter().collect()));
                i += len;
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
struct Cond {
    field: String,
    op: String,
    value: Token,
}

/// A selection: every group must hold; a group holds if any of its
/// conditions does.
#[derive(Debug, Clone, Default)]
pub struct Selection(Vec<Vec<Cond>>);

#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    Count,
    Quantiles(Vec<f64>),
}

#[derive(Debug, Clone)]
pub struct Query {
    pub selection: Selection,
    pub stage: Option<Stage>,
    pub by: Vec<String>,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }
    fn expect(&mut self, want: Token) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            other => Err(format!("expected {want:?}, found {other:?}")),
        }
    }
    fn cond(&mut self) -> Result<Cond, String> {
        let Some(Token::Word(field)) = self.next() else {
            return Err("expected a field".into());
        };
        let Some(Token::Op(op)) = self.next() else {
            return Err(format!("expected an operator after {field}"));
        };
        let value = self.next().ok_or("expected a value")?;
        Ok(Cond { field, op, value })
    }
    fn group(&mut self) -> Result<Vec<Cond>, String> {
        if self.peek() != Some(&Token::LParen) {
            return Ok(vec![self.cond()?]);
        }
        self.next();
        let mut any = vec![self.cond()?];
        while self.peek() == Some(&Token::Or) {
            self.next();
            any.push(self.cond()?);
        }
        self.expect(Token::RParen)?;
        Ok(any)
    }
    fn words_in_parens(&mut self) -> Result<Vec<String>, String> {
        self.expect(Token::LParen)?;
        let mut out = Vec::new();
        loop {
            match self.next() {
                Some(Token::RParen) => return Ok(out),
                Some(Token::Comma) => {}
                Some(Token::Word(w)) => out.push(w),
                other => return Err(format!("unexpected {other:?}")),
            }
        }
    }
}

pub fn parse(q: &str) -> Result<Query, String> {
    let mut p = Parser {
        tokens: tokens(q)?,
        at: 0,
    };
    p.expect(Token::Open)?;
    let mut groups = Vec::new();
    if p.peek() != Some(&Token::Close) {
        groups.push(p.group()?);
        while p.peek() == Some(&Token::And) {
            p.next();
            groups.push(p.group()?);
        }
    }
    p.expect(Token::Close)?;
    let (mut stage, mut by) = (None, Vec::new());
    if p.peek() == Some(&Token::Pipe) {
        p.next();
        stage = Some(match p.next() {
            Some(Token::Word(w)) if w == "count_over_time" => {
                p.words_in_parens()?;
                Stage::Count
            }
            Some(Token::Word(w)) if w == "quantile_over_time" => {
                let args = p.words_in_parens()?;
                Stage::Quantiles(
                    args.iter()
                        .skip(1)
                        .map(|a| a.parse::<f64>().map_err(|e| e.to_string()))
                        .collect::<Result<_, _>>()?,
                )
            }
            other => return Err(format!("unsupported stage {other:?}")),
        });
        if let Some(Token::Word(w)) = p.peek() {
            if w == "by" {
                p.next();
                by = p.words_in_parens()?;
            }
        }
    }
    if let Some(extra) = p.peek() {
        return Err(format!("unexpected {extra:?}"));
    }
    Ok(Query {
        selection: Selection(groups),
        stage,
        by,
    })
}

/// A field's value on a span: text, a number, or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(String),
    Number(f64),
    Nil,
    /// What the server does not model.
    Unknown,
}

fn attribute(value: Option<&Value>) -> Field {
    match value {
        None => Field::Nil,
        Some(Value::String(s)) => Field::Text(s.clone()),
        Some(Value::Int(i)) => Field::Number(*i as f64),
        Some(Value::Double(d)) => Field::Number(*d),
        Some(Value::Bool(b)) => Field::Text(b.to_string()),
        Some(other) => Field::Text(format!("{other:?}")),
    }
}

pub fn field(span: &Span, name: &str) -> Field {
    match name {
        "kind" => Field::Text(
            match span.kind {
                SpanKind::Server => "server",
                SpanKind::Client => "client",
                SpanKind::Producer => "producer",
                SpanKind::Consumer => "consumer",
                SpanKind::Internal => "internal",
                SpanKind::Unspecified => "unspecified",
            }
            .into(),
        ),
        "status" => Field::Text(
            match span.status {
                StatusCode::Error => "error",
                StatusCode::Ok => "ok",
                StatusCode::Unset => "unset",
            }
            .into(),
        ),
        "name" => Field::Text(span.name.clone()),
        "duration" => Field::Number(span.duration_nanos() as f64),
        "nestedSetParent" => Field::Number(if span.parent_span_id.is_none() {
            -1.0
        } else {
            0.0
        }),
        "resource.service.name" => Field::Text(span.service.clone()),
        _ => {
            if let Some(key) = name.strip_prefix("span.") {
                attribute(span.attributes.get(key))
            } else if let Some(key) = name.strip_prefix("resource.") {
                attribute(span.resource.get(key))
            } else {
                Field::Unknown
            }
        }
    }
}

fn literal(token: &Token) -> Field {
    match token {
        Token::Text(s) => Field::Text(s.clone()),
        Token::Word(w) if w == "nil" => Field::Nil,
        Token::Word(w) => match w.parse::<f64>() {
            Ok(n) => Field::Number(n),
            Err(_) => match w.strip_suffix("us").and_then(|n| n.parse::<f64>().ok()) {
                Some(us) => Field::Number(us * 1_000.0),
                None => Field::Text(w.clone()),
            },
        },
        _ => Field::Unknown,
    }
}

fn holds(span: &Span, cond: &Cond) -> bool {
    let (have, want) = (field(span, &cond.field), literal(&cond.value));
    if have == Field::Unknown {
        return true;
    }
    match (cond.op.as_str(), &have, &want) {
        ("=", _, _) => have == want,
        ("!=", _, _) => have != want,
        (op, Field::Number(a), Field::Number(b)) => match op {
            "<" => a < b,
            "<=" => a <= b,
            ">" => a > b,
            ">=" => a >= b,
            _ => false,
        },
        _ => false,
    }
}

impl Selection {
    pub fn matches(&self, span: &Span) -> bool {
        self.0.iter().all(|any| any.iter().any(|c| holds(span, c)))
    }
}

/// The group a span falls in: its `by` fields as labels (absent ones left
/// out, as Tempo does).
fn labels(span: &Span, by: &[String]) -> Vec<(String, String)> {
    by.iter()
        .filter_map(|name| match field(span, name) {
            Field::Text(t) => Some((name.clone(), t)),
            Field::Number(n) => Some((name.clone(), n.to_string())),
            _ => None,
        })
        .collect()
}

/// Nearest rank.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A metrics query's instant answer over `spans`, as Tempo's JSON.
pub fn instant(query: &Query, spans: &[&Span]) -> serde_json::Value {
    let mut groups: BTreeMap<Vec<(String, String)>, Vec<f64>> = BTreeMap::new();
    for span in spans.iter().filter(|s| query.selection.matches(s)) {
        groups
            .entry(labels(span, &query.by))
            .or_default()
            // Tempo answers durations in seconds.
            .push(span.duration_nanos() as f64 / 1e9);
    }
    let label_json = |labels: &[(String, String)]| -> Vec<serde_json::Value> {
        labels
            .iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": {"stringValue": v}}))
            .collect()
    };
    let mut series = Vec::new();
    for (labels, mut durations) in groups {
        durations.sort_by(f64::total_cmp);
        match &query.stage {
            Some(Stage::Quantiles(qs)) => {
                for q in qs {
                    let mut l = label_json(&labels);
                    l.push(serde_json::json!({"key": "p", "value": {"doubleValue": q}}));
                    series
                        .push(serde_json::json!({"labels": l, "value": quantile(&durations, *q)}));
                }
            }
            _ => series.push(
                serde_json::json!({"labels": label_json(&labels), "value": durations.len() as f64}),
            ),
        }
    }
    serde_json::json!({"series": series, "metrics": {"inspectedSpans": spans.len().to_string()}})
}
