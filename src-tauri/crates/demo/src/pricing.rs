//! The demo's pricing plans: its tiers, their limits (PRODUCT.md's default
//! table) and usage windows. Readyroom's own quota capability reads tiers
//! and limits from the operator's data; this is only the sample app's.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Free,
    Starter,
    Professional,
    Enterprise,
}

impl Tier {
    pub const ALL: [Tier; 4] = [
        Tier::Free,
        Tier::Starter,
        Tier::Professional,
        Tier::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Starter => "starter",
            Tier::Professional => "professional",
            Tier::Enterprise => "enterprise",
        }
    }

    /// The default plan limits (the product's pricing plans).
    pub fn default_limits(self) -> PlanLimits {
        let l = |minute, hour, day, ai_calls_day, ai_tokens_day| PlanLimits {
            requests: [
                (Window::Minute, minute),
                (Window::Hour, hour),
                (Window::Day, day),
            ],
            ai_calls_day,
            ai_tokens_day,
        };
        match self {
            Tier::Free => l(10, 100, 1_000, 10, 50_000),
            Tier::Starter => l(30, 500, 5_000, 100, 500_000),
            Tier::Professional => l(100, 2_000, 20_000, 500, 2_000_000),
            Tier::Enterprise => l(500, 10_000, 100_000, 5_000, 20_000_000),
        }
    }
}

impl std::str::FromStr for Tier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown tier '{s}'; expected free, starter, professional or enterprise")
            })
    }
}

/// The usage windows are Readyroom's own (the contract's).
pub use readyroom_core::quota::Window;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanLimits {
    /// Requests allowed per window.
    pub requests: [(Window, u64); 3],
    pub ai_calls_day: u64,
    pub ai_tokens_day: u64,
}

impl PlanLimits {
    pub fn requests_per(&self, window: Window) -> u64 {
        self.requests
            .iter()
            .find(|(w, _)| *w == window)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    }
}

/// Whether one more request fits, given the counts in the current windows.
/// Returns the first window that would be exceeded.
pub fn exceeded(limits: &PlanLimits, counts: &[(Window, u64)]) -> Option<Window> {
    Window::ALL.into_iter().find(|w| {
        let used = counts
            .iter()
            .find(|(cw, _)| cw == w)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        used >= limits.requests_per(*w)
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn limits_match_the_pricing_plans() {
        let free = Tier::Free.default_limits();
        assert_eq!(free.requests_per(Window::Minute), 10);
        assert_eq!(free.requests_per(Window::Day), 1_000);
        assert_eq!(Tier::Enterprise.default_limits().ai_tokens_day, 20_000_000);
        assert_eq!("Professional".parse::<Tier>(), Ok(Tier::Professional));
        assert!("gold".parse::<Tier>().is_err());
    }

    #[test]
    fn windows_are_utc_aligned() {
        let t = datetime!(2026-11-22 10:17:42 UTC);
        assert_eq!(Window::Minute.start(t), datetime!(2026-11-22 10:17 UTC));
        assert_eq!(Window::Hour.start(t), datetime!(2026-11-22 10:00 UTC));
        assert_eq!(Window::Day.start(t), datetime!(2026-11-22 0:00 UTC));
        assert_eq!(Window::Minute.reset(t), datetime!(2026-11-22 10:18 UTC));
    }

    #[test]
    fn the_tightest_exhausted_window_is_reported() {
        let free = Tier::Free.default_limits();
        assert_eq!(
            exceeded(&free, &[(Window::Minute, 9), (Window::Hour, 50)]),
            None
        );
        assert_eq!(
            exceeded(&free, &[(Window::Minute, 10)]),
            Some(Window::Minute)
        );
        assert_eq!(
            exceeded(&free, &[(Window::Minute, 3), (Window::Hour, 100)]),
            Some(Window::Hour)
        );
    }
}
