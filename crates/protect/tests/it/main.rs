//! User protection's rules, one test binary for the crate: the diagnosis table, order checks
//! per channel and order type, and properties of the recovery-case state machine.

mod cases;
mod diagnose;
mod orders;
