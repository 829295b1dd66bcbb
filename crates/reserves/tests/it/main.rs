//! The integration tests of `custodia-reserves`, one binary (linking is CI's biggest cost).

mod addresses;
mod cross;
mod demo;
mod envelope;
mod eos_aelf;
mod okx;
mod template;
mod untrusted_input;
mod vectors;
mod verify;
