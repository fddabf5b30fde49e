//! Pool stats: how close an environment is to running out of database
//! connections, and why. Samples of the server, the pooler and the app's
//! own pool ([`sample`]); what happened between samples, from counters
//! ([`counters`]); who blocks whom ([`blocking`]); the app pool's metric
//! names ([`app_metrics`]); the one-sentence verdict ([`saturation`]).

pub mod acquire;
pub mod app_metrics;
pub mod blocking;
pub mod counters;
pub mod evidence;
pub mod sample;
pub mod saturated;
pub mod saturation;
pub mod series;

pub use blocking::{blocking_tree, BlockingNode};
pub use counters::{
    max_gap, pooler_rates, server_rates, Interval, NoRate, PoolerRates, ServerRates,
};
pub use sample::{
    AppPoolSample, Backend, BackendGroup, PoolerCounters, PoolerDatabase, PoolerPool, PoolerSample,
    ServerSample, StateCounts,
};
pub use saturation::{saturation, Level, Saturation};
