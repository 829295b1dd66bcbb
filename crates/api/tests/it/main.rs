//! The service's HTTP API end to end: the real router over a real store (SQLite, and
//! PostgreSQL when configured), one test binary for the crate.

mod audit;
mod common;
mod console;
mod fund;
mod guard;
mod http;
mod limits;
mod login;
mod okx_clients;
mod por;
mod protect;
mod token;
