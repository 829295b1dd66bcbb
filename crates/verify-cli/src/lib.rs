#![doc = include_str!("../README.md")]
//!
//! # Security
//!
//! Every input is hostile: files are read with size limits before parsing, folders are walked to a
//! bounded depth and file count, and nothing in a proof or public-input file is trusted (the
//! verifier compares every public input with `round.json`). The only thing taken on faith is
//! `round.json`'s root, which the user must compare with the root the exchange published.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use custodia_sumtree::{InclusionProof, RoundManifest};
use custodia_verifier::round::{BatchFiles, RoundError, verify_round, verify_user};

/// Largest file read (a batch proof is about half a megabyte).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest JSON file sniffed for its `format` (round.json of a very large round included).
pub const MAX_JSON_BYTES: u64 = 64 << 20;
/// Deepest folder walked below a path given on the command line.
pub const MAX_DEPTH: usize = 4;
/// Most files looked at in total.
pub const MAX_FILES: usize = 1 << 20;

const ROUND_FORMAT: &str = "custodia-round/1";
const INCLUSION_FORMAT: &str = "custodia-inclusion/1";

/// An input error: the files cannot be checked at all (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

fn input<T>(msg: impl Into<String>) -> Result<T, InputError> {
    Err(InputError(msg.into()))
}

/// The files found among the paths given.
#[derive(Debug, Default)]
pub struct Found {
    /// `round.json` (path).
    pub round: Option<PathBuf>,
    /// Inclusion files.
    pub inclusions: Vec<PathBuf>,
    /// Batch index → proof path.
    pub proofs: BTreeMap<usize, PathBuf>,
    /// Batch index → public-inputs path.
    pub publics: BTreeMap<usize, PathBuf>,
}

/// Reads at most `limit` bytes of a file; larger files are an input error.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, InputError> {
    let f = fs::File::open(path)
        .map_err(|e| InputError(format!("cannot open {}: {e}", path.display())))?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| InputError(format!("cannot read {}: {e}", path.display())))?;
    if buf.len() as u64 > limit {
        return input(format!(
            "{} is larger than {limit} bytes: not a Custodia file",
            path.display()
        ));
    }
    Ok(buf)
}

/// `batch-NNNNN.<ext>` → `NNNNN`.
fn batch_number(name: &str, ext: &str) -> Option<usize> {
    let digits = name.strip_prefix("batch-")?.strip_suffix(ext)?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The `format` field of a JSON object, if the file is one.
fn json_format(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    v.get("format")?.as_str().map(str::to_owned)
}

fn classify(path: &Path, found: &mut Found) -> Result<(), InputError> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(());
    };
    if let Some(b) = batch_number(name, ".proof") {
        found.proofs.insert(b, path.to_path_buf());
        return Ok(());
    }
    if let Some(b) = batch_number(name, ".json") {
        found.publics.insert(b, path.to_path_buf());
        return Ok(());
    }
    if !name.ends_with(".json") {
        return Ok(());
    }
    let Ok(bytes) = read_limited(path, MAX_JSON_BYTES) else {
        return Ok(()); // an unrelated large file
    };
    match json_format(&bytes).as_deref() {
        Some(ROUND_FORMAT) => match &found.round {
            Some(other) if fs::canonicalize(other).ok() != fs::canonicalize(path).ok() => {
                return input(format!(
                    "two round manifests found: {} and {}; name only one round's files",
                    other.display(),
                    path.display()
                ));
            }
            _ => found.round = Some(path.to_path_buf()),
        },
        Some(INCLUSION_FORMAT) => found.inclusions.push(path.to_path_buf()),
        _ => {}
    }
    Ok(())
}

fn walk(dir: &Path, depth: usize, found: &mut Found, seen: &mut usize) -> Result<(), InputError> {
    let entries =
        fs::read_dir(dir).map_err(|e| InputError(format!("cannot list {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        *seen += 1;
        if *seen > MAX_FILES {
            return input(format!("more than {MAX_FILES} files under the paths given"));
        }
        // Do not follow links out of the folder, and skip the exchange's private data.
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            let skip = p.file_name().is_some_and(|n| n == "private");
            if depth < MAX_DEPTH && !skip {
                walk(&p, depth + 1, found, seen)?;
            }
        } else if meta.is_file() {
            classify(&p, found)?;
        }
    }
    Ok(())
}

/// Finds round.json, the proofs and the inclusion files among `paths` (files or folders).
pub fn discover(paths: &[PathBuf]) -> Result<Found, InputError> {
    let mut found = Found::default();
    let mut seen = 0;
    for p in paths {
        let meta =
            fs::metadata(p).map_err(|e| InputError(format!("cannot open {}: {e}", p.display())))?;
        if meta.is_dir() {
            walk(p, 0, &mut found, &mut seen)?;
        } else {
            let before = (
                found.round.is_some(),
                found.inclusions.len(),
                found.proofs.len(),
                found.publics.len(),
            );
            classify(p, &mut found)?;
            let after = (
                found.round.is_some(),
                found.inclusions.len(),
                found.proofs.len(),
                found.publics.len(),
            );
            if before == after && found.round.as_deref().is_none_or(|r| r != p.as_path()) {
                return input(format!(
                    "{} is not a Custodia file (round.json, batch-NNNNN.proof/.json or an inclusion file)",
                    p.display()
                ));
            }
        }
    }
    found.inclusions.sort();
    found.inclusions.dedup();
    Ok(found)
}

/// One check's outcome, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether it verified.
    pub ok: bool,
    /// What it established, or why it was rejected.
    pub text: String,
}

/// Everything the verifier concluded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The round id.
    pub round: String,
    /// The root `round.json` states (the user compares it with the published one).
    pub root: String,
    /// Each check, in order.
    pub findings: Vec<Finding>,
    /// Notes that are neither verified nor rejected (e.g. a check skipped for lack of files).
    pub notes: Vec<String>,
}

impl Report {
    /// True when every check verified.
    pub fn verified(&self) -> bool {
        self.findings.iter().all(|f| f.ok)
    }
}

fn load_batch(found: &Found, b: usize) -> Result<BatchFiles, RoundError> {
    let read = |map: &BTreeMap<usize, PathBuf>, ext: &str| {
        let p = map.get(&b).ok_or_else(|| RoundError::Missing {
            batch: b,
            reason: format!("batch-{b:05}.{ext} was not given"),
        })?;
        read_limited(p, MAX_FILE_BYTES).map_err(|e| RoundError::Missing {
            batch: b,
            reason: e.0,
        })
    };
    Ok(BatchFiles {
        proof: read(&found.proofs, "proof")?,
        public: read(&found.publics, "json")?,
    })
}

fn balances_text(v: &custodia_sumtree::VerifiedInclusion) -> String {
    let held: Vec<String> = v
        .balances
        .iter()
        .filter(|(_, _, e, d)| !(e.is_zero() && d.is_zero()))
        .map(|(id, dec, e, d)| {
            if d.is_zero() {
                format!("{id} {}", e.to_decimal(*dec))
            } else {
                format!("{id} {} (debt {})", e.to_decimal(*dec), d.to_decimal(*dec))
            }
        })
        .collect();
    if held.is_empty() {
        "(all zero)".to_owned()
    } else {
        held.join(", ")
    }
}

/// Runs every check the files allow. `Err` is an input error (exit code 2); a rejection is a
/// [`Finding`] with `ok == false` (exit code 1).
pub fn check(found: &Found) -> Result<Report, InputError> {
    let Some(round_path) = &found.round else {
        return input(
            "no round.json found: give the round folder, or round.json together with your \
             inclusion file and the batch proofs",
        );
    };
    let bytes = read_limited(round_path, MAX_JSON_BYTES)?;
    let m: RoundManifest = serde_json::from_slice(&bytes).map_err(|e| {
        InputError(format!(
            "{}: not a valid round.json: {e}",
            round_path.display()
        ))
    })?;
    let n = m.batch_roots.len();
    let mut report = Report {
        round: m.round.clone(),
        root: m.root.to_hex(),
        ..Report::default()
    };
    let complete =
        n > 0 && (0..n).all(|b| found.proofs.contains_key(&b) && found.publics.contains_key(&b));
    if found.inclusions.is_empty() && !complete {
        return input(format!(
            "nothing to check: no inclusion file (format {INCLUSION_FORMAT}) and {} of the round's {n} batch proofs",
            (0..n)
                .filter(|b| found.proofs.contains_key(b) && found.publics.contains_key(b))
                .count()
        ));
    }
    for path in &found.inclusions {
        let bytes = read_limited(path, MAX_JSON_BYTES)?;
        let proof = match InclusionProof::from_json(&bytes) {
            Ok(p) => p,
            Err(e) => {
                report.findings.push(Finding {
                    ok: false,
                    text: format!(
                        "{}: REJECTED, the inclusion file is malformed: {e}",
                        path.display()
                    ),
                });
                continue;
            }
        };
        // A batch proof the user did not supply is an input error, not a rejection.
        let batch =
            usize::try_from(proof.leaf_index >> m.shape.log_batch.min(63)).unwrap_or(usize::MAX);
        if batch < n && !(found.proofs.contains_key(&batch) && found.publics.contains_key(&batch)) {
            return input(format!(
                "{} is in batch {batch}: give proofs/batch-{batch:05}.proof and batch-{batch:05}.json too",
                path.display()
            ));
        }
        match verify_user(&m, &proof, |b| load_batch(found, b)) {
            Ok(v) => report.findings.push(Finding {
                ok: true,
                text: format!(
                    "VERIFIED: the balances of {} — {} — are included in round {} under root {} \
                     (leaf {}); batch {}'s proof that every user in the batch has non-negative, \
                     collateralised balances and that the batch totals are exact is valid at \
                     {}-bit conjectured security.",
                    v.inclusion.user_id,
                    balances_text(&v.inclusion),
                    m.round,
                    report.root,
                    v.inclusion.leaf_index,
                    v.batch,
                    v.security_bits
                ),
            }),
            Err(e) => report.findings.push(Finding {
                ok: false,
                text: format!("{}: REJECTED: {e}", path.display()),
            }),
        }
    }
    if complete {
        match verify_round(&m, |b| load_batch(found, b), |_| {}) {
            Ok(v) => report.findings.push(Finding {
                ok: true,
                text: format!(
                    "VERIFIED: all {} batch proofs of round {} are valid at {}-bit conjectured \
                     security, so every one of the {} leaves has non-negative balances and debt \
                     covered by collateral after haircuts; the batch roots join into the root {}; \
                     and the published per-asset totals are the exact sums of the proven ones.",
                    v.batches,
                    v.round,
                    v.security_bits,
                    v.leaves,
                    v.root.to_hex()
                ),
            }),
            Err(e) => report.findings.push(Finding {
                ok: false,
                text: format!("REJECTED: round {}: {e}", m.round),
            }),
        }
    } else {
        report.notes.push(format!(
            "Whole-round check skipped: {} of the {n} batch proofs were given. Give the whole \
             proofs/ folder to check every batch and the published totals.",
            (0..n)
                .filter(|b| found.proofs.contains_key(b) && found.publics.contains_key(b))
                .count()
        ));
    }
    Ok(report)
}

/// Exit status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything checked verified (exit 0).
    Verified,
    /// Something was rejected (exit 1).
    Rejected,
    /// Usage or input error (exit 2).
    InputError,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Verified => 0,
            Self::Rejected => 1,
            Self::InputError => 2,
        }
    }
}

/// Discovers and checks: the whole program minus argument parsing and printing.
pub fn run(paths: &[PathBuf]) -> Result<Report, InputError> {
    if paths.is_empty() {
        return input("no paths given");
    }
    check(&discover(paths)?)
}
