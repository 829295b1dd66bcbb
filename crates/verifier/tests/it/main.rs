//! Integration tests of `custodia-verifier`, one binary.

mod fixture;
