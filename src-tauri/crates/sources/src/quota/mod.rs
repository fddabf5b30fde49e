//! Quota usage sources: the quota data contract read from PostgreSQL, with
//! the aggregation pushed down to SQL ([`postgres`]).

pub mod postgres;
