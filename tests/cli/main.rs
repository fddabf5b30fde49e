//! The real `readyroom` binary against real servers, PostgreSQL and the
//! keychain. One test binary, modules by area (ripgrep's layout).

mod bad_input;
mod env;
mod history;
mod hostile;
mod keychain;
mod postgres_tls;
mod redirects;
mod report;
mod score_http;
mod score_postgres;
mod secret_sweep;
mod serve;
mod store;
