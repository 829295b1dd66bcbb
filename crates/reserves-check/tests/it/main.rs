//! custodia-reserves-check: one integration-test binary.
//!
//! Positive files are produced by `custodia-reserves` (libsecp256k1 signatures, its own
//! verifier's report); signatures by other implementations come from its committed
//! cross-implementation vectors (npm libraries).

mod round;
mod vectors;
