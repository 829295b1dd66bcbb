//! The store's behaviour on every engine (SQLite always, PostgreSQL when configured), one test
//! binary for the crate.

mod checkpoints;
mod fund;
mod guard;
mod hardening;
mod jobs;
mod login;
mod open;
mod protect;
mod store;
