//! Deploy rollback against real parts: the demo production's provider end
//! to end, Vercel's documented API as a contract server, a webhook against
//! a local server, a command as a real script, rollbacks
//! interrupted at each step. One test binary, modules by area.

mod command;
mod demo;
mod interrupted;
mod secrets;
mod vercel;
mod vercel_contract;
mod webhook;
