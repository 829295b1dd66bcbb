//! Integration tests of `custodia-verify`, one binary.

mod cli;
mod rounds;
