//! The round folder's layout and the reads every later step makes.
//!
//! ```text
//! round.json                      public manifest (root, batch roots, totals, shape, prices)
//! assets.toml                     the round's asset list
//! prices.toml                     prices and haircuts, when given
//! inclusion/batch-NNNNN.jsonl     one inclusion proof per user (a line each), to deliver
//! private/seed                    the secret round seed (hex): nonces, placement, padding
//! private/batch-NNNNN.wit         batch NNNNN's private witness
//! private/boundary-NNNNN.json     chain boundary NNNNN: running totals and salt (secret); batch
//!                                 NNNNN's job needs boundaries NNNNN and NNNNN + 1
//! proofs/batch-NNNNN.proof        batch NNNNN's STARK
//! proofs/batch-NNNNN.json         its public inputs
//! proofs/aggregate.json           the whole round checked
//! ```

use custodia_sumtree::{InclusionProof, ROUND_FORMAT, RoundManifest};
use custodia_verifier::round::{BatchFiles, RoundError};

use crate::{Blobs, Error};

/// The public manifest.
pub const MANIFEST: &str = "round.json";
/// The asset list.
pub const ASSETS: &str = "assets.toml";
/// The operator's prices and haircuts.
pub const PRICES: &str = "prices.toml";
/// Folder of the users' inclusion proofs.
pub const INCLUSION_DIR: &str = "inclusion";
/// Folder of the secrets: seed and witnesses.
pub const PRIVATE_DIR: &str = "private";
/// The round seed.
pub const SEED: &str = "private/seed";
/// Folder of the proofs.
pub const PROOFS_DIR: &str = "proofs";
/// The aggregate record.
pub const AGGREGATE: &str = "proofs/aggregate.json";
/// Largest `round.json` read (what the user-side verifier reads too).
pub const MAX_MANIFEST_BYTES: u64 = custodia_verifier::bundle::MAX_FILE_BYTES;

/// `batch-NNNNN.<ext>`: the file name of batch `b` in every folder.
pub fn batch_file(b: usize, ext: &str) -> String {
    format!("batch-{b:05}.{ext}")
}

/// Key of batch `b`'s witness.
pub fn witness_key(b: usize) -> String {
    format!("{PRIVATE_DIR}/{}", batch_file(b, "wit"))
}

/// Key of chain boundary `b`'s opening (running totals and salt; secret). Batch `b`'s job
/// reads boundaries `b` and `b + 1`.
pub fn boundary_key(b: usize) -> String {
    format!("{PRIVATE_DIR}/boundary-{b:05}.json")
}

/// Key of batch `b`'s inclusion proofs.
pub fn inclusion_key(b: usize) -> String {
    format!("{INCLUSION_DIR}/{}", batch_file(b, "jsonl"))
}

/// Key of batch `b`'s proof (`ext` = `proof`) or public inputs (`ext` = `json`).
pub fn proof_key(b: usize, ext: &str) -> String {
    format!("{PROOFS_DIR}/{}", batch_file(b, ext))
}

/// Reads and checks `round.json` (format tag only; [`custodia_verifier::round::check_manifest`]
/// checks the rest).
pub fn load_manifest(blobs: &dyn Blobs) -> Result<RoundManifest, Error> {
    let bytes = blobs.get_limited(MANIFEST, MAX_MANIFEST_BYTES)?;
    let m: RoundManifest =
        serde_json::from_slice(&bytes).map_err(|source| Error::NotAManifest {
            location: blobs.location(MANIFEST),
            source,
        })?;
    if m.format != ROUND_FORMAT {
        return Err(Error::ManifestFormat {
            location: blobs.location(MANIFEST),
            got: m.format,
            expected: ROUND_FORMAT,
        });
    }
    Ok(m)
}

/// Finds a user's inclusion proof among the round's inclusion files.
pub fn find_inclusion(blobs: &dyn Blobs, user: &str) -> Result<Option<InclusionProof>, Error> {
    let needle = format!("\"user_id\":\"{user}\"");
    for key in blobs.list(INCLUSION_DIR)? {
        if !key.ends_with(".jsonl") {
            continue;
        }
        let bytes = blobs.get(&key)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::storage(
                "reading",
                blobs.location(&key),
                std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            )
        })?;
        if let Some(line) = text.lines().find(|l| l.contains(&needle)) {
            return InclusionProof::from_json(line.as_bytes())
                .map(Some)
                .map_err(|source| Error::InclusionFile {
                    location: blobs.location(&key),
                    source,
                });
        }
    }
    Ok(None)
}

/// Reads batch `b`'s proof files, as the verifier's round check takes them: a missing or
/// unreadable file is the round's fault ([`RoundError::Missing`]), not the reader's.
pub fn read_batch(blobs: &dyn Blobs, b: usize) -> Result<BatchFiles, RoundError> {
    // A round folder may be hostile (the user downloaded it): read at most what a valid file
    // can hold.
    let read = |ext, limit: usize| {
        blobs
            .get_limited(&proof_key(b, ext), limit as u64)
            .map_err(|e| RoundError::Missing {
                batch: b,
                reason: e.located_cause(),
            })
    };
    Ok(BatchFiles {
        proof: read("proof", custodia_air::format::MAX_PROOF_BYTES)?,
        public: read("json", custodia_verifier::round::MAX_PUBLIC_BYTES)?,
    })
}
