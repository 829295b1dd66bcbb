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
use custodia_primitives::AssetRegistry;
use custodia_snapshot::{Prices, Snapshot};
use custodia_sumtree::witness::BatchWitness;
use custodia_sumtree::{
    BuiltTree, CommittedPrice, CommittedPrices, InclusionProof, PADDING, ProofWriter, ROUND_FORMAT,
    RoundManifest, TreeShape, assets_digest, build_tree,
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
    let committed = prices
        .map(|p| commit_prices(&snapshot.assets, p))
        .transpose()?;
    if let Some(c) = &committed {
        check_all_collateral(snapshot, c)?;
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
        prices: committed,
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

/// Converts USD prices per whole unit into the integers the proofs use: one common scale `s` (the
/// largest that keeps every `price · 10^4` below 2^40, the AIR's bound), `price_i =
/// round(usd_i · 10^s / 10^decimals_i)`. A non-zero USD price that would round to zero is an
/// error: that asset's debt would count for nothing.
pub fn commit_prices(assets: &AssetRegistry, prices: &Prices) -> Result<CommittedPrices> {
    // Two bounds from the AIR: `price · 10^4 < 2^40`, and the collateral carry chain's
    // `A · (2^16 − 1) · price · 10^4 ≤ 2^62`, which tightens as the asset count grows.
    let per_asset =
        custodia_air::public::COLLATERAL_BOUND / (assets.len() as u128 * 0xffff * 10_000);
    let max = u128::from(custodia_air::public::MAX_PRICE).min(per_asset);
    let scaled = |usd_e8: u64, decimals: u8, scale: u32| -> u128 {
        // usd_e8 · 10^scale / 10^(8 + decimals), rounded to nearest.
        let num = u128::from(usd_e8) * 10u128.pow(scale);
        let den = 10u128.pow(8 + u32::from(decimals));
        (num + den / 2) / den
    };
    let list: Vec<(u64, u8)> = (0..assets.len())
        .map(|i| {
            (
                prices.get(i).expect("one price per asset").usd_e8(),
                assets.get(i).expect("asset").decimals,
            )
        })
        .collect();
    let scale = (0..=24u32)
        .rev()
        .find(|&s| list.iter().all(|&(p, d)| scaled(p, d, s) <= max))
        .context("an asset's price is too large for the proof's price bound at any scale")?;
    let committed = assets
        .assets()
        .iter()
        .zip(prices.as_slice())
        .map(|(a, p)| {
            let price = scaled(p.usd_e8(), a.decimals, scale);
            if price == 0 && p.usd_e8() != 0 {
                bail!(
                    "price of {} (USD {}) rounds to zero at the round's price scale 10^-{scale} per smallest \
                     unit; lower its ledger decimals or the most expensive asset's",
                    a.id,
                    p.usd_decimal()
                );
            }
            Ok(CommittedPrice {
                asset: a.id.clone(),
                usd: p.usd_decimal(),
                price: price as u64,
                haircut_bps: p.haircut_bps(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CommittedPrices {
        scale,
        assets: committed,
    })
}

/// The collateral rule exactly as the STARK checks it: `Σ e_i·P_i·(10^4 − h_i) ≥ Σ d_i·P_i·10^4`.
pub fn collateral_surplus(
    balances: &[custodia_primitives::Amount],
    prices: &CommittedPrices,
) -> i128 {
    prices
        .assets
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let price = i128::from(p.price);
            i128::from(balances[2 * i].units()) * price * (10_000 - i128::from(p.haircut_bps))
                - i128::from(balances[2 * i + 1].units()) * price * 10_000
        })
        .sum()
}

fn check_all_collateral(snapshot: &Snapshot, prices: &CommittedPrices) -> Result<()> {
    let bad: Vec<usize> = (0..snapshot.num_users())
        .into_par_iter()
        .filter(|&u| collateral_surplus(snapshot.user_balances(u), prices) < 0)
        .collect();
    if let Some(&first) = bad.first() {
        bail!(
            "{} user(s) have debt not covered by their collateral after haircuts; first: {}",
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
