//! Integration tests of `custodia-hash`, one binary.

mod air_instance;
