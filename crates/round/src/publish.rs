//! `por publish`: the part of a round folder the world may see, copied out by an allow-list.
//!
//! The round folder mixes public files with the exchange's secrets: `private/` (the round seed,
//! every batch witness, the running totals between batches) and `inclusion/` (every user's id,
//! balances and nonce, to be delivered to each user alone). Publishing copies only the files
//! named here; anything else found in the folder is kept back and reported by name, so a file
//! added later is private until someone decides otherwise.

use std::path::{Path, PathBuf};

use crate::folder::{AGGREGATE, ASSETS, MANIFEST, PRICES, load_manifest, proof_key};
use crate::{Blobs, Error};

/// Files copied when present, besides the batch proofs: the manifest, the asset list, prices and
/// haircuts, and the proof of assets (its report, its chart data and the signed wallet file).
/// Not `reserves.toml`: it names the exchange's nodes and their credential files.
pub const PUBLIC_FILES: &[&str] = &[
    MANIFEST,
    ASSETS,
    PRICES,
    AGGREGATE,
    "reserves.json",
    "reserves-chart.json",
    "wallets.csv",
    "wallets.json",
];

/// What [`publish_public`] wrote and what it kept back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// Round id.
    pub round: String,
    /// Every key written to the public folder, sorted.
    pub files: Vec<String>,
    /// Keys of the round folder not copied (private or unknown), sorted.
    pub kept_back: Vec<String>,
    /// Whether `proofs/aggregate.json` (the round checked by `por aggregate`) was among them.
    pub aggregate: bool,
}

/// Refuses a public folder that is the round folder, inside it, or holding it: publishing
/// replaces the whole target folder, and the round's secrets must never land in (or be wiped
/// from) a folder meant for the world. Paths are compared after resolving links (a target that
/// does not exist yet is resolved through its nearest existing parent).
pub fn check_publish_paths(round: &Path, out: &Path) -> Result<(), Error> {
    let round_abs = resolve(round);
    let out_abs = resolve(out);
    if out_abs.starts_with(&round_abs) || round_abs.starts_with(&out_abs) {
        return Err(Error::PublishOverlap {
            round: round.display().to_string(),
            out: out.display().to_string(),
        });
    }
    Ok(())
}

/// `p` made absolute with links resolved, as far as it exists.
fn resolve(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return abs,
        }
    }
}

/// Copies the public part of the round in `round` into `out`, replacing `out` at once (refused
/// when it holds anything and `replace` is false). The round must be complete: a manifest the
/// verifier accepts and both files of every batch proof; an unproven round is refused, since
/// nobody could check it.
pub fn publish_public(
    round: &dyn Blobs,
    out: &dyn Blobs,
    replace: bool,
) -> Result<Published, Error> {
    let m = load_manifest(round)?;
    custodia_verifier::round::check_manifest(&m)?;
    let mut files = Vec::new();
    for b in 0..m.shape.num_batches() {
        for ext in ["proof", "json"] {
            let key = proof_key(b, ext);
            if !round.exists(&key)? {
                return Err(Error::NotProven {
                    batch: b,
                    location: round.location(&key),
                });
            }
            files.push(key);
        }
    }
    for key in PUBLIC_FILES {
        if round.exists(key)? {
            files.push((*key).to_owned());
        }
    }
    files.sort();
    let kept_back: Vec<String> = round
        .list("")?
        .into_iter()
        .filter(|k| files.binary_search(k).is_err())
        .collect();
    if !replace && !out.is_empty()? {
        return Err(Error::FolderNotEmpty {
            location: out.location(""),
        });
    }
    out.publish_folder(&mut |staged| {
        for key in &files {
            staged.put(key, &round.get(key)?)?;
        }
        Ok(())
    })?;
    Ok(Published {
        round: m.round,
        aggregate: files.iter().any(|k| k == AGGREGATE),
        files,
        kept_back,
    })
}
