//! `verify_batch` on arbitrary bytes against fixed, valid public inputs (batch 1 of the committed
//! fixture round). Seed the corpus with the real `batch-00001.proof` of that round and point
//! `CUSTODIA_FUZZ_REAL_PROOF` at it (see docs/fuzzing.md): mutations then reach deep into the
//! STARK verifier, and any input other than the real proof that verifies is a crash.
#![no_main]

use std::sync::OnceLock;

use custodia_air::BatchPublicInputs;
use libfuzzer_sys::fuzz_target;

fn real_proof() -> &'static Option<Vec<u8>> {
    static REAL: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    REAL.get_or_init(|| {
        std::env::var_os("CUSTODIA_FUZZ_REAL_PROOF").and_then(|p| std::fs::read(p).ok())
    })
}

fuzz_target!(|data: &[u8]| {
    let public: BatchPublicInputs =
        serde_json::from_slice(include_bytes!("../fixtures/batch-00001.json")).expect("fixture");
    // Never panics; a forged proof never verifies.
    if custodia_verifier::verify_batch(data, &public).is_ok() {
        assert_eq!(
            real_proof().as_deref(),
            Some(data),
            "a proof other than the real one verified"
        );
    }
});
