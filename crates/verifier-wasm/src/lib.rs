#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use custodia_verifier::Digest;
use custodia_verifier::bundle::{Added, Bundle, JsonReport, Step};
use serde_json::json;
use wasm_bindgen::prelude::wasm_bindgen;

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen]
extern "C" {
    /// Defined by the worker script: forwards a progress line to the page.
    #[wasm_bindgen(js_name = custodiaProgress)]
    fn js_progress(message: &str);
}

#[cfg(not(target_arch = "wasm32"))]
fn js_progress(_message: &str) {}

/// The files a user picked, and the checks they allow. Used from JavaScript as
/// `const v = new Verifier(); v.add(name, bytes); …; JSON.parse(v.check())`.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Verifier {
    bundle: Bundle,
}

#[wasm_bindgen]
impl Verifier {
    /// An empty set of files.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one picked file (a round file, an inclusion file, a batch proof, or a zip of any of
    /// them). Returns JSON: `{"status":"ok","kind":…}` where kind is `round`, `inclusion`,
    /// `batch-proof`, `batch-public`, `archive` (with `files`, how many Custodia files it held)
    /// or `ignored`; or `{"status":"error","reason":…}` (e.g. two different rounds).
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) -> String {
        match self.bundle.add_bytes(name, bytes) {
            Ok(added) => {
                let (kind, files) = match added {
                    Added::Round => ("round", 1),
                    Added::Inclusion => ("inclusion", 1),
                    Added::BatchProof(_) => ("batch-proof", 1),
                    Added::BatchPublic(_) => ("batch-public", 1),
                    Added::Archive(n) => ("archive", n),
                    Added::Ignored => ("ignored", 0),
                };
                json!({"status": "ok", "kind": kind, "files": files}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": e.0}).to_string(),
        }
    }

    /// The root the exchange published, as the user pasted it (64 hex characters, `0x` and
    /// surrounding spaces allowed): the check then rejects a `round.json` with any other root.
    /// Returns `{"status":"ok"}`, or `{"status":"error","reason":…}` for a malformed root.
    #[wasm_bindgen(js_name = expectRoot)]
    pub fn expect_root(&mut self, hex: &str) -> String {
        match Digest::from_hex(hex.trim()) {
            Ok(root) => {
                self.bundle.expect_root(root);
                json!({"status": "ok"}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": format!("root: {e}")}).to_string(),
        }
    }

    /// Runs every check the files allow (the root given to `expectRoot`, each inclusion file
    /// with its batch proof, the whole round when every batch proof is present), calling the
    /// worker's `custodiaProgress` as it goes. Returns the JSON every Custodia verifier prints
    /// (schema `custodia-verify/1`, see docs/verify.md): `status` is `verified`, `rejected` or
    /// `error`, with `summary`, `checks: [{kind, ok, text}]`, `balances`, `totals`, `notes`.
    pub fn check(&self) -> String {
        let progress = |step: Step| match step {
            Step::User { batch } => {
                js_progress(&format!(
                    "Checking your inclusion and batch {batch}'s proof…"
                ));
            }
            Step::Batch { done, of } => {
                js_progress(&format!(
                    "Whole round: {done} of {of} batch proofs verified…"
                ));
            }
        };
        match self.bundle.check(progress) {
            Ok(report) => JsonReport::of(&report).to_json(),
            Err(e) => JsonReport::error(&e).to_json(),
        }
    }
}
