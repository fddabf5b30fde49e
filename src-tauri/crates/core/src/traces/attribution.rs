//! Which environment a span belongs to. An environment's own match rules
//! in config (`[environments.NAME.traces.match]`, resource attributes and
//! their values, all of which must hold) come first: they are the
//! operator's explicit word. Otherwise the resource's
//! `deployment.environment.name` (or the older `deployment.environment`)
//! names it. A span that neither places is unattributed, and kept apart.

use std::collections::BTreeMap;

use super::span::Span;

/// The resource attributes that name a span's environment, in order.
pub const ENVIRONMENT_KEYS: [&str; 2] = ["deployment.environment.name", "deployment.environment"];

/// The environment a span's resource names; `None`: it names none.
pub fn environment_of(span: &Span) -> Option<&str> {
    ENVIRONMENT_KEYS
        .iter()
        .find_map(|key| span.resource.str(key))
        .filter(|name| !name.is_empty())
}

/// Environments' match rules, checked in name order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attribution {
    rules: Vec<(String, Vec<(String, String)>)>,
}

impl Attribution {
    /// From each environment's match rules (environments without rules are
    /// left out: they are found by the resource's environment name alone).
    pub fn new<'a>(
        rules: impl IntoIterator<Item = (&'a str, &'a BTreeMap<String, String>)>,
    ) -> Attribution {
        let mut rules: Vec<(String, Vec<(String, String)>)> = rules
            .into_iter()
            .filter(|(_, rule)| !rule.is_empty())
            .map(|(env, rule)| {
                (
                    env.to_string(),
                    rule.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                )
            })
            .collect();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        Attribution { rules }
    }

    /// The environment `span` belongs to, or `None` (unattributed).
    pub fn environment<'a>(&'a self, span: &'a Span) -> Option<&'a str> {
        self.rules
            .iter()
            .find(|(_, rule)| {
                rule.iter()
                    .all(|(key, want)| span.resource.str(key) == Some(want.as_str()))
            })
            .map(|(env, _)| env.as_str())
            .or_else(|| environment_of(span))
    }
}

/// What to tell an operator whose spans (`unattributed` of them) arrive
/// without an environment.
pub fn how_to_attribute(environment: &str, unattributed: u64) -> String {
    format!(
        "{unattributed} span(s) arrived without an environment: to place them in {environment}, set the resource attribute deployment.environment.name = \"{environment}\" in the service's OpenTelemetry SDK (OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name={environment}), or match them in config with [environments.{environment}.traces.match], e.g. \"service.namespace\" = \"...\""
    )
}
