#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use custodia_sumtree::{InclusionProof, RoundManifest};
use custodia_verifier::round::{BatchFiles, RoundError};
use serde_json::{Value, json};
use wasm_bindgen::prelude::wasm_bindgen;

fn error(reason: impl Into<String>) -> String {
    json!({"status": "error", "reason": reason.into()}).to_string()
}

fn rejected(reason: impl Into<String>) -> String {
    json!({"status": "rejected", "reason": reason.into()}).to_string()
}

fn manifest(round_json: &[u8]) -> Result<RoundManifest, String> {
    if round_json.len() > 64 << 20 {
        return Err("round.json is larger than 64 MiB".into());
    }
    serde_json::from_slice(round_json).map_err(|e| format!("round.json is not valid: {e}"))
}

/// The batch whose proof covers the user of `inclusion_json`, as JSON
/// `{"status":"ok","batch":N}` (or an error), so the page can pick that batch's files.
#[wasm_bindgen]
pub fn batch_of(inclusion_json: &[u8], round_json: &[u8]) -> String {
    let m = match manifest(round_json) {
        Ok(m) => m,
        Err(e) => return error(e),
    };
    match InclusionProof::from_json(inclusion_json) {
        Ok(p) => {
            json!({"status": "ok", "batch": p.leaf_index >> m.shape.log_batch.min(63)}).to_string()
        }
        Err(e) => error(format!("the inclusion file is not valid: {e}")),
    }
}

/// One user's full check: the inclusion proof against round.json's root, the batch proof
/// covering the user (every public input compared with round.json), and the user's path through
/// that batch's proven root. Returns JSON: `status` is `verified` (with `text`, `round`, `root`,
/// `user_id`, `balances`, `batch`, `security_bits`), `rejected` or `error` (with `reason`).
#[wasm_bindgen]
pub fn verify_user(
    inclusion_json: &[u8],
    round_json: &[u8],
    batch_proof: &[u8],
    batch_public_json: &[u8],
) -> String {
    let m = match manifest(round_json) {
        Ok(m) => m,
        Err(e) => return error(e),
    };
    let proof = match InclusionProof::from_json(inclusion_json) {
        Ok(p) => p,
        Err(e) => return rejected(format!("the inclusion file is malformed: {e}")),
    };
    let files = BatchFiles {
        proof: batch_proof.to_vec(),
        public: batch_public_json.to_vec(),
    };
    match custodia_verifier::round::verify_user(&m, &proof, |_| Ok::<_, RoundError>(files)) {
        Ok(v) => {
            let balances: Vec<Value> = v
                .inclusion
                .balances
                .iter()
                .filter(|(_, _, e, d)| !(e.is_zero() && d.is_zero()))
                .map(|(id, dec, e, d)| {
                    json!({"asset": id.to_string(), "equity": e.to_decimal(*dec), "debt": d.to_decimal(*dec)})
                })
                .collect();
            let held: Vec<String> = balances
                .iter()
                .map(|b| {
                    if b["debt"] == "0" {
                        format!(
                            "{} {}",
                            b["asset"].as_str().unwrap_or(""),
                            b["equity"].as_str().unwrap_or("")
                        )
                    } else {
                        format!(
                            "{} {} (debt {})",
                            b["asset"].as_str().unwrap_or(""),
                            b["equity"].as_str().unwrap_or(""),
                            b["debt"].as_str().unwrap_or("")
                        )
                    }
                })
                .collect();
            let text = format!(
                "Your balances ({}) are included in round {} under root {}; batch {}'s proof that \
                 every user in the batch has non-negative, collateralised balances and that the \
                 batch totals are exact is valid at {}-bit conjectured security.",
                if held.is_empty() {
                    "all zero".to_owned()
                } else {
                    held.join(", ")
                },
                m.round,
                m.root.to_hex(),
                v.batch,
                v.security_bits
            );
            json!({
                "status": "verified", "text": text, "round": m.round, "root": m.root.to_hex(),
                "user_id": v.inclusion.user_id.to_string(), "balances": balances, "batch": v.batch,
                "security_bits": v.security_bits,
            })
            .to_string()
        }
        Err(e) => rejected(e.to_string()),
    }
}
