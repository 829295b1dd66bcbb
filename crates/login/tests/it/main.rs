//! The login defence's behaviour on whole populations: a month of normal users stays quiet,
//! attacks replayed against it end stepped up or blocked. One test binary for the crate.

mod mmdb;
mod population;
