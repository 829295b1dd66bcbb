//! A round folder on disk: what `por build` writes and every later step reads.
//!
//! ```text
//! round.json                 public manifest (root, batch roots, totals, shape, asset digest)
//! assets.toml                the round's asset list
//! prices.toml                prices and haircuts, when given
//! inclusion/batch-NNNNN.jsonl   one inclusion proof per user (a line each), to deliver to users
//! private/seed               the secret round seed (hex): nonces, placement and padding derive from it
//! private/batch-NNNNN.wit    per-batch private witness for the batch prover
//! ```
//!
//! The folder is written under a temporary name beside the target and renamed into place only
//! when complete, so a failure leaves nothing partial behind.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use custodia_snapshot::{Prices, Snapshot};
use custodia_sumtree::witness::BatchWitness;
use custodia_sumtree::{
    BuiltTree, InclusionProof, PADDING, ProofWriter, ROUND_FORMAT, RoundManifest, TreeShape,
    assets_digest, build_tree,
};
use p3_maybe_rayon::prelude::*;

use crate::output::Output;

pub const MANIFEST: &str = "round.json";
pub const INCLUSION_DIR: &str = "inclusion";
pub const PRIVATE_DIR: &str = "private";

/// How to build a round.
pub struct BuildParams {
    pub round: String,
    pub snapshot_time: String,
    pub log_batch: u32,
    pub min_log_leaves: u32,
    /// Fixed seed (tests and reproducible demos); a fresh OS-random one otherwise.
    pub seed: Option<[u8; 32]>,
}

/// Checks a round id: 1–64 characters of `A-Z a-z 0-9 - _ .`.
pub fn check_round_id(id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        bail!("round id `{id}` must be 1-64 characters of A-Z a-z 0-9 - _ .");
    }
    Ok(())
}

/// Builds the tree for `snapshot` and writes the round folder atomically.
pub fn build(
    snapshot: &Snapshot,
    prices: Option<&Prices>,
    params: &BuildParams,
    dir: &Path,
    force: bool,
    out: &Output,
) -> Result<(RoundManifest, BuiltTree)> {
    check_round_id(&params.round)?;
    if dir.exists()
        && !force
        && fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty (pass --force to replace it)",
            dir.display()
        );
    }
    if let Some(prices) = prices {
        check_all_collateral(snapshot, prices)?;
    }
    let assets = &snapshot.assets;
    let shape = TreeShape::for_users(
        snapshot.num_users(),
        params.log_batch,
        params.min_log_leaves,
    )?;
    let seed = match params.seed {
        Some(s) => s,
        None => {
            let mut s = [0u8; 32];
            getrandom::fill(&mut s).map_err(|e| anyhow::anyhow!("no OS randomness: {e}"))?;
            s
        }
    };
    let spin = out.spinner(&format!("building a tree of 2^{} leaves", shape.log_leaves));
    let built = build_tree(
        &snapshot.users,
        &snapshot.balances,
        assets.len(),
        shape,
        &seed,
    )?;
    spin.finish_and_clear();
    let (equity, debt) = snapshot.totals();
    let manifest = RoundManifest {
        format: ROUND_FORMAT.to_owned(),
        round: params.round.clone(),
        snapshot_time: params.snapshot_time.clone(),
        assets_digest: assets_digest(assets),
        shape,
        root: built.tree.root(),
        batch_roots: built.tree.batch_roots().to_vec(),
        totals: RoundManifest::totals_for(assets, &equity, &debt),
    };

    let tmp = partial_path(dir);
    if tmp.exists() {
        fs::remove_dir_all(&tmp).with_context(|| format!("removing stale {}", tmp.display()))?;
    }
    let result = write_folder(&tmp, snapshot, prices, &manifest, &built, &seed, out);
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    fs::rename(&tmp, dir).with_context(|| format!("moving the round into {}", dir.display()))?;
    Ok((manifest, built))
}

fn partial_path(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "round".into());
    dir.with_file_name(format!(".{name}.partial"))
}

fn check_all_collateral(snapshot: &Snapshot, prices: &Prices) -> Result<()> {
    let bad: Vec<usize> = (0..snapshot.num_users())
        .into_par_iter()
        .filter(|&u| {
            custodia_snapshot::check_collateral(snapshot.user_balances(u), prices).is_err()
        })
        .collect();
    if let Some(&first) = bad.first() {
        let why =
            custodia_snapshot::check_collateral(snapshot.user_balances(first), prices).unwrap_err();
        bail!(
            "{} user(s) have debt not covered by their collateral after haircuts; first: {} ({why})",
            bad.len(),
            snapshot.users[first]
        );
    }
    Ok(())
}

fn write_folder(
    tmp: &Path,
    snapshot: &Snapshot,
    prices: Option<&Prices>,
    manifest: &RoundManifest,
    built: &BuiltTree,
    seed: &[u8; 32],
    out: &Output,
) -> Result<()> {
    let private = tmp.join(PRIVATE_DIR);
    let inclusion = tmp.join(INCLUSION_DIR);
    fs::create_dir_all(&private).with_context(|| format!("creating {}", private.display()))?;
    fs::create_dir_all(&inclusion)?;
    write_file(
        &tmp.join(MANIFEST),
        serde_json::to_string_pretty(manifest)?.as_bytes(),
    )?;
    write_file(
        &tmp.join("assets.toml"),
        snapshot.assets.to_toml().as_bytes(),
    )?;
    if let Some(p) = prices {
        write_file(&tmp.join("prices.toml"), p.to_toml().as_bytes())?;
    }
    write_file(&private.join("seed"), hex::encode(seed).as_bytes())?;
    let shape = manifest.shape;
    let writer = ProofWriter::new(&manifest.round, &snapshot.assets, &manifest.root);
    let bar = out.bar(shape.num_batches() as u64, "batches");
    (0..shape.num_batches())
        .into_par_iter()
        .try_for_each(|b| -> Result<()> {
            let w = BatchWitness::from_tree(built, &snapshot.balances, snapshot.num_assets(), b);
            write_file(&private.join(batch_file(b, "wit")), &w.to_bytes())?;
            let path = inclusion.join(batch_file(b, "jsonl"));
            let mut f = BufWriter::with_capacity(1 << 20, create(&path)?);
            write_inclusion_batch(&mut f, &writer, snapshot, built, b)?;
            f.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            bar.inc(1);
            Ok(())
        })?;
    bar.finish_and_clear();
    Ok(())
}

/// Writes one JSON line per user of batch `b`.
pub fn write_inclusion_batch(
    w: &mut impl Write,
    writer: &ProofWriter,
    snapshot: &Snapshot,
    built: &BuiltTree,
    b: usize,
) -> Result<usize> {
    let shape = built.tree.shape();
    let mut n = 0;
    let mut buf = Vec::with_capacity(4096);
    for slot in b * shape.batch_size()..(b + 1) * shape.batch_size() {
        let u = built.layout.slot_user[slot];
        if u == PADDING {
            continue;
        }
        let u = u as usize;
        buf.clear();
        writer.write(
            &mut buf,
            &snapshot.users[u],
            &built.layout.nonces[u],
            snapshot.user_balances(u),
            slot as u64,
            built.tree.path_iter(slot),
        );
        buf.push(b'\n');
        w.write_all(&buf)?;
        n += 1;
    }
    Ok(n)
}

pub fn batch_file(b: usize, ext: &str) -> String {
    format!("batch-{b:05}.{ext}")
}

fn create(path: &Path) -> Result<fs::File> {
    fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Reads and checks `round.json`.
pub fn load_manifest(dir: &Path) -> Result<RoundManifest> {
    let path = dir.join(MANIFEST);
    let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let m: RoundManifest = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a round manifest", path.display()))?;
    if m.format != ROUND_FORMAT {
        bail!(
            "{}: unsupported format `{}` (expected `{ROUND_FORMAT}`)",
            path.display(),
            m.format
        );
    }
    Ok(m)
}

/// Finds a user's inclusion proof in the round's `inclusion/` files.
pub fn find_inclusion(dir: &Path, user: &str) -> Result<Option<InclusionProof>> {
    let needle = format!("\"user_id\":\"{user}\"");
    let inc = dir.join(INCLUSION_DIR);
    let mut files: Vec<PathBuf> = fs::read_dir(&inc)
        .with_context(|| format!("reading {}", inc.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    for f in files {
        let text = fs::read_to_string(&f).with_context(|| format!("reading {}", f.display()))?;
        if let Some(line) = text.lines().find(|l| l.contains(&needle)) {
            return Ok(Some(
                InclusionProof::from_json(line.as_bytes())
                    .with_context(|| format!("in {}", f.display()))?,
            ));
        }
    }
    Ok(None)
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (proleptic Gregorian), after H. Hinnant's public-domain algorithm.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
