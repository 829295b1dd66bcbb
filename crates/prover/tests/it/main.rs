//! Integration tests of `custodia-prover`, one binary: honest batches prove and verify, every
//! tampered statement is rejected, and hand-forged traces are rejected by the verifier.

mod batch;
mod common;
mod forged;
