//! The integration tests of `custodia-guard`, one binary (linking is CI's biggest cost).

mod addresses;
mod domains;
mod events;
mod labelled;
mod quality;
mod robustness;
mod snapshot;
