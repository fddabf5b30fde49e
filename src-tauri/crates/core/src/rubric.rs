//! The rubric: categories of weighted checks, loaded from TOML as data.
//!
//! `assets/rubric.toml` is the default (RUBRIC.md in data form); a team may
//! replace it with its own file. Validation reports every problem it finds,
//! naming the category or check at fault.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::checks;
use crate::source_text::{syntax_problem, LineIndex, Problem};

/// The default rubric, compiled in so a fresh install scores out of the box.
pub const DEFAULT_RUBRIC_TOML: &str = include_str!("../../../../assets/rubric.toml");

/// Tolerance for comparing point sums (points may be halves).
const EPSILON: f64 = 1e-6;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rubric {
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub weight: f64,
    #[serde(rename = "check", default)]
    pub checks: Vec<CheckDef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    pub id: String,
    pub name: String,
    /// One of the kinds in [`crate::checks::KINDS`].
    pub kind: String,
    pub points: f64,
    /// Threshold for `pass`; its unit and direction depend on the kind.
    pub pass: Option<f64>,
    /// Threshold for `partial`.
    pub partial: Option<f64>,
    /// For history-based kinds: fewest samples to judge on.
    pub min_samples: Option<u64>,
    /// For history-based kinds: shortest span of history to judge on.
    pub min_hours: Option<f64>,
}

/// Whether a smaller or a larger measurement is the better one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
}

/// What a kind's thresholds mean, and their defaults.
#[derive(Debug, Clone, Copy)]
pub struct ThresholdSpec {
    pub pass: f64,
    pub partial: f64,
    pub unit: &'static str,
    pub better: Better,
}

impl ThresholdSpec {
    pub const fn new(pass: f64, partial: f64, unit: &'static str, better: Better) -> Self {
        ThresholdSpec {
            pass,
            partial,
            unit,
            better,
        }
    }

    /// Whether `pass` is at least as strict as `partial`.
    fn ordered(&self) -> bool {
        match self.better {
            Better::Lower => self.pass <= self.partial,
            Better::Higher => self.pass >= self.partial,
        }
    }
}

impl CheckDef {
    /// The effective pass and partial thresholds: the rubric's, else the
    /// kind's defaults. `None` for kinds judged on presence.
    pub fn thresholds(&self) -> Option<ThresholdSpec> {
        checks::kind(&self.kind)?
            .thresholds
            .map(|spec| ThresholdSpec {
                pass: self.pass.unwrap_or(spec.pass),
                partial: self.partial.unwrap_or(spec.partial),
                ..spec
            })
    }
}

impl Rubric {
    /// The built-in default rubric.
    pub fn default_rubric() -> Rubric {
        Rubric::parse(DEFAULT_RUBRIC_TOML)
            .expect("the shipped assets/rubric.toml is valid (tested)")
    }

    /// Parses and validates a rubric, reporting every problem found.
    pub fn parse(text: &str) -> Result<Rubric, Vec<Problem>> {
        let rubric: Rubric = toml::from_str(text).map_err(|e| vec![syntax_problem(text, &e)])?;
        let lines = LineIndex::build(text);
        let problems = rubric.problems(&lines);
        if problems.is_empty() {
            Ok(rubric)
        } else {
            Err(problems)
        }
    }

    pub fn total_points(&self) -> f64 {
        self.categories.iter().map(|c| c.weight).sum()
    }

    fn problems(&self, lines: &LineIndex) -> Vec<Problem> {
        let mut found = Found {
            lines,
            problems: Vec::new(),
            category_ids: HashSet::new(),
            check_ids: HashSet::new(),
        };
        if self.categories.is_empty() {
            found.push(
                String::new(),
                "the rubric has no [[category]] tables".into(),
            );
        }
        for (ci, cat) in self.categories.iter().enumerate() {
            let cpath = format!("category[{ci}]");
            found.category(cat, &cpath);
            for (ki, check) in cat.checks.iter().enumerate() {
                found.check(check, &format!("{cpath}.check[{ki}]"));
            }
        }
        let total = self.total_points();
        if !self.categories.is_empty() && (total - 100.0).abs() > EPSILON {
            let parts: Vec<String> = self
                .categories
                .iter()
                .map(|c| format!("{} {}", c.id, c.weight))
                .collect();
            found.push(
                String::new(),
                format!(
                    "category weights must sum to 100 but sum to {total} ({})",
                    parts.join(", ")
                ),
            );
        }
        let mut problems = found.problems;
        problems.sort_by_key(|p| p.line);
        problems
    }
}

/// Problems collected while validating a rubric.
struct Found<'a> {
    lines: &'a LineIndex,
    problems: Vec<Problem>,
    category_ids: HashSet<String>,
    check_ids: HashSet<String>,
}

impl Found<'_> {
    fn push(&mut self, path: String, message: String) {
        let line = self.lines.line_of(&path);
        self.problems.push(Problem {
            path,
            line,
            message,
        });
    }

    fn category(&mut self, cat: &Category, cpath: &str) {
        if !self.category_ids.insert(cat.id.clone()) {
            self.push(
                format!("{cpath}.id"),
                format!("duplicate category id '{}'", cat.id),
            );
        }
        if !(cat.weight.is_finite() && cat.weight > 0.0) {
            self.push(
                format!("{cpath}.weight"),
                format!("category '{}' must have a positive weight", cat.id),
            );
        }
        let sum: f64 = cat.checks.iter().map(|c| c.points).sum();
        if (sum - cat.weight).abs() > EPSILON {
            self.push(
                format!("{cpath}.weight"),
                format!(
                    "category '{}' has weight {} but its checks' points sum to {}",
                    cat.id, cat.weight, sum
                ),
            );
        }
    }

    fn check(&mut self, check: &CheckDef, kpath: &str) {
        if !self.check_ids.insert(check.id.clone()) {
            self.push(
                format!("{kpath}.id"),
                format!("duplicate check id '{}'", check.id),
            );
        }
        if !(check.points.is_finite() && check.points > 0.0) {
            self.push(
                format!("{kpath}.points"),
                format!("check '{}' must have positive points", check.id),
            );
        } else if (check.points * 2.0).fract() != 0.0 {
            self.push(
                format!("{kpath}.points"),
                format!("check '{}': points must be whole or halves", check.id),
            );
        }
        let Some(kind) = checks::kind(&check.kind) else {
            let known: Vec<&str> = checks::kinds().map(|k| k.name).collect();
            self.push(
                format!("{kpath}.kind"),
                format!(
                    "check '{}' has unknown kind '{}'; the engine knows: {}",
                    check.id,
                    check.kind,
                    known.join(", ")
                ),
            );
            return;
        };
        match check.thresholds() {
            None if check.pass.is_some() || check.partial.is_some() => self.push(
                kpath.to_string(),
                format!(
                    "check '{}' of kind {} takes no pass/partial thresholds",
                    check.id, check.kind
                ),
            ),
            Some(t) if !t.ordered() => self.push(
                kpath.to_string(),
                format!(
                    "check '{}': the pass threshold ({}) must be stricter than the partial one ({})",
                    check.id, t.pass, t.partial
                ),
            ),
            _ => {}
        }
        if !kind.history_minimums && (check.min_samples.is_some() || check.min_hours.is_some()) {
            self.push(
                kpath.to_string(),
                format!(
                    "check '{}': min_samples/min_hours apply only to uptime checks",
                    check.id
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rubric_matches_rubric_md() {
        let r = Rubric::default_rubric();
        let weights: Vec<(&str, f64)> = r
            .categories
            .iter()
            .map(|c| (c.id.as_str(), c.weight))
            .collect();
        assert_eq!(
            weights,
            vec![
                ("infrastructure", 25.0),
                ("reliability", 30.0),
                ("observability", 15.0),
                ("security", 15.0),
                ("performance", 15.0)
            ]
        );
        let checks: usize = r.categories.iter().map(|c| c.checks.len()).sum();
        assert_eq!(checks, 25);
        assert_eq!(r.total_points(), 100.0);
    }

    fn two_categories(a_weight: u32, a_points: u32) -> String {
        format!(
            r#"
[[category]]
id = "a"
name = "A"
weight = {a_weight}
[[category.check]]
id = "a.tls"
name = "TLS"
kind = "tls"
points = {a_points}

[[category]]
id = "b"
name = "B"
weight = 50
[[category.check]]
id = "b.headers"
name = "Headers"
kind = "security_headers"
points = 50
"#
        )
    }

    #[test]
    fn accepts_a_custom_rubric() {
        let r = Rubric::parse(&two_categories(50, 50)).expect("valid");
        assert_eq!(r.categories.len(), 2);
    }

    #[test]
    fn names_the_category_whose_points_do_not_add_up() {
        let errs = Rubric::parse(&two_categories(50, 40)).expect_err("bad sum");
        let all = format!("{errs:?}");
        assert!(
            all.contains("category 'a' has weight 50 but its checks' points sum to 40"),
            "{all}"
        );
    }

    #[test]
    fn rejects_weights_not_summing_to_100() {
        let errs = Rubric::parse(&two_categories(40, 40)).expect_err("bad total");
        assert!(
            errs.iter()
                .any(|p| p.message.contains("must sum to 100 but sum to 90")),
            "{errs:?}"
        );
    }

    #[test]
    fn rejects_unknown_kinds_with_their_line() {
        let text = two_categories(50, 50).replace("kind = \"tls\"", "kind = \"vibes\"");
        let errs = Rubric::parse(&text).expect_err("unknown kind");
        assert_eq!(errs.len(), 1);
        assert!(errs[0].message.contains("vibes"), "{errs:?}");
        assert_eq!(errs[0].line, 9, "{errs:?}");
    }

    #[test]
    fn rejects_duplicate_ids() {
        let text = two_categories(50, 50).replace("b.headers", "a.tls");
        let errs = Rubric::parse(&text).expect_err("duplicate");
        assert!(
            errs.iter()
                .any(|p| p.message == "duplicate check id 'a.tls'"),
            "{errs:?}"
        );
    }

    #[test]
    fn rejects_thresholds_in_the_wrong_order_and_where_none_apply() {
        let text = two_categories(50, 50)
            .replace("kind = \"tls\"", "kind = \"tls\"\npass = 1\npartial = 14")
            .replace(
                "kind = \"security_headers\"",
                "kind = \"security_headers\"\npass = 3",
            );
        let errs = Rubric::parse(&text).expect_err("thresholds");
        let all = format!("{errs:?}");
        assert!(all.contains("must be stricter"), "{all}");
        assert!(all.contains("takes no pass/partial thresholds"), "{all}");
    }
}
