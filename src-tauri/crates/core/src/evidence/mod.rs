//! What a scorecard run looked at: one entry per input, keyed by typed
//! [`Input`] declarations.
//!
//! Sources fill it in (crate `readyroom-sources`, and the application
//! layer for inputs read from the local store); checks read it
//! ([`crate::checks`]). Evidence is an open map rather than a struct with a
//! field per source, so a new capability adds its own inputs (a constant
//! in its own module) without touching this file. An input nobody gathered
//! reads as missing, with the hint its declaration carries: that is how
//! "not configured" and "this capability is not built yet" both show up.

pub mod inputs;
mod observations;

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use time::OffsetDateTime;

pub use observations::*;

/// The name of an input, with what to do when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InputId {
    /// Stable and unique among inputs (`"health"`, `"postgres"`).
    pub key: &'static str,
    /// What gathers it, said as the remedy when nothing did ("set
    /// health_urls for the environment").
    pub hint: &'static str,
}

/// A typed input: the key under which a source stores a `T`.
pub struct Input<T> {
    pub id: InputId,
    _value: PhantomData<fn() -> T>,
}

impl<T> Input<T> {
    pub const fn new(key: &'static str, hint: &'static str) -> Self {
        Input {
            id: InputId { key, hint },
            _value: PhantomData,
        }
    }
}

/// Evidence that was gathered, or why it could not be.
pub type Gathered<T> = Result<T, Missing>;

/// Why an input has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// Nothing gathers it for this environment; `hint` says what to configure.
    NotConfigured { hint: String },
    /// Configured but could not be gathered (credential missing, source
    /// unreachable). Scores `unknown`.
    Unavailable {
        source: String,
        reason: String,
        at: OffsetDateTime,
    },
}

enum Slot {
    Missing(Missing),
    Observed(Box<dyn Any + Send + Sync>),
}

/// Everything one scorecard run looks at.
pub struct Evidence {
    pub environment: String,
    pub gathered_at: OffsetDateTime,
    inputs: BTreeMap<&'static str, Slot>,
}

impl Evidence {
    /// Evidence with nothing gathered, as a starting point.
    pub fn empty(environment: &str, gathered_at: OffsetDateTime) -> Self {
        Evidence {
            environment: environment.to_string(),
            gathered_at,
            inputs: BTreeMap::new(),
        }
    }

    /// Records what was gathered for `input`, replacing any earlier entry.
    pub fn set<T: Send + Sync + 'static>(&mut self, input: &Input<T>, gathered: Gathered<T>) {
        let slot = match gathered {
            Ok(value) => Slot::Observed(Box::new(value)),
            Err(missing) => Slot::Missing(missing),
        };
        self.inputs.insert(input.id.key, slot);
    }

    /// Records that `input` could not be gathered, whatever its type.
    pub fn set_missing(&mut self, input: InputId, missing: Missing) {
        self.inputs.insert(input.key, Slot::Missing(missing));
    }

    /// Takes every entry of `other` (one source's findings), replacing any
    /// entry for the same input here.
    pub fn merge(&mut self, other: Evidence) {
        self.inputs.extend(other.inputs);
    }

    /// The observed value of `input`, or why there is none.
    pub fn get<T: 'static>(&self, input: &Input<T>) -> Result<&T, Missing> {
        match self.inputs.get(input.id.key) {
            Some(Slot::Observed(value)) => value.downcast_ref::<T>().ok_or_else(|| {
                // Two declarations sharing a key; a test keeps keys unique.
                Missing::Unavailable {
                    source: input.id.key.to_string(),
                    reason: "the input holds a value of another type (a Readyroom bug)".into(),
                    at: self.gathered_at,
                }
            }),
            Some(Slot::Missing(missing)) => Err(missing.clone()),
            None => Err(self.absent(input.id)),
        }
    }

    /// Why `input` is missing, or `None` when it was observed.
    pub fn missing(&self, input: InputId) -> Option<Missing> {
        match self.inputs.get(input.key) {
            Some(Slot::Observed(_)) => None,
            Some(Slot::Missing(missing)) => Some(missing.clone()),
            None => Some(self.absent(input)),
        }
    }

    pub fn is_observed(&self, input: InputId) -> bool {
        matches!(self.inputs.get(input.key), Some(Slot::Observed(_)))
    }

    fn absent(&self, input: InputId) -> Missing {
        Missing::NotConfigured {
            hint: input.hint.to_string(),
        }
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let states: BTreeMap<&str, String> = self
            .inputs
            .iter()
            .map(|(k, slot)| {
                let state = match slot {
                    Slot::Observed(_) => "observed".to_string(),
                    Slot::Missing(m) => format!("{m:?}"),
                };
                (*k, state)
            })
            .collect();
        f.debug_struct("Evidence")
            .field("environment", &self.environment)
            .field("gathered_at", &self.gathered_at)
            .field("inputs", &states)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    const NUMBER: Input<u32> = Input::new("test.number", "set number");

    #[test]
    fn absent_inputs_carry_their_declared_hint() {
        let ev = Evidence::empty("prod", datetime!(2026-11-22 10:00 UTC));
        assert_eq!(
            ev.get(&NUMBER),
            Err(Missing::NotConfigured {
                hint: "set number".into()
            })
        );
        assert!(!ev.is_observed(NUMBER.id));
    }

    #[test]
    fn observed_and_unavailable_round_trip() {
        let at = datetime!(2026-11-22 10:00 UTC);
        let mut ev = Evidence::empty("prod", at);
        ev.set(&NUMBER, Ok(7));
        assert_eq!(ev.get(&NUMBER), Ok(&7));
        assert!(ev.missing(NUMBER.id).is_none());
        let unavailable = Missing::Unavailable {
            source: "db".into(),
            reason: "refused".into(),
            at,
        };
        ev.set_missing(NUMBER.id, unavailable.clone());
        assert_eq!(ev.get(&NUMBER), Err(unavailable));
    }

    #[test]
    fn a_key_reused_with_another_type_is_missing_not_a_panic() {
        const OTHER: Input<String> = Input::new("test.number", "set number");
        let mut ev = Evidence::empty("prod", datetime!(2026-11-22 10:00 UTC));
        ev.set(&NUMBER, Ok(7));
        assert!(matches!(ev.get(&OTHER), Err(Missing::Unavailable { .. })));
    }
}
