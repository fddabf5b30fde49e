//! Quota usage sources: the quota data contract read from PostgreSQL, with
//! the aggregation pushed down to SQL ([`postgres`]), or from the app's
//! usage endpoint over HTTP ([`http`]).

pub mod http;
pub mod postgres;
