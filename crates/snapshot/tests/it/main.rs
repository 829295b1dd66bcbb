//! Integration tests of `custodia-snapshot`, one binary.

mod demo;
mod errors;
mod formats;
