//! The fund's integration tests: one binary, modules per area.

mod ledger;
mod tally;
