//! Building a round: the id rule, committed prices, the collateral pre-check, the tree, the
//! manifest, and the folder written in one piece.

use std::io::{self, Write};

use custodia_air::public::{COLLATERAL_BOUND, MAX_PRICE, collateral_surplus};
use custodia_primitives::AssetRegistry;
use custodia_snapshot::{Prices, Snapshot};
use custodia_sumtree::witness::BatchWitness;
use custodia_sumtree::{
    BuiltTree, CommittedPrice, CommittedPrices, PADDING, ProofWriter, RoundManifest, TreeShape,
    build_tree,
};
use custodia_verifier::round::committed_asset_params;
use p3_maybe_rayon::prelude::*;

use crate::folder::{ASSETS, MANIFEST, PRICES, SEED, inclusion_key, witness_key};
use crate::{Blobs, Error, Progress};

/// How to build a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildParams {
    /// Round id ([`check_round_id`]).
    pub round: String,
    /// When the balances were snapshotted, RFC 3339 UTC ([`crate::snapshot_time`]).
    pub snapshot_time: String,
    /// log2 of the leaves per batch proof.
    pub log_batch: u32,
    /// Pad the tree to at least 2^this leaves.
    pub min_log_leaves: u32,
    /// The secret round seed: nonces, placement and padding derive from it. A fresh one from
    /// [`fresh_seed`] in production; a fixed one makes a round reproducible.
    pub seed: [u8; 32],
}

/// Checks a round id: 1–64 characters of `A-Z a-z 0-9 - _ .` (it names files and URLs, and the
/// round binding absorbs at most 64 bytes of it).
pub fn check_round_id(id: &str) -> Result<(), Error> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::RoundId { id: id.to_owned() })
    }
}

/// 32 bytes from the operating system's random generator, for [`BuildParams::seed`].
pub fn fresh_seed() -> Result<[u8; 32], Error> {
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).map_err(|e| Error::Randomness(e.to_string()))?;
    Ok(s)
}

/// Converts USD prices per whole unit into the integers the proofs use: one common scale `s` (the
/// largest that keeps every price within the AIR's bounds), `price_i = round(usd_i · 10^s /
/// 10^decimals_i)`. A non-zero USD price that would round to zero is an error: that asset's debt
/// would count for nothing.
pub fn commit_prices(assets: &AssetRegistry, prices: &Prices) -> Result<CommittedPrices, Error> {
    if prices.len() != assets.len() {
        return Err(Error::PriceCount {
            expected: assets.len(),
            got: prices.len(),
        });
    }
    // Two bounds from the AIR: `price · 10^4 < 2^40`, and the collateral carry chain's
    // `A · (2^16 − 1) · price · 10^4 ≤ 2^62`, which tightens as the asset count grows.
    let per_asset = COLLATERAL_BOUND / (assets.len() as u128 * 0xffff * 10_000);
    let max = u128::from(MAX_PRICE).min(per_asset);
    let scaled = |usd_e8: u64, decimals: u8, scale: u32| -> u128 {
        // usd_e8 · 10^scale / 10^(8 + decimals), rounded to nearest.
        let num = u128::from(usd_e8) * 10u128.pow(scale);
        let den = 10u128.pow(8 + u32::from(decimals));
        (num + den / 2) / den
    };
    let pairs: Vec<_> = assets.assets().iter().zip(prices.as_slice()).collect();
    let scale = (0..=24u32)
        .rev()
        .find(|&s| {
            pairs
                .iter()
                .all(|(a, p)| scaled(p.usd_e8(), a.decimals, s) <= max)
        })
        .ok_or(Error::PriceBound)?;
    let committed = pairs
        .iter()
        .map(|(a, p)| {
            let price = scaled(p.usd_e8(), a.decimals, scale);
            if price == 0 && p.usd_e8() != 0 {
                return Err(Error::PriceRoundsToZero {
                    asset: a.id.clone(),
                    usd: p.usd_decimal(),
                    scale,
                });
            }
            Ok(CommittedPrice {
                asset: a.id.clone(),
                usd: p.usd_decimal(),
                price: price as u64,
                haircut_bps: p.haircut_bps(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(CommittedPrices {
        scale,
        assets: committed,
    })
}

/// Checks every user of `snapshot` against the collateral rule the batch proofs enforce, at
/// the committed prices, so a round that cannot be proven is refused before anything is written.
pub fn check_collateral(snapshot: &Snapshot, prices: &CommittedPrices) -> Result<(), Error> {
    let params = committed_asset_params(prices);
    let bad: Vec<usize> = (0..snapshot.num_users())
        .into_par_iter()
        .filter(|&u| {
            let row = snapshot.user_balances(u).iter().map(|b| b.units());
            collateral_surplus(&params, row) < 0
        })
        .collect();
    match bad.first() {
        Some(&first) => Err(Error::Undercollateralised {
            count: bad.len(),
            first: snapshot.users[first].clone(),
        }),
        None => Ok(()),
    }
}

/// A round built in memory, with the inputs it was built from: everything the folder holds.
#[derive(Debug)]
pub struct Round<'a> {
    /// The snapshot.
    pub snapshot: &'a Snapshot,
    /// The operator's prices, when given.
    pub prices: Option<&'a Prices>,
    /// The public manifest.
    pub manifest: RoundManifest,
    /// The tree, its layout and padding.
    pub built: BuiltTree,
    /// The secret seed the layout derives from.
    pub seed: [u8; 32],
}

/// Builds a round in memory: checks the id, commits the prices and checks every user's
/// collateral at them (when prices are given), lays out and hashes the tree.
pub fn build<'a>(
    snapshot: &'a Snapshot,
    prices: Option<&'a Prices>,
    params: &BuildParams,
    progress: &dyn Progress,
) -> Result<Round<'a>, Error> {
    check_round_id(&params.round)?;
    let committed = prices
        .map(|p| commit_prices(&snapshot.assets, p))
        .transpose()?;
    if let Some(c) = &committed {
        check_collateral(snapshot, c)?;
    }
    let shape = TreeShape::for_users(
        snapshot.num_users(),
        params.log_batch,
        params.min_log_leaves,
    )?;
    progress.begin(
        &format!("building a tree of 2^{} leaves", shape.log_leaves),
        None,
    );
    let built = build_tree(
        &snapshot.users,
        &snapshot.balances,
        snapshot.num_assets(),
        shape,
        &params.seed,
    );
    progress.end();
    let built = built?;
    let (equity, debt) = snapshot.totals();
    let manifest = RoundManifest::for_tree(
        &params.round,
        &params.snapshot_time,
        &snapshot.assets,
        &built.tree,
        (&equity, &debt),
        committed,
    );
    Ok(Round {
        snapshot,
        prices,
        manifest,
        built,
        seed: params.seed,
    })
}

/// `por build`: refuses an occupied folder unless `replace`, builds the round and publishes its
/// folder in one piece.
pub fn build_folder<'a>(
    snapshot: &'a Snapshot,
    prices: Option<&'a Prices>,
    params: &BuildParams,
    blobs: &dyn Blobs,
    replace: bool,
    progress: &dyn Progress,
) -> Result<Round<'a>, Error> {
    check_round_id(&params.round)?;
    if !replace && !blobs.is_empty()? {
        return Err(Error::FolderNotEmpty {
            location: blobs.location(""),
        });
    }
    let round = build(snapshot, prices, params, progress)?;
    round.publish(blobs, progress)?;
    Ok(round)
}

impl Round<'_> {
    /// Batch `b`'s witness.
    pub fn witness(&self, b: usize) -> BatchWitness {
        BatchWitness::from_tree(
            &self.built,
            &self.snapshot.balances,
            self.snapshot.num_assets(),
            b,
        )
    }

    /// Replaces the folder in `blobs` by this round's (manifest, assets, prices, seed, every
    /// witness and inclusion file), all at once.
    pub fn publish(&self, blobs: &dyn Blobs, progress: &dyn Progress) -> Result<(), Error> {
        blobs.publish_folder(&mut |staged| self.write(staged, progress))
    }

    fn write(&self, blobs: &dyn Blobs, progress: &dyn Progress) -> Result<(), Error> {
        let m = &self.manifest;
        blobs.put(MANIFEST, serde_json::to_string_pretty(m)?.as_bytes())?;
        blobs.put(ASSETS, self.snapshot.assets.to_toml().as_bytes())?;
        if let Some(p) = self.prices {
            blobs.put(PRICES, p.to_toml().as_bytes())?;
        }
        blobs.put(SEED, hex::encode(self.seed).as_bytes())?;
        let writer = ProofWriter::new(&m.round, &self.snapshot.assets, &m.root);
        let batches = m.shape.num_batches();
        progress.begin("batches", Some(batches as u64));
        let written = (0..batches).into_par_iter().try_for_each(|b| {
            blobs.put(&witness_key(b), &self.witness(b).to_bytes())?;
            blobs.put_with(&inclusion_key(b), &mut |w| {
                write_inclusion_batch(w, &writer, self.snapshot, &self.built, b).map(|_| ())
            })?;
            progress.step();
            Ok(())
        });
        progress.end();
        written
    }
}

/// Writes one JSON line per user of batch `b` (padding leaves have none); returns the count.
pub fn write_inclusion_batch(
    w: &mut (impl Write + ?Sized),
    writer: &ProofWriter,
    snapshot: &Snapshot,
    built: &BuiltTree,
    b: usize,
) -> io::Result<usize> {
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
