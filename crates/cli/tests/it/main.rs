//! The integration tests of the `custodia` binary, one test binary (linking is CI's biggest
//! cost).

mod audit;
mod bench_guard;
mod cli;
mod demo;
mod durability;
mod fleet;
mod guard;
mod login;
mod operate;
mod packaging;
mod protect;
mod publish;
mod report;
mod service;
mod tidy;
mod token_fork;
