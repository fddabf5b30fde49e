pub mod config;
pub mod demo;
pub mod history;
pub mod otlp;
pub mod score;
pub mod secret;
pub mod serve;
pub mod traces;
