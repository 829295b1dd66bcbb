//! Inclusion-file parsing and verification: against the fixture round's root, and the full
//! user check against the fixture round.json (batch files refused, so only the inclusion and
//! manifest logic runs).
#![no_main]

use custodia_sumtree::{InclusionProof, RoundManifest};
use custodia_verifier::round::{RoundError, verify_user};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let m: RoundManifest =
        serde_json::from_slice(include_bytes!("../fixtures/round.json")).expect("fixture");
    if let Ok(p) = InclusionProof::from_json(data) {
        let _ = p.leaf_balances();
        let _ = p.verify(&m.root);
        let _ = verify_user(&m, &p, |_| {
            Err(RoundError::Inclusion("fuzz: no batch files".into()))
        });
    }
});
