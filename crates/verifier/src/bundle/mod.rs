//! What a user hands the verifier, in whatever arrangement, and the plain-words report.
//!
//! Users get their files in many shapes: the round folder as published, a zip of it, their
//! inclusion file next to a few proofs, files renamed by a download manager. A [`Bundle`] takes
//! named [`Source`]s one at a time and sorts them by content and name: `round.json` is any JSON
//! with `"format": "custodia-round/1"`, an inclusion file any JSON with
//! `"format": "custodia-inclusion/1"`, batch proofs are `batch-NNNNN.proof` + `batch-NNNNN.json`,
//! and zip archives are opened (one level deep, anything under a `private/` folder skipped).
//! [`Bundle::check`] then runs every check the files allow and says what each established.
//!
//! The CLI (`custodia-verify`) feeds it files from disk, the browser page feeds it what the user
//! picked; both print the same [`Report`].
//!
//! Every input is hostile: JSON is read with a size limit before it is parsed, zip entries are
//! decompressed through a limit (a zip bomb stops at the limit, it is never inflated in full),
//! archives have bounded entry counts, and batch proofs are only read when a check needs them.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Cursor, Read};
use std::sync::Arc;

use custodia_hash::Digest;
use custodia_sumtree::{InclusionProof, ROUND_FORMAT, RoundManifest};

use crate::round::{
    BatchFiles, RoundError, VerifiedRound, VerifiedUser, verify_round, verify_user,
};

pub mod disk;
mod report;
mod rounds;

pub use report::{
    AssetAmounts, CheckKind, Finding, JsonReport, Outcome, Report, ReserveLine, RoundLine, SCHEMA,
    UserBalances, group_digits, plural, round_totals, user_balances,
};
pub use rounds::check_rounds;

/// Largest file read (a batch proof is about a megabyte at 22 assets, six at 200).
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// Largest zip archive opened.
pub const MAX_ZIP_BYTES: u64 = 2 << 30;
/// Most entries looked at in one zip archive.
pub const MAX_ZIP_ENTRIES: usize = 1 << 16;
/// Most sources a bundle takes (files and zip entries together).
pub const MAX_SOURCES: usize = 1 << 20;

const INCLUSION_FORMAT: &str = custodia_sumtree::proof::FORMAT;
const RESERVES_FORMAT: &str = custodia_reserves_check::REPORT_FORMAT;
const WALLETS_FORMAT: &str = "custodia-wallets/1";
/// Older format tags, recognised only to say they are unsupported.
const OLD_FORMATS: &[&str] = &[
    "custodia-round/1",
    "custodia-inclusion/1",
    "custodia-inclusion/2",
    "custodia-inclusion/3",
    "custodia-inclusion/4",
];

/// The files cannot be checked at all: a usage or input problem, not a rejection.
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

/// A named file the bundle may read, at most `limit` bytes of it.
pub trait Source: Send + Sync {
    /// How the user would recognise it (a path, `archive.zip:round/round.json`, a file name).
    fn name(&self) -> &str;
    /// Its bytes; an error (in words) if it cannot be read or is larger than `limit`.
    fn read(&self, limit: u64) -> Result<Vec<u8>, String>;
}

/// A file already in memory (what a browser gives).
#[derive(Debug, Clone)]
pub struct Memory {
    name: String,
    bytes: Arc<[u8]>,
}

impl Memory {
    /// Wraps `bytes` under `name`.
    pub fn new(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

impl Source for Memory {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, limit: u64) -> Result<Vec<u8>, String> {
        if self.bytes.len() as u64 > limit {
            return Err(format!(
                "{} is larger than {limit} bytes: not a Custodia file",
                self.name
            ));
        }
        Ok(self.bytes.to_vec())
    }
}

/// A zip archive parsed once: its central directory is read when the archive is opened and
/// shared by every entry (cloning the archive clones a pointer), so reading n entries costs n
/// inflations, never n re-parses of the directory.
type Archive = zip::ZipArchive<Cursor<Arc<[u8]>>>;

/// One entry of a zip archive held in memory, inflated only when read.
#[derive(Debug, Clone)]
struct ZipEntry {
    name: String,
    archive: Archive,
    index: usize,
}

impl Source for ZipEntry {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, limit: u64) -> Result<Vec<u8>, String> {
        let mut zip = self.archive.clone();
        let entry = zip
            .by_index(self.index)
            .map_err(|e| format!("{}: {e}", self.name))?;
        // The declared size is only a hint; the limit is enforced on what actually comes out.
        let mut out = Vec::with_capacity(entry.size().min(limit).min(1 << 20) as usize);
        entry
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("{}: cannot inflate: {e}", self.name))?;
        if out.len() as u64 > limit {
            return Err(format!(
                "{} inflates to more than {limit} bytes: not a Custodia file",
                self.name
            ));
        }
        Ok(out)
    }
}

/// What [`Bundle::add`] made of a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The round's manifest.
    Round,
    /// A user's inclusion file.
    Inclusion,
    /// `batch-NNNNN.proof`.
    BatchProof(usize),
    /// `batch-NNNNN.json`.
    BatchPublic(usize),
    /// A zip archive; this many of its entries were Custodia files.
    Archive(usize),
    /// The exchange's proof-of-assets report (`reserves.json`).
    Reserves,
    /// The exchange's wallet file (`wallets.csv` / `wallets.json`).
    Wallets,
    /// Not a Custodia file.
    Ignored,
}

impl Added {
    /// Whether it was a Custodia file (or an archive holding some).
    pub fn recognised(self) -> bool {
        !matches!(self, Self::Ignored | Self::Archive(0))
    }
}

/// The files found so far.
#[derive(Default)]
pub struct Bundle {
    round: Option<(Box<dyn Source>, Vec<u8>)>,
    inclusions: Vec<(Box<dyn Source>, Vec<u8>)>,
    inclusion_index: std::collections::HashMap<u64, Vec<usize>>,
    proofs: BTreeMap<usize, Box<dyn Source>>,
    publics: BTreeMap<usize, Box<dyn Source>>,
    sources: usize,
    expected_root: Option<Digest>,
    reserves: Option<(String, Vec<u8>)>,
    wallets: Option<(String, Vec<u8>)>,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("round", &self.round.as_ref().map(|(s, _)| s.name()))
            .field(
                "inclusions",
                &self
                    .inclusions
                    .iter()
                    .map(|(s, _)| s.name())
                    .collect::<Vec<_>>(),
            )
            .field("proofs", &self.proofs.keys().collect::<Vec<_>>())
            .field("publics", &self.publics.keys().collect::<Vec<_>>())
            .field("expected_root", &self.expected_root)
            .finish()
    }
}

/// `batch-NNNNN.<ext>` → `NNNNN`.
fn batch_number(name: &str, ext: &str) -> Option<usize> {
    let digits = name.strip_prefix("batch-")?.strip_suffix(ext)?;
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The `format` field of a JSON object, if the bytes are one.
fn json_format(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        format: String,
    }
    serde_json::from_slice::<Head>(bytes).ok().map(|h| h.format)
}

fn base_name(name: &str) -> &str {
    // `archive.zip:dir/file` names zip entries.
    name.rsplit(['/', '\\', ':']).next().unwrap_or(name)
}

/// A zip archive starts with a local file header, or is an empty archive's end record.
fn looks_like_zip(name: &str, head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || name.to_ascii_lowercase().ends_with(".zip")
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Self {
        Self::default()
    }

    /// The root the exchange published, as the user copied it: [`Bundle::check`] then rejects a
    /// `round.json` with any other root (without it, the user must compare the printed root).
    pub fn expect_root(&mut self, root: Digest) {
        self.expected_root = Some(root);
    }

    /// Sorts one source in. Batch files are kept unread; JSON files are read (up to
    /// [`MAX_FILE_BYTES`]) to learn their format; zip archives are opened and their entries
    /// added. Unrelated files are [`Added::Ignored`]. Two different round manifests are an
    /// input error: a bundle holds one round.
    pub fn add(&mut self, source: Box<dyn Source>) -> Result<Added, InputError> {
        self.count()?;
        let name = base_name(source.name()).to_owned();
        if let Some(b) = batch_number(&name, ".proof") {
            self.proofs.insert(b, source);
            return Ok(Added::BatchProof(b));
        }
        if let Some(b) = batch_number(&name, ".json") {
            self.publics.insert(b, source);
            return Ok(Added::BatchPublic(b));
        }
        if name.to_ascii_lowercase().ends_with(".zip") {
            // Found among other files (a folder walk): an archive that cannot be opened is not
            // the user's round, so it is passed over; one named directly goes through
            // `add_bytes`, where it is an error.
            let Ok(bytes) = source.read(MAX_ZIP_BYTES) else {
                return Ok(Added::Ignored);
            };
            return self.add_zip(source.name(), bytes.into(), false);
        }
        if name.to_ascii_lowercase().ends_with(".csv") {
            let Ok(bytes) = source.read(MAX_FILE_BYTES) else {
                return Ok(Added::Ignored);
            };
            return self.add_csv(source.name(), bytes);
        }
        if !name.to_ascii_lowercase().ends_with(".json") {
            return Ok(Added::Ignored);
        }
        let Ok(bytes) = source.read(MAX_FILE_BYTES) else {
            return Ok(Added::Ignored); // an unrelated large file
        };
        self.add_json(source, bytes)
    }

    /// A CSV file is the exchange's wallet file when its header names the wallet columns.
    fn add_csv(&mut self, name: &str, bytes: Vec<u8>) -> Result<Added, InputError> {
        let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let header = String::from_utf8_lossy(header);
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        if !["chain", "address", "balance", "signatures"]
            .iter()
            .all(|c| columns.contains(c))
        {
            return Ok(Added::Ignored);
        }
        self.set_wallets(name, bytes)
    }

    fn set_wallets(&mut self, name: &str, bytes: Vec<u8>) -> Result<Added, InputError> {
        if let Some((other, known)) = &self.wallets
            && *known != bytes
        {
            return input(format!(
                "two different wallet files: {other} and {name}; give only one round's files"
            ));
        }
        self.wallets = Some((name.to_owned(), bytes));
        Ok(Added::Wallets)
    }

    /// Sorts in a file whose name says nothing (a browser may hand over `blob` names): zips and
    /// Custodia JSON are recognised by their bytes.
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) -> Result<Added, InputError> {
        let base = base_name(name);
        if batch_number(base, ".proof").is_some() || batch_number(base, ".json").is_some() {
            return self.add(Box::new(Memory::new(name, bytes)));
        }
        if looks_like_zip(name, &bytes) {
            self.count()?;
            return self.add_zip(name, bytes.into(), true);
        }
        if base.to_ascii_lowercase().ends_with(".csv") {
            self.count()?;
            return self.add_csv(name, bytes);
        }
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Ok(Added::Ignored);
        }
        self.count()?;
        let source: Box<dyn Source> = Box::new(Memory::new(name, bytes.clone()));
        self.add_json(source, bytes)
    }

    fn count(&mut self) -> Result<(), InputError> {
        self.sources += 1;
        if self.sources > MAX_SOURCES {
            return input(format!("more than {MAX_SOURCES} files given"));
        }
        Ok(())
    }

    fn add_json(&mut self, source: Box<dyn Source>, bytes: Vec<u8>) -> Result<Added, InputError> {
        match json_format(&bytes).as_deref() {
            Some(ROUND_FORMAT) => {
                if let Some((other, known)) = &self.round {
                    if *known != bytes {
                        return input(format!(
                            "two different round manifests: {} and {}; give only one round's files",
                            other.name(),
                            source.name()
                        ));
                    }
                    return Ok(Added::Round);
                }
                self.round = Some((source, bytes));
                Ok(Added::Round)
            }
            Some(f) if f == INCLUSION_FORMAT => {
                // Duplicates are found through a hash of the bytes, so n files cost n look-ups
                // (a hostile archive of many same-sized files stays linear).
                let key = {
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    std::hash::Hash::hash(&bytes, &mut h);
                    std::hash::Hasher::finish(&h)
                };
                let same = self.inclusion_index.entry(key).or_default();
                if !same.iter().any(|&i| self.inclusions[i].1 == bytes) {
                    same.push(self.inclusions.len());
                    self.inclusions.push((source, bytes));
                }
                Ok(Added::Inclusion)
            }
            Some(RESERVES_FORMAT) => {
                if let Some((other, known)) = &self.reserves
                    && *known != bytes
                {
                    return input(format!(
                        "two different reserves reports: {other} and {}; give only one round's \
                         files",
                        source.name()
                    ));
                }
                self.reserves = Some((source.name().to_owned(), bytes));
                Ok(Added::Reserves)
            }
            Some(WALLETS_FORMAT) => self.set_wallets(source.name(), bytes),
            Some(f) if OLD_FORMATS.contains(&f) => input(format!(
                "{}: unsupported format version `{f}`: this verifier reads `{ROUND_FORMAT}` and \
                 `{INCLUSION_FORMAT}`; the file was published by an older version",
                source.name()
            )),
            _ => Ok(Added::Ignored),
        }
    }

    /// Opens an archive and adds its entries. `strict`: an archive that cannot be opened is an
    /// input error (it was given on purpose) rather than [`Added::Ignored`].
    fn add_zip(
        &mut self,
        name: &str,
        archive: Arc<[u8]>,
        strict: bool,
    ) -> Result<Added, InputError> {
        let zip = match Archive::new(Cursor::new(archive)) {
            Ok(zip) => zip,
            Err(_) if !strict => return Ok(Added::Ignored),
            Err(e) => return input(format!("{name}: not a readable zip archive: {e}")),
        };
        if zip.len() > MAX_ZIP_ENTRIES {
            return input(format!(
                "{name}: {} entries, more than the {MAX_ZIP_ENTRIES} a round archive can hold",
                zip.len()
            ));
        }
        let mut entries = Vec::new();
        for index in 0..zip.len() {
            let Some(Ok(path)) = zip.name_for_index(index).map(|r| r.map(|p| p.into_owned()))
            else {
                continue;
            };
            let parts: Vec<&str> = path.split(['/', '\\']).collect();
            // Directories, the exchange's private data, macOS resource forks, nested archives.
            if path.ends_with('/')
                || parts.iter().any(|p| *p == "private" || *p == "__MACOSX")
                || path.to_ascii_lowercase().ends_with(".zip")
            {
                continue;
            }
            entries.push((index, format!("{name}:{path}")));
        }
        let mut recognised = 0;
        for (index, entry_name) in entries {
            let entry = ZipEntry {
                name: entry_name,
                archive: zip.clone(),
                index,
            };
            if self.add(Box::new(entry))?.recognised() {
                recognised += 1;
            }
        }
        Ok(Added::Archive(recognised))
    }

    /// Moves `other`'s files into this bundle: the same round's files that arrived in two
    /// pieces (a zip and loose files). Two different rounds are an input error, as in
    /// [`Bundle::add`].
    pub fn absorb(&mut self, other: Bundle) -> Result<(), InputError> {
        if let Some((source, bytes)) = other.round {
            self.add_json(source, bytes)?;
        }
        for (source, bytes) in other.inclusions {
            self.add_json(source, bytes)?;
        }
        for (b, source) in other.proofs {
            self.proofs.entry(b).or_insert(source);
        }
        for (b, source) in other.publics {
            self.publics.entry(b).or_insert(source);
        }
        if let Some((name, bytes)) = other.reserves {
            self.add_json(Box::new(Memory::new(name, bytes.clone())), bytes)?;
        }
        if let Some((name, bytes)) = other.wallets {
            self.set_wallets(&name, bytes)?;
        }
        self.sources += other.sources;
        if self.expected_root.is_none() {
            self.expected_root = other.expected_root;
        }
        Ok(())
    }

    /// Whether no file was added.
    pub fn is_empty(&self) -> bool {
        self.sources == 0
    }

    /// The round manifest's bytes, if one was found.
    pub fn round_bytes(&self) -> Option<&[u8]> {
        self.round.as_ref().map(|(_, b)| b.as_slice())
    }

    /// Whether batch `b`'s proof (`batch-NNNNN.proof`) was given.
    pub fn has_batch_proof(&self, b: usize) -> bool {
        self.proofs.contains_key(&b)
    }

    /// Whether batch `b`'s public inputs (`batch-NNNNN.json`) were given.
    pub fn has_batch_public(&self, b: usize) -> bool {
        self.publics.contains_key(&b)
    }

    /// Whether the exchange's reserves report was given.
    pub fn has_reserves(&self) -> bool {
        self.reserves.is_some()
    }

    /// Whether the exchange's wallet file was given.
    pub fn has_wallets(&self) -> bool {
        self.wallets.is_some()
    }

    /// How many inclusion files were found.
    pub fn inclusion_count(&self) -> usize {
        self.inclusions.len()
    }

    fn has_batch(&self, b: usize) -> bool {
        self.proofs.contains_key(&b) && self.publics.contains_key(&b)
    }

    fn load_batch(&self, b: usize) -> Result<BatchFiles, RoundError> {
        let read = |map: &BTreeMap<usize, Box<dyn Source>>, ext: &str| {
            let source = map.get(&b).ok_or_else(|| RoundError::Missing {
                batch: b,
                reason: format!("batch-{b:05}.{ext} was not given"),
            })?;
            source
                .read(MAX_FILE_BYTES)
                .map_err(|reason| RoundError::Missing { batch: b, reason })
        };
        Ok(BatchFiles {
            proof: read(&self.proofs, "proof")?,
            public: read(&self.publics, "json")?,
        })
    }

    /// Runs every check the files allow, reporting each step to `progress`: the root against
    /// the one the user was given ([`Bundle::expect_root`]), each inclusion file with the batch
    /// proof covering it, and the whole round when every batch proof is present.
    ///
    /// `Err` means nothing could be checked: a file is missing, unreadable or malformed (exit
    /// code 2). A check that was made and failed is a [`Finding`] with `ok == false` (exit 1).
    pub fn check(&self, progress: impl FnMut(Step)) -> Result<Report, InputError> {
        self.check_with_root(self.expected_root, progress)
    }

    /// [`Bundle::check`] against `expected` instead of the root given to
    /// [`Bundle::expect_root`].
    pub(crate) fn check_with_root(
        &self,
        expected: Option<Digest>,
        mut progress: impl FnMut(Step),
    ) -> Result<Report, InputError> {
        let Some((round_source, bytes)) = &self.round else {
            return input(
                "no round.json found: give the round folder (or its zip), or round.json together \
                 with your inclusion file and the batch proofs",
            );
        };
        let m: RoundManifest = serde_json::from_slice(bytes).map_err(|e| {
            InputError(format!(
                "{}: not a valid round.json: {e}",
                round_source.name()
            ))
        })?;
        let n = m.batch_roots.len();
        let mut report = Report {
            round: m.round.clone(),
            root: m.root.to_hex(),
            ..Report::default()
        };
        let present = (0..n).filter(|b| self.has_batch(*b)).count();
        let complete = n > 0 && present == n;
        if self.inclusions.is_empty() && !complete && self.reserves.is_none() {
            return input(format!(
                "nothing to check: no inclusion file (format {INCLUSION_FORMAT}) and {present} of \
                 the round's {n} batch proofs"
            ));
        }
        if let Some(expected) = &expected {
            report.findings.push(root_finding(expected, &m));
        }
        let mut proofs_checked = 0;
        for (source, bytes) in &self.inclusions {
            let proof = InclusionProof::from_json(bytes).map_err(|e| {
                InputError(format!(
                    "{}: not a valid inclusion file: {e}",
                    source.name()
                ))
            })?;
            let batch = usize::try_from(proof.leaf_index >> m.shape.log_batch.min(63))
                .unwrap_or(usize::MAX);
            // A batch proof the user did not supply is an input error, not a rejection.
            if batch < n && !self.has_batch(batch) {
                return input(format!(
                    "{} is in batch {batch}: give proofs/batch-{batch:05}.proof and \
                     batch-{batch:05}.json too",
                    source.name()
                ));
            }
            progress(Step::User { batch });
            match verify_user(&m, &proof, |b| self.load_batch(b)) {
                Ok(v) => {
                    proofs_checked = proofs_checked.max(1);
                    let (finding, user) = user_finding(&m, &v);
                    report.findings.push(finding);
                    report.users.push(user);
                }
                Err(RoundError::Missing { batch, reason }) => {
                    return input(format!("{}: batch {batch}: {reason}", source.name()));
                }
                Err(e) => report
                    .findings
                    .push(rejection(CheckKind::Inclusion, source.name(), &e)),
            }
        }
        if complete {
            let checked = verify_round(
                &m,
                |b| self.load_batch(b),
                |b| progress(Step::Batch { done: b + 1, of: n }),
            );
            match checked {
                Ok(v) => {
                    proofs_checked = v.batches;
                    report.totals = round_totals(&m);
                    report.findings.push(round_finding(&v));
                }
                Err(RoundError::Missing { batch, reason }) => {
                    return input(format!("batch {batch}: {reason}"));
                }
                Err(e) => report.findings.push(rejection(
                    CheckKind::Round,
                    &format!("round {}", m.round),
                    &e,
                )),
            }
        } else {
            report.notes.push(format!(
                "Whole-round check skipped: {present} of the {n} batch proofs were given. Give \
                 the whole proofs/ folder to check every batch and the published totals."
            ));
        }
        let reserves = self.check_reserves(&m, &mut report)?;
        report.summary = summary(&report, &m.round, proofs_checked, n);
        if let Some(r) = reserves {
            let whole = report.findings.iter().any(|f| f.kind == CheckKind::Round);
            report.summary = if report.users.is_empty() && !whole && report.verified() {
                format!("Round {}: {}.", m.round, r.headline())
            } else {
                format!("{} As for reserves: {}.", report.summary, r.headline())
            };
        }
        Ok(report)
    }

    /// The exchange's proof of assets, when its files were given: each counted wallet's
    /// signature re-checked, per-asset ratios against `round.json`'s totals.
    fn check_reserves(
        &self,
        m: &RoundManifest,
        report: &mut Report,
    ) -> Result<Option<custodia_reserves_check::ReservesCheck>, InputError> {
        let (Some((report_name, report_bytes)), Some((_, wallet_bytes))) =
            (&self.reserves, &self.wallets)
        else {
            if self.reserves.is_some() {
                report.notes.push(
                    "Reserve ratios not re-checked: reserves.json was given without the \
                     exchange's wallet file (wallets.csv or wallets.json)."
                        .into(),
                );
            }
            return Ok(None);
        };
        let liabilities: Vec<custodia_reserves_check::Liability> = m
            .totals
            .iter()
            .map(|t| custodia_reserves_check::Liability {
                asset: t.asset.to_string(),
                decimals: t.decimals,
                equity: t.equity.units(),
                debt: t.debt.units(),
            })
            .collect();
        let c = custodia_reserves_check::check_reserves(
            &m.round,
            &liabilities,
            report_bytes,
            wallet_bytes,
        )
        .map_err(|e| InputError(format!("{report_name}: {e}")))?;
        for mismatch in &c.mismatches {
            report.findings.push(Finding {
                kind: CheckKind::Reserves,
                ok: false,
                text: format!("REJECTED: {mismatch}."),
            });
        }
        for f in &c.failed {
            report.findings.push(Finding {
                kind: CheckKind::Reserves,
                ok: false,
                text: format!(
                    "REJECTED: the exchange counts its {} wallet {} ({}, line {} of the wallet \
                     file), but it does not check out: {}.",
                    f.chain, f.address, f.asset, f.line, f.reason
                ),
            });
        }
        for a in &c.assets {
            let ok = a.outcome != custodia_reserves_check::AssetOutcome::Below100;
            report.findings.push(Finding {
                kind: CheckKind::Reserves,
                ok,
                text: format!("{}{}", if ok { "" } else { "REJECTED: " }, a.text()),
            });
            report.reserves.push(ReserveLine::of(a));
        }
        if !c.unchecked.is_empty() {
            let mut schemes: Vec<&str> = c.unchecked.iter().map(|u| u.scheme.as_str()).collect();
            schemes.sort_unstable();
            schemes.dedup();
            report.notes.push(format!(
                "{} of the exchange's wallets use signature types this verifier does not \
                 re-check ({}); their balances are shown apart. `custodia reserves verify` \
                 checks every type.",
                c.unchecked.len(),
                schemes.join(", ")
            ));
        }
        Ok(Some(c))
    }
}

/// The finding of a verified user and what the round counts for them.
pub fn user_finding(m: &RoundManifest, v: &VerifiedUser) -> (Finding, UserBalances) {
    let balances = user_balances(&v.inclusion);
    let finding = Finding {
        kind: CheckKind::Inclusion,
        ok: true,
        text: format!(
            "VERIFIED: the balances of {} ({}) are counted in round {}. Details: the account's \
             entry (leaf {}) hashes up to the root {}, and the proof of batch {}, the part of the \
             round holding it, is valid at {}-bit conjectured security: every account in that \
             batch has non-negative balances and debt covered by its collateral at the round's \
             prices and haircuts.",
            v.inclusion.user_id,
            balances_text(&balances),
            m.round,
            v.inclusion.leaf_index,
            m.root.to_hex(),
            v.batch,
            v.security_bits
        ),
    };
    let user = UserBalances {
        user_id: v.inclusion.user_id.to_string(),
        balances,
    };
    (finding, user)
}

/// The finding of a verified round.
pub fn round_finding(v: &VerifiedRound) -> Finding {
    Finding {
        kind: CheckKind::Round,
        ok: true,
        text: format!(
            "VERIFIED: {} of round {} {} valid at {}-bit conjectured security: each of the {} \
             accounts (padding included) has non-negative balances and debt covered by \
             collateral after haircuts; the batch roots join into the root {}; and the running \
             totals link every batch from zero to exactly the published per-asset totals (no \
             batch's own sums are published).",
            if v.batches == 1 {
                "the one batch proof".to_owned()
            } else {
                format!("all {} batch proofs", v.batches)
            },
            v.round,
            if v.batches == 1 { "is" } else { "are" },
            v.security_bits,
            v.leaves,
            v.root.to_hex()
        ),
    }
}

/// The finding of a check that was made and failed; `what` names the file or the round.
pub fn rejection(kind: CheckKind, what: &str, e: &RoundError) -> Finding {
    Finding {
        kind,
        ok: false,
        text: format!("REJECTED: {what}: {}", plain_rejection(e)),
    }
}

/// The finding of the published root compared with `round.json`'s.
pub fn root_finding(expected: &Digest, m: &RoundManifest) -> Finding {
    let ok = *expected == m.root;
    Finding {
        kind: CheckKind::Root,
        ok,
        text: if ok {
            format!(
                "VERIFIED: round.json's root is the root the exchange published ({}).",
                m.root.to_hex()
            )
        } else {
            format!(
                "REJECTED: round.json's root {} is not the root the exchange published ({}): \
                 these files are not the round the exchange announced.",
                m.root.to_hex(),
                expected.to_hex()
            )
        },
    }
}

/// The balances as one phrase: `BTC 0.5, USDT 120 (debt 3)`, or `all zero`.
pub fn balances_text(balances: &[AssetAmounts]) -> String {
    if balances.is_empty() {
        "all zero".to_owned()
    } else {
        balances
            .iter()
            .map(AssetAmounts::text)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A rejection in words a customer can act on; the technical reason follows.
fn plain_rejection(e: &RoundError) -> String {
    match e {
        RoundError::PublicMismatch {
            field: "round_binding",
            ..
        } => format!("these proofs belong to a different round than this round.json ({e})"),
        RoundError::Inclusion(_) => {
            format!("this inclusion file does not match the round's published data ({e})")
        }
        RoundError::Proof { .. } => format!("a proof is invalid ({e})"),
        _ => e.to_string(),
    }
}

/// The first line a customer reads, from the findings: `proofs` batch proofs were checked, of
/// the round's `batches`.
pub fn summary(report: &Report, round: &str, proofs: usize, batches: usize) -> String {
    if !report.verified() {
        return format!(
            "Do not rely on round {round}: a check failed (see below). Keep these files and ask \
             the exchange."
        );
    }
    let whole = report.findings.iter().any(|f| f.kind == CheckKind::Round);
    let proofs_part = match (whole, batches) {
        (true, 1) => "the exchange's proof of that round verifies".to_owned(),
        (true, n) => format!("all {n} of the exchange's proofs of that round verify"),
        (false, _) if proofs > 0 => {
            "the exchange's proof covering your account verifies".to_owned()
        }
        (false, _) => "the round's root is the published one".to_owned(),
    };
    match report.users.as_slice() {
        [one] => format!(
            "Your balances ({}) are included in round {round}, and {proofs_part}.",
            balances_text(&one.balances)
        ),
        [] if whole => format!(
            "Round {round} checks out: {proofs_part}, and its published totals are the exact sum \
             of every account's balances, none negative."
        ),
        [] => format!("Round {round}: {proofs_part}."),
        many => format!(
            "The balances of {} accounts are included in round {round}, and {proofs_part}.",
            many.len()
        ),
    }
}

/// Where [`Bundle::check`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Checking an inclusion file and the proof of its batch.
    User {
        /// The batch covering the user.
        batch: usize,
    },
    /// Whole-round check: `done` of `of` batch proofs verified.
    Batch {
        /// Verified so far.
        done: usize,
        /// Batches in the round.
        of: usize,
    },
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn round_json(id: &str) -> Vec<u8> {
        format!(r#"{{"format":"{ROUND_FORMAT}","round":"{id}"}}"#).into_bytes()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn files_are_sorted_by_content_and_name() {
        let mut b = Bundle::new();
        assert_eq!(
            b.add_bytes("r.json", round_json("r1")).unwrap(),
            Added::Round
        );
        assert_eq!(
            b.add_bytes("dl/batch-00007.proof", vec![1]).unwrap(),
            Added::BatchProof(7)
        );
        assert_eq!(
            b.add_bytes("batch-00007.json", vec![2]).unwrap(),
            Added::BatchPublic(7)
        );
        let incl = format!(r#"{{"format":"{INCLUSION_FORMAT}"}}"#).into_bytes();
        assert_eq!(
            b.add_bytes("me.json", incl.clone()).unwrap(),
            Added::Inclusion
        );
        // The same inclusion file twice counts once.
        assert_eq!(b.add_bytes("copy.json", incl).unwrap(), Added::Inclusion);
        assert_eq!(b.inclusion_count(), 1);
        for junk in [
            &b"{}"[..],
            b"not json",
            b"{\"format\":\"other/1\"}",
            &[0xff; 10],
        ] {
            assert_eq!(
                b.add_bytes("x.json", junk.to_vec()).unwrap(),
                Added::Ignored
            );
        }
        // The same round again is fine; a different one is ambiguous.
        assert_eq!(
            b.add_bytes("again.json", round_json("r1")).unwrap(),
            Added::Round
        );
        let e = b.add_bytes("other.json", round_json("r2")).unwrap_err();
        assert!(e.0.contains("two different round manifests"), "{e}");
    }

    #[test]
    fn zips_are_opened_one_level_and_private_data_is_skipped() {
        let inner = zip_of(&[("round.json", &round_json("nested"))]);
        let z = zip_of(&[
            ("round/round.json", &round_json("r1")),
            ("round/proofs/batch-00000.proof", b"p"),
            ("round/proofs/batch-00000.json", b"j"),
            ("round/private/batch-00000.wit", b"secret"),
            ("round/private/round.json", &round_json("private")),
            ("nested.zip", &inner),
            ("README.txt", b"hello"),
        ]);
        let mut b = Bundle::new();
        // Named without .zip (a download): recognised by its first bytes.
        assert_eq!(b.add_bytes("download", z).unwrap(), Added::Archive(3));
        assert_eq!(b.round_bytes(), Some(&round_json("r1")[..]));
        assert!(b.has_batch(0));
    }

    #[test]
    fn hostile_archives_are_errors_or_bounded() {
        let mut b = Bundle::new();
        let e = b
            .add_bytes("x.zip", b"PK\x03\x04garbage".to_vec())
            .unwrap_err();
        assert!(e.0.contains("not a readable zip archive"), "{e}");
        // 80 MiB of spaces as round.json deflate to ~80 KB; reading stops at the limit.
        let big = vec![b' '; 80 << 20];
        let bomb = zip_of(&[("round.json", &big)]);
        assert!(bomb.len() < 1 << 20);
        assert_eq!(b.add_bytes("bomb.zip", bomb).unwrap(), Added::Archive(0));
        assert!(b.round_bytes().is_none());
        // A truncated archive.
        let z = zip_of(&[("round.json", &round_json("r1"))]);
        assert!(b.add_bytes("cut.zip", z[..z.len() - 10].to_vec()).is_err());
        // The same broken archive met in a folder walk is passed over, not fatal.
        let found = Box::new(Memory::new(
            "Downloads/other.zip",
            z[..z.len() - 10].to_vec(),
        ));
        assert_eq!(b.add(found).unwrap(), Added::Ignored);
    }

    #[test]
    fn regression_version_1_files_get_an_unsupported_format_error() {
        let mut b = Bundle::new();
        for (name, format) in [
            ("round.json", "custodia-round/1"),
            ("me.json", "custodia-inclusion/1"),
        ] {
            let old = format!(r#"{{"format":"{format}"}}"#).into_bytes();
            let e = b.add_bytes(name, old).unwrap_err();
            assert!(e.0.contains("unsupported format version"), "{e}");
            assert!(e.0.contains(format), "{e}");
        }
        // Negative twin: the current format is taken.
        assert_eq!(
            b.add_bytes("r.json", round_json("r1")).unwrap(),
            Added::Round
        );
    }

    #[test]
    fn regression_a_zip_at_the_entry_limit_is_read_in_linear_time() {
        // Each entry shares the archive parsed once; re-parsing the central directory per entry
        // made this quadratic (minutes at the limit). 20 000 entries take milliseconds now.
        let names: Vec<String> = (0..20_000).map(|i| format!("f{i}.json")).collect();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for name in &names {
            w.start_file(name.as_str(), opts).unwrap();
            w.write_all(b"{}").unwrap();
        }
        let z = w.finish().unwrap().into_inner();
        let mut b = Bundle::new();
        assert_eq!(b.add_bytes("many.zip", z).unwrap(), Added::Archive(0));
        assert_eq!(b.sources, 20_001);
    }

    #[test]
    fn regression_many_identical_inclusion_files_are_deduplicated_in_linear_time() {
        let mut b = Bundle::new();
        let same = format!(
            r#"{{"format":"{INCLUSION_FORMAT}","x":"{}"}}"#,
            "a".repeat(4096)
        );
        for i in 0..20_000 {
            b.add_bytes(&format!("{i}.json"), same.clone().into_bytes())
                .unwrap();
        }
        assert_eq!(b.inclusion_count(), 1);
        // Negative twin: different files are all kept.
        let other = format!(r#"{{"format":"{INCLUSION_FORMAT}","x":"b"}}"#);
        b.add_bytes("other.json", other.into_bytes()).unwrap();
        assert_eq!(b.inclusion_count(), 2);
    }

    #[test]
    fn nothing_to_check_is_an_input_error_not_a_rejection() {
        let b = Bundle::new();
        let e = b.check(|_| {}).unwrap_err();
        assert!(e.0.contains("no round.json"), "{e}");
        let mut b = Bundle::new();
        b.add_bytes("r.json", round_json("r1")).unwrap();
        // round.json's `format` is right but the manifest is incomplete.
        let e = b.check(|_| {}).unwrap_err();
        assert!(e.0.contains("not a valid round.json"), "{e}");
    }
}
