//! round.json parsing and `check_manifest`, then a user check of the fixture inclusion file
//! against the fuzzed manifest (batch files refused).
#![no_main]

use custodia_sumtree::{InclusionProof, RoundManifest};
use custodia_verifier::round::{RoundError, check_manifest, top_root, verify_user};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = serde_json::from_slice::<RoundManifest>(data) {
        if check_manifest(&m).is_ok() {
            let _ = m.binding();
            let _ = top_root(&m.batch_roots);
        }
        let p = InclusionProof::from_json(include_bytes!("../fixtures/inclusion.json"))
            .expect("fixture");
        let _ = verify_user(&m, &p, |_| {
            Err(RoundError::Inclusion("fuzz: no batch files".into()))
        });
    }
});
