#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use custodia_verifier::Digest;
use custodia_verifier::bundle::{
    Added, Bundle, InputError, JsonReport, Report, Step, check_rounds,
};
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
///
/// Each zip is kept apart until the check: zips of different rounds (one per month) are checked
/// as several rounds with their chain; zips and loose files of one round are checked together.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Verifier {
    loose: Bundle,
    zips: Vec<Bundle>,
    roots: Vec<Digest>,
}

fn is_zip(name: &str, bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || name.to_ascii_lowercase().ends_with(".zip")
}

impl Verifier {
    /// Groups the files by round and checks them: one round as before, several with their
    /// chain.
    fn run(&mut self, progress: &mut dyn FnMut(&str, Step)) -> Result<Report, InputError> {
        let mut groups: Vec<Bundle> = std::mem::take(&mut self.zips);
        let loose = std::mem::take(&mut self.loose);
        if !loose.is_empty() {
            groups.push(loose);
        }
        let mut rounds: Vec<Vec<u8>> = groups
            .iter()
            .filter_map(|b| b.round_bytes().map(<[u8]>::to_vec))
            .collect();
        rounds.sort_unstable();
        rounds.dedup();
        if rounds.len() <= 1 {
            let mut one = Bundle::new();
            for g in groups {
                one.absorb(g)?;
            }
            match self.roots.as_slice() {
                [] => {}
                [root] => one.expect_root(*root),
                _ => return Err(InputError("several roots for one round".into())),
            }
            return one.check(|s| progress("", s));
        }
        // Several rounds: the files without a round.json cannot be placed.
        let mut merged: Vec<Bundle> = Vec::new();
        for g in groups {
            let Some(bytes) = g.round_bytes().map(<[u8]>::to_vec) else {
                return Err(InputError(
                    "files of several rounds were given, and some are not inside a round's zip: \
                     give one zip (or folder) per round, each with its round.json"
                        .into(),
                ));
            };
            match merged
                .iter_mut()
                .find(|m| m.round_bytes() == Some(bytes.as_slice()))
            {
                Some(m) => m.absorb(g)?,
                None => merged.push(g),
            }
        }
        check_rounds(&merged, &self.roots, |round, s| progress(round, s))
    }
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
        let added = if is_zip(name, &bytes) {
            let mut b = Bundle::new();
            let added = b.add_bytes(name, bytes);
            self.zips.push(b);
            added
        } else {
            self.loose.add_bytes(name, bytes)
        };
        match added {
            Ok(added) => {
                let (kind, files) = match added {
                    Added::Round => ("round", 1),
                    Added::Inclusion => ("inclusion", 1),
                    Added::BatchProof(_) => ("batch-proof", 1),
                    Added::BatchPublic(_) => ("batch-public", 1),
                    Added::Archive(n) => ("archive", n),
                    Added::Reserves => ("reserves", 1),
                    Added::Wallets => ("wallets", 1),
                    Added::Ignored => ("ignored", 0),
                };
                json!({"status": "ok", "kind": kind, "files": files}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": e.0}).to_string(),
        }
    }

    /// The root the exchange published, as the user pasted it (64 hex characters, `0x` and
    /// surrounding spaces allowed): the check then rejects a `round.json` with any other root.
    /// With several rounds, once per round (each must be one of the rounds' roots).
    /// Returns `{"status":"ok"}`, or `{"status":"error","reason":…}` for a malformed root.
    #[wasm_bindgen(js_name = expectRoot)]
    pub fn expect_root(&mut self, hex: &str) -> String {
        match Digest::from_hex(hex.trim()) {
            Ok(root) => {
                self.roots.push(root);
                json!({"status": "ok"}).to_string()
            }
            Err(e) => json!({"status": "error", "reason": format!("root: {e}")}).to_string(),
        }
    }

    /// Runs every check the files allow (the root given to `expectRoot`, each inclusion file
    /// with its batch proof, the whole round when every batch proof is present, the reserve
    /// ratios when `reserves.json` and the wallet file are present; with zips of several
    /// rounds, each round and their chain), calling the worker's `custodiaProgress` as it goes.
    /// The files are used up: add them again to check again. Returns the JSON every Custodia verifier prints
    /// (schema `custodia-verify/1`, see docs/verify.md): `status` is `verified`, `rejected` or
    /// `error`, with `summary`, `checks: [{kind, ok, text}]`, `balances`, `totals`, `notes`.
    pub fn check(&mut self) -> String {
        let mut progress = |round: &str, step: Step| {
            let of = if round.is_empty() {
                String::new()
            } else {
                format!("Round {round}: ")
            };
            match step {
                Step::User { batch } => {
                    js_progress(&format!(
                        "{of}checking your inclusion and batch {batch}'s proof…"
                    ));
                }
                Step::Batch { done, of: n } => {
                    js_progress(&format!(
                        "{of}whole round: {done} of {n} batch proofs verified…"
                    ));
                }
            }
        };
        match self.run(&mut progress) {
            Ok(report) => JsonReport::of(&report).to_json(),
            Err(e) => JsonReport::error(&e).to_json(),
        }
    }
}
