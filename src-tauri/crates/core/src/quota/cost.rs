//! AI cost: what each tier's AI tokens cost today, and who spends most.
//!
//! The quota data contract counts a workspace's AI tokens, not which model
//! used them, so each tier's tokens are priced as one model's, at one
//! price per million tokens (input and output together). `[quota.ai_cost]`
//! names the models, their prices and which tier uses which; without it
//! every tier is priced as [`DEFAULT_MODEL`] at [`DEFAULT_PRICE`] USD per
//! million tokens, and the view says so wherever a cost shows, so nobody
//! takes the default for a bill.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::summary::TierSummary;
use super::usage::Window;

/// The model every tier is priced as unless the config says otherwise.
pub const DEFAULT_MODEL: &str = "default";
/// Its price per million tokens: a round placeholder, stated as such.
pub const DEFAULT_PRICE: f64 = 1.0;
pub const DEFAULT_CURRENCY: &str = "USD";

/// The prices in effect: per model, and which model each tier uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    currency: String,
    /// The model of a tier the config does not map.
    model: String,
    per_million: BTreeMap<String, f64>,
    /// Tier (lowercase) → model.
    tiers: BTreeMap<String, String>,
    configured: bool,
}

/// What one tier's tokens are priced as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub model: String,
    /// Currency units per million tokens.
    pub per_million: f64,
}

impl Default for Prices {
    fn default() -> Self {
        Prices {
            currency: DEFAULT_CURRENCY.into(),
            model: DEFAULT_MODEL.into(),
            per_million: BTreeMap::from([(DEFAULT_MODEL.to_string(), DEFAULT_PRICE)]),
            tiers: BTreeMap::new(),
            configured: false,
        }
    }
}

impl Prices {
    /// The defaults with the config's laid over them: `currency`, `model`
    /// (the model of every tier not in `tiers`), `prices` per model added
    /// to (or replacing) the default's, `tiers` → model. A model without a
    /// price is refused by `config check`; here it falls back to the
    /// default model's price rather than to nothing.
    pub fn with_config(
        currency: Option<&str>,
        model: Option<&str>,
        prices: &BTreeMap<String, f64>,
        tiers: &BTreeMap<String, String>,
    ) -> Prices {
        let defaults = Prices::default();
        let mut per_million = defaults.per_million;
        per_million.extend(prices.iter().map(|(m, p)| (m.clone(), *p)));
        Prices {
            currency: currency.map_or(defaults.currency, str::to_string),
            model: model.map_or(defaults.model, str::to_string),
            per_million,
            tiers: tiers
                .iter()
                .map(|(t, m)| (t.trim().to_lowercase(), m.clone()))
                .collect(),
            configured: currency.is_some()
                || model.is_some()
                || !prices.is_empty()
                || !tiers.is_empty(),
        }
    }

    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// Whether `[quota.ai_cost]` set anything (else every cost is the
    /// default's, and says so).
    pub fn configured(&self) -> bool {
        self.configured
    }

    /// The model and price of `tier`'s tokens (any case).
    pub fn of(&self, tier: &str) -> Price {
        let model = self
            .tiers
            .get(&tier.trim().to_lowercase())
            .unwrap_or(&self.model);
        let per_million = self
            .per_million
            .get(model)
            .or_else(|| self.per_million.get(&self.model))
            .copied()
            .unwrap_or(DEFAULT_PRICE);
        Price {
            model: model.clone(),
            per_million,
        }
    }

    /// What `tokens` of `tier` cost. The same float operations, in the
    /// same order, as the lists' SQL (`tokens::float8 * price / 1000000`),
    /// so the top spenders sort alike in both.
    pub fn cost(&self, tier: &str, tokens: i64) -> f64 {
        tokens as f64 * self.of(tier).per_million / 1_000_000.0
    }

    /// Tier (lowercase) → price per million, for the tiers mapped or
    /// planned; any other tier is priced as `model`.
    pub fn per_tier<'a>(&self, tiers: impl Iterator<Item = &'a str>) -> BTreeMap<String, f64> {
        tiers
            .map(|t| t.to_lowercase())
            .chain(self.tiers.keys().cloned())
            .map(|t| {
                let price = self.of(&t).per_million;
                (t, price)
            })
            .collect()
    }

    /// The price of a tier nobody mapped.
    pub fn default_price(&self) -> f64 {
        self.of("").per_million
    }
}

/// One tier's AI tokens today and what they cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TierCost {
    pub tier: String,
    pub price: Price,
    #[ts(type = "number")]
    pub tokens: i64,
    pub cost: f64,
}

/// AI cost today, per tier and in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AiCost {
    pub currency: String,
    /// Whether the prices came from `[quota.ai_cost]` (else the default).
    pub configured: bool,
    pub tiers: Vec<TierCost>,
    pub total: f64,
}

impl AiCost {
    /// Each tier's tokens in its current day window, priced.
    pub fn of(tiers: &[TierSummary], prices: &Prices) -> AiCost {
        let tiers: Vec<TierCost> = tiers
            .iter()
            .map(|t| {
                let tokens = t
                    .windows
                    .iter()
                    .find(|w| w.window == Window::Day)
                    .map_or(0, |w| w.ai_tokens);
                TierCost {
                    tier: t.tier.clone(),
                    price: prices.of(&t.tier),
                    tokens,
                    cost: prices.cost(&t.tier, tokens),
                }
            })
            .collect();
        AiCost {
            currency: prices.currency().to_string(),
            configured: prices.configured(),
            total: tiers.iter().map(|t| t.cost).sum(),
            tiers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_config_every_tier_is_the_default_model_at_the_default_price() {
        let p = Prices::default();
        assert_eq!(
            p.of("enterprise"),
            Price {
                model: "default".into(),
                per_million: 1.0
            }
        );
        assert!(!p.configured());
        assert_eq!(p.cost("free", 2_500_000), 2.5);
    }

    #[test]
    fn config_names_models_their_prices_and_each_tier_s_model() {
        let prices = BTreeMap::from([("small".to_string(), 0.6), ("large".to_string(), 15.0)]);
        let tiers = BTreeMap::from([("Enterprise".to_string(), "large".to_string())]);
        let p = Prices::with_config(Some("EUR"), Some("small"), &prices, &tiers);
        assert!(p.configured());
        assert_eq!(p.currency(), "EUR");
        assert_eq!(p.of("ENTERPRISE").model, "large", "tiers in any case");
        assert_eq!(p.of("free").per_million, 0.6, "the rest as `model`");
        assert_eq!(p.cost("enterprise", 1_000_000), 15.0);
        assert_eq!(p.default_price(), 0.6);
        let per_tier = p.per_tier(["free", "Starter"].into_iter());
        assert_eq!(per_tier.get("starter"), Some(&0.6));
        assert_eq!(per_tier.get("enterprise"), Some(&15.0));
    }

    #[test]
    fn a_model_without_a_price_falls_back_to_the_default_model_s() {
        let tiers = BTreeMap::from([("free".to_string(), "unpriced".to_string())]);
        let p = Prices::with_config(None, None, &BTreeMap::new(), &tiers);
        assert_eq!(p.of("free").per_million, DEFAULT_PRICE);
        assert_eq!(p.of("free").model, "unpriced");
    }
}
