//! Tiers and their limits, as data: PRODUCT.md's plan table by default,
//! each tier's limits replaced key by key (or a tier added) by the config's
//! `[quota.tiers.NAME]`. Tier names from the data are matched without
//! regard to case; a tier nobody configured has no limits, which is said,
//! not treated as free.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::cost::Prices;
use super::usage::{UsageRow, Window};

/// One limit of a plan: a count in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    RequestsPerMinute,
    RequestsPerHour,
    RequestsPerDay,
    AiCallsPerDay,
    AiTokensPerDay,
}

impl Limit {
    pub const ALL: [Limit; 5] = [
        Limit::RequestsPerMinute,
        Limit::RequestsPerHour,
        Limit::RequestsPerDay,
        Limit::AiCallsPerDay,
        Limit::AiTokensPerDay,
    ];

    /// The config key (`requests_per_minute`, …).
    pub fn key(self) -> &'static str {
        match self {
            Limit::RequestsPerMinute => "requests_per_minute",
            Limit::RequestsPerHour => "requests_per_hour",
            Limit::RequestsPerDay => "requests_per_day",
            Limit::AiCallsPerDay => "ai_calls_per_day",
            Limit::AiTokensPerDay => "ai_tokens_per_day",
        }
    }

    /// For people: `requests/minute`, `AI tokens/day`.
    pub fn label(self) -> &'static str {
        match self {
            Limit::RequestsPerMinute => "requests/minute",
            Limit::RequestsPerHour => "requests/hour",
            Limit::RequestsPerDay => "requests/day",
            Limit::AiCallsPerDay => "AI calls/day",
            Limit::AiTokensPerDay => "AI tokens/day",
        }
    }

    pub fn from_key(key: &str) -> Option<Limit> {
        Limit::ALL.into_iter().find(|l| l.key() == key)
    }

    /// The window the limit counts in.
    pub fn window(self) -> Window {
        match self {
            Limit::RequestsPerMinute => Window::Minute,
            Limit::RequestsPerHour => Window::Hour,
            Limit::RequestsPerDay | Limit::AiCallsPerDay | Limit::AiTokensPerDay => Window::Day,
        }
    }

    /// The contract's column the limit applies to.
    pub fn column(self) -> &'static str {
        match self {
            Limit::RequestsPerMinute | Limit::RequestsPerHour | Limit::RequestsPerDay => "requests",
            Limit::AiCallsPerDay => "ai_calls",
            Limit::AiTokensPerDay => "ai_tokens",
        }
    }

    /// What `row` counts against this limit: `None` for a row of another
    /// window, or a NULL count.
    pub fn value_of(self, row: &UsageRow) -> Option<i64> {
        if row.window != self.window() {
            return None;
        }
        match self {
            Limit::RequestsPerMinute | Limit::RequestsPerHour | Limit::RequestsPerDay => {
                row.requests
            }
            Limit::AiCallsPerDay => row.ai_calls,
            Limit::AiTokensPerDay => row.ai_tokens,
        }
    }
}

/// One tier's limits; a limit absent is not limited. (The TypeScript type
/// spells `Limit`'s keys out: ts-rs imports nothing for a type given as
/// text.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct TierLimits(
    #[ts(
        type = "Partial<Record<\"requests_per_minute\" | \"requests_per_hour\" | \"requests_per_day\" | \"ai_calls_per_day\" | \"ai_tokens_per_day\", number>>"
    )]
    pub BTreeMap<Limit, u64>,
);

impl TierLimits {
    pub fn get(&self, limit: Limit) -> Option<u64> {
        self.0.get(&limit).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every known tier, in the order they are shown (the plan table's, then
/// the config's own, by name), and what their AI tokens cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Plans {
    tiers: Vec<(String, TierLimits)>,
    prices: Prices,
}

/// PRODUCT.md's plan table.
const DEFAULTS: [(&str, [u64; 5]); 4] = [
    ("free", [10, 100, 1_000, 10, 50_000]),
    ("starter", [30, 500, 5_000, 100, 500_000]),
    ("professional", [100, 2_000, 20_000, 500, 2_000_000]),
    ("enterprise", [500, 10_000, 100_000, 5_000, 20_000_000]),
];

impl Default for Plans {
    fn default() -> Self {
        Plans {
            tiers: DEFAULTS
                .iter()
                .map(|(name, values)| {
                    (
                        name.to_string(),
                        TierLimits(Limit::ALL.into_iter().zip(values.iter().copied()).collect()),
                    )
                })
                .collect(),
            prices: Prices::default(),
        }
    }
}

impl Plans {
    /// The defaults with `configured` (tier → limit → value) laid over
    /// them: a configured limit replaces the default one, a configured tier
    /// the defaults do not know is added.
    pub fn with_config(configured: &BTreeMap<String, BTreeMap<Limit, u64>>) -> Plans {
        let mut plans = Plans::default();
        for (name, limits) in configured {
            match plans.index_of(name) {
                Some(i) => plans.tiers[i]
                    .1
                     .0
                    .extend(limits.iter().map(|(l, v)| (*l, *v))),
                None => plans.tiers.push((name.clone(), TierLimits(limits.clone()))),
            }
        }
        plans
    }

    /// These plans with `prices` for their AI tokens.
    pub fn priced(self, prices: Prices) -> Plans {
        Plans { prices, ..self }
    }

    pub fn prices(&self) -> &Prices {
        &self.prices
    }

    fn index_of(&self, tier: &str) -> Option<usize> {
        let tier = tier.trim();
        self.tiers
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(tier))
    }

    /// How `tier` is shown: the plans' spelling when they know it (any
    /// case), else the data's in lowercase.
    pub fn name_of(&self, tier: &str) -> String {
        let tier = tier.trim();
        self.index_of(tier)
            .map_or_else(|| tier.to_lowercase(), |i| self.tiers[i].0.clone())
    }

    /// The limits of `tier`, if it is a known one.
    pub fn limits(&self, tier: &str) -> Option<&TierLimits> {
        self.index_of(tier).map(|i| &self.tiers[i].1)
    }

    /// Where `tier` is shown: known tiers in their order, then the others.
    pub fn order(&self, tier: &str) -> usize {
        self.index_of(tier).unwrap_or(self.tiers.len())
    }

    pub fn tiers(&self) -> impl Iterator<Item = (&str, &TierLimits)> {
        self.tiers.iter().map(|(n, l)| (n.as_str(), l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_product_md_s_plan_table() {
        let plans = Plans::default();
        let free = plans.limits("Free").expect("free");
        assert_eq!(free.get(Limit::RequestsPerMinute), Some(10));
        assert_eq!(free.get(Limit::AiTokensPerDay), Some(50_000));
        let enterprise = plans.limits("enterprise").expect("enterprise");
        assert_eq!(enterprise.get(Limit::RequestsPerDay), Some(100_000));
        assert_eq!(plans.limits("team"), None, "an unknown tier has no limits");
    }

    #[test]
    fn config_replaces_a_limit_and_adds_a_tier() {
        let configured = BTreeMap::from([
            (
                "free".to_string(),
                BTreeMap::from([(Limit::RequestsPerMinute, 20)]),
            ),
            (
                "team".to_string(),
                BTreeMap::from([(Limit::AiCallsPerDay, 300)]),
            ),
        ]);
        let plans = Plans::with_config(&configured);
        let free = plans.limits("free").expect("free");
        assert_eq!(free.get(Limit::RequestsPerMinute), Some(20));
        assert_eq!(free.get(Limit::RequestsPerHour), Some(100), "the rest stay");
        let team = plans.limits("TEAM").expect("team");
        assert_eq!(team.get(Limit::AiCallsPerDay), Some(300));
        assert_eq!(team.get(Limit::RequestsPerMinute), None, "not limited");
        assert_eq!(plans.order("team"), 4);
        assert_eq!(plans.order("nobody"), 5);
    }
}
