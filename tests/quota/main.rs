//! Quota usage against real parts: the machine's PostgreSQL with generated
//! usage across tiers, and usage endpoints served here as an app would
//! serve them. One test binary, modules by area.

mod cli;
mod http;
mod postgres;
mod sampler;
