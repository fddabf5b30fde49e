//! The real `readyroom` binary against real servers, PostgreSQL and the
//! keychain. One test binary, modules by area (ripgrep's layout).

mod bad_input;
mod history;
mod keychain;
mod score_http;
mod score_postgres;
