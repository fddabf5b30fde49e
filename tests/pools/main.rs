//! Pool stats against real parts: the machine's PostgreSQL with sessions
//! in known states, and a PgBouncer of each test's own. One test binary,
//! modules by area.

mod cancel;
mod cli;
mod pooler;
mod sampler;
mod server;
mod waits;
