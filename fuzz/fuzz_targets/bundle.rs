//! The user-facing front end on hostile archives: arbitrary bytes as a zip (or a file of any
//! kind) added next to the fixture round's real files, then every check the bundle allows.
//! Nothing may panic, inflate past the limits, or turn the fixture user's rejection-free check
//! into anything but verified/rejected/input error.
#![no_main]

use custodia_verifier::bundle::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // As a zip named like one, and as an anonymous download (sniffed by its bytes).
    for name in ["round.zip", "download"] {
        let mut b = Bundle::new();
        let _ = b.add_bytes(
            "round.json",
            include_bytes!("../fixtures/round.json").to_vec(),
        );
        let _ = b.add_bytes(
            "batch-00001.json",
            include_bytes!("../fixtures/batch-00001.json").to_vec(),
        );
        if b.add_bytes(name, data.to_vec()).is_ok() {
            let _ = b.check(|_| {});
        }
    }
});
