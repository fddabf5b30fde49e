//! Deploy rollback against real parts: the demo production's provider end
//! to end, Vercel's documented API as a contract server, rollbacks
//! interrupted at each step. One test binary, modules by area.

mod demo;
mod interrupted;
mod vercel;
mod vercel_contract;
