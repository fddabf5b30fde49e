//! Quota usage against real parts: the machine's PostgreSQL with generated
//! usage across tiers. One test binary, modules by area.

mod postgres;
