//! Integration tests of `custodia-air`, one binary.

mod public;
