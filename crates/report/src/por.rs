//! The proof-of-reserves section, read from a round's **public** folder.
//!
//! Only the files `por publish` writes are read: `round.json` (the round, its snapshot time, its
//! root and the per-asset totals the proofs bind), `proofs/aggregate.json` (written once every
//! batch proof verified together), and `reserves.json` (the proof of assets: verified wallets and
//! reserve ratios). Each file's SHA-256 is recorded so a reader can tell which files a figure
//! came from. Whether the proofs verify is not decided here: the binary runs the verifier and
//! passes its verdict in ([`ProofStatus`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ReportError;

/// Public files larger than this are refused before reading (a hostile folder cannot make the
/// report allocate without bound; real `reserves.json` files with thousands of wallets are a few
/// megabytes).
const MAX_FILE: u64 = 64 << 20;

/// What the verifier said about the round's proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ProofStatus {
    /// Every batch proof and the chain between them verified, and the totals match.
    Verified {
        /// What was checked, in words.
        detail: String,
    },
    /// The verifier rejected the round.
    Failed {
        /// Why.
        reason: String,
    },
    /// Nobody ran the verifier for this report.
    NotChecked,
}

/// Where the round's files are and what the verifier said.
#[derive(Debug, Clone)]
pub struct PorInput {
    /// The round's public folder (`por publish --out`).
    pub dir: PathBuf,
    /// Last month's public folder, for the round-over-round change.
    pub previous: Option<PathBuf>,
    /// The verifier's verdict.
    pub proof: ProofStatus,
}

/// One public file behind the section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRef {
    /// Path inside the public folder.
    pub path: String,
    /// SHA-256 of its bytes (64 hex digits).
    pub sha256: String,
}

/// One asset: what users hold and what the exchange holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetLine {
    /// Symbol.
    pub asset: String,
    /// Decimals of its smallest unit.
    pub decimals: u8,
    /// Users' equity, smallest units (the proven total).
    pub user_equity: String,
    /// Users' debt, smallest units (the proven total).
    pub user_debt: String,
    /// Equity minus debt, smallest units: what the exchange owes its users.
    pub net_liabilities: String,
    /// Verified on-chain reserves, smallest units (`None`: no proof of assets for this asset).
    pub reserves: Option<String>,
    /// Reserves over net liabilities, basis points (`None`: not computed).
    pub ratio_bps: Option<i64>,
    /// `covered`, `below100`, `not_verifiable`, or `no_proof_of_assets`.
    pub status: String,
}

/// The proof of assets' summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetsSummary {
    /// Wallets whose ownership signature verified.
    pub wallets_verified: u64,
    /// Wallets rejected.
    pub wallets_rejected: u64,
    /// Assets whose reserves are below net liabilities.
    pub assets_below_100: Vec<String>,
    /// Assets that could not be checked.
    pub assets_not_verifiable: Vec<String>,
    /// Every asset at or above 100 %.
    pub all_covered: bool,
}

/// One asset's change against last month's round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetChange {
    /// Symbol.
    pub asset: String,
    /// Last round's net liabilities, smallest units.
    pub net_liabilities_before: String,
    /// This round's.
    pub net_liabilities_after: String,
    /// Last round's ratio, basis points.
    pub ratio_bps_before: Option<i64>,
    /// This round's.
    pub ratio_bps_after: Option<i64>,
}

/// This round against the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundChange {
    /// The previous round's id.
    pub previous_round: String,
    /// Its snapshot time.
    pub previous_snapshot_time: String,
    /// Its root.
    pub previous_root: String,
    /// Per asset present in both rounds, in this round's order.
    pub assets: Vec<AssetChange>,
    /// Assets listed this round and not the last.
    pub added: Vec<String>,
    /// Assets listed last round and not this one.
    pub removed: Vec<String>,
    /// Files of the previous round read.
    pub files: Vec<FileRef>,
}

/// The proof-of-reserves section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PorSection {
    /// Round id.
    pub round: String,
    /// Snapshot time (RFC 3339).
    pub snapshot_time: String,
    /// The round's file format.
    pub format: String,
    /// The Merkle root users check their inclusion against.
    pub root: String,
    /// Batches proven (from the aggregate), if aggregated.
    pub batches: Option<u64>,
    /// Leaves in the tree (users padded to a power of two), if aggregated.
    pub leaves: Option<u64>,
    /// Conjectured security of the proofs, bits, if aggregated.
    pub security_bits: Option<u64>,
    /// The verifier's verdict.
    pub proof: ProofStatus,
    /// Per asset, in the round's order.
    pub assets: Vec<AssetLine>,
    /// Proof of assets summary (`None`: no `reserves.json` published).
    pub reserves: Option<AssetsSummary>,
    /// Change against the previous round.
    pub change: Option<RoundChange>,
    /// The files read.
    pub files: Vec<FileRef>,
}

#[derive(Deserialize)]
struct RoundJson {
    format: String,
    round: String,
    snapshot_time: String,
    root: String,
    totals: Vec<TotalJson>,
}

#[derive(Deserialize)]
struct TotalJson {
    asset: String,
    decimals: u8,
    equity: String,
    debt: String,
}

#[derive(Deserialize)]
struct AggregateJson {
    round: String,
    root: String,
    batches: u64,
    leaves: u64,
    security_bits: u64,
}

#[derive(Deserialize)]
struct ReservesJson {
    round: String,
    summary: ReservesSummaryJson,
    assets: Vec<ReserveAssetJson>,
}

#[derive(Deserialize)]
struct ReservesSummaryJson {
    wallets_verified: u64,
    wallets_rejected: u64,
    #[serde(default)]
    assets_below_100: Vec<String>,
    #[serde(default)]
    assets_not_verifiable: Vec<String>,
    all_covered: bool,
}

#[derive(Deserialize)]
struct ReserveAssetJson {
    asset: String,
    reserves: String,
    ratio_bps: Option<i64>,
    status: String,
}

/// Reads one file, bounded, returning its bytes and its reference; `Ok(None)` when absent.
fn read(dir: &Path, rel: &str) -> Result<Option<(Vec<u8>, FileRef)>, ReportError> {
    let path = dir.join(rel);
    let err = |reason: String| ReportError::RoundFile {
        path: path.display().to_string(),
        reason,
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(e.to_string())),
    };
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > MAX_FILE {
        return Err(err(format!(
            "{} bytes, more than the {MAX_FILE} a public round file may have",
            meta.len()
        )));
    }
    let bytes = std::fs::read(&path).map_err(|e| err(e.to_string()))?;
    let r = FileRef {
        path: rel.to_owned(),
        sha256: hex::encode(Sha256::digest(&bytes)),
    };
    Ok(Some((bytes, r)))
}

fn parse<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    rel: &str,
    bytes: &[u8],
) -> Result<T, ReportError> {
    serde_json::from_slice(bytes).map_err(|e| ReportError::RoundFile {
        path: dir.join(rel).display().to_string(),
        reason: format!("not the expected JSON: {e}"),
    })
}

fn units(dir: &Path, rel: &str, what: &str, s: &str) -> Result<u128, ReportError> {
    s.parse::<u128>().map_err(|_| ReportError::RoundFile {
        path: dir.join(rel).display().to_string(),
        reason: format!("{what} {s:?} is not a whole number of smallest units"),
    })
}

fn mismatch(
    what: &'static str,
    a: &'static str,
    av: &str,
    b: &'static str,
    bv: &str,
) -> ReportError {
    ReportError::RoundMismatch {
        what,
        a,
        a_value: av.to_owned(),
        b,
        b_value: bv.to_owned(),
    }
}

struct Loaded {
    section: PorSection,
}

fn load_dir(dir: &Path, proof: ProofStatus) -> Result<Loaded, ReportError> {
    let (round_bytes, round_ref) =
        read(dir, "round.json")?.ok_or_else(|| ReportError::RoundFile {
            path: dir.join("round.json").display().to_string(),
            reason: "missing: give the round's public folder (written by `custodia por publish`)"
                .into(),
        })?;
    let round: RoundJson = parse(dir, "round.json", &round_bytes)?;
    let mut files = vec![round_ref];

    let aggregate = match read(dir, "proofs/aggregate.json")? {
        Some((b, r)) => {
            let a: AggregateJson = parse(dir, "proofs/aggregate.json", &b)?;
            if a.round != round.round {
                return Err(mismatch(
                    "round id",
                    "round.json",
                    &round.round,
                    "proofs/aggregate.json",
                    &a.round,
                ));
            }
            if a.root != round.root {
                return Err(mismatch(
                    "root",
                    "round.json",
                    &round.root,
                    "proofs/aggregate.json",
                    &a.root,
                ));
            }
            files.push(r);
            Some(a)
        }
        None => None,
    };

    let reserves = match read(dir, "reserves.json")? {
        Some((b, r)) => {
            let j: ReservesJson = parse(dir, "reserves.json", &b)?;
            if j.round != round.round {
                return Err(mismatch(
                    "round id",
                    "round.json",
                    &round.round,
                    "reserves.json",
                    &j.round,
                ));
            }
            files.push(r);
            Some(j)
        }
        None => None,
    };

    let mut assets = Vec::with_capacity(round.totals.len());
    for t in &round.totals {
        let equity = units(dir, "round.json", "equity", &t.equity)?;
        let debt = units(dir, "round.json", "debt", &t.debt)?;
        let owed = equity.saturating_sub(debt);
        let r = reserves
            .as_ref()
            .and_then(|j| j.assets.iter().find(|a| a.asset == t.asset));
        if let Some(r) = r {
            units(dir, "reserves.json", "reserves", &r.reserves)?;
        }
        assets.push(AssetLine {
            asset: t.asset.clone(),
            decimals: t.decimals,
            user_equity: equity.to_string(),
            user_debt: debt.to_string(),
            net_liabilities: owed.to_string(),
            reserves: r.map(|r| r.reserves.clone()),
            ratio_bps: r.and_then(|r| r.ratio_bps),
            status: r.map_or_else(|| "no_proof_of_assets".to_owned(), |r| r.status.clone()),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Loaded {
        section: PorSection {
            round: round.round,
            snapshot_time: round.snapshot_time,
            format: round.format,
            root: round.root,
            batches: aggregate.as_ref().map(|a| a.batches),
            leaves: aggregate.as_ref().map(|a| a.leaves),
            security_bits: aggregate.as_ref().map(|a| a.security_bits),
            proof,
            assets,
            reserves: reserves.map(|j| AssetsSummary {
                wallets_verified: j.summary.wallets_verified,
                wallets_rejected: j.summary.wallets_rejected,
                assets_below_100: j.summary.assets_below_100,
                assets_not_verifiable: j.summary.assets_not_verifiable,
                all_covered: j.summary.all_covered,
            }),
            change: None,
            files,
        },
    })
}

impl PorInput {
    /// Reads the round (and the previous one, when given) from their public folders.
    pub fn load(&self) -> Result<PorSection, ReportError> {
        let Loaded { mut section, .. } = load_dir(&self.dir, self.proof.clone())?;
        if let Some(prev_dir) = &self.previous {
            let prev = load_dir(prev_dir, ProofStatus::NotChecked)?;
            if prev.section.round == section.round {
                return Err(mismatch(
                    "round id",
                    "this round",
                    &section.round,
                    "the previous round",
                    &prev.section.round,
                ));
            }
            let mut changes = Vec::new();
            let mut added = Vec::new();
            for a in &section.assets {
                match prev.section.assets.iter().find(|p| p.asset == a.asset) {
                    Some(p) => changes.push(AssetChange {
                        asset: a.asset.clone(),
                        net_liabilities_before: p.net_liabilities.clone(),
                        net_liabilities_after: a.net_liabilities.clone(),
                        ratio_bps_before: p.ratio_bps,
                        ratio_bps_after: a.ratio_bps,
                    }),
                    None => added.push(a.asset.clone()),
                }
            }
            let removed = prev
                .section
                .assets
                .iter()
                .filter(|p| !section.assets.iter().any(|a| a.asset == p.asset))
                .map(|p| p.asset.clone())
                .collect();
            section.change = Some(RoundChange {
                previous_round: prev.section.round,
                previous_snapshot_time: prev.section.snapshot_time,
                previous_root: prev.section.root,
                assets: changes,
                added,
                removed,
                files: prev.section.files,
            });
        }
        Ok(section)
    }
}
