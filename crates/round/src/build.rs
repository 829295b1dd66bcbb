//! Building a round: the id rule, committed prices, the collateral pre-check, the tree, the
//! manifest, and the folder written in one piece.

use std::io::{self, Write};

use custodia_air::AssetTotals as StateWords;
use custodia_air::chain::{Boundary, add_states};
use custodia_air::public::{COLLATERAL_BOUND, MAX_PRICE, collateral_surplus};
use custodia_hash::Digest;
use custodia_primitives::AssetRegistry;
use custodia_snapshot::{Prices, Snapshot};
use custodia_sumtree::witness::BatchWitness;
use custodia_sumtree::{
    BuiltTree, ChainOpenings, ChainState, CommittedPrice, CommittedPrices, PADDING, PreviousRound,
    ProofWriter, RoundManifest, TreeShape, assets_digest, build_tree, directed_prices,
    round_context,
};
use custodia_verifier::round::committed_asset_params;
use p3_maybe_rayon::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use crate::folder::{ASSETS, MANIFEST, PRICES, SEED, boundary_key, inclusion_key, witness_key};
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
    /// The round before this one ([`link_to`]): its id and binding enter this round's
    /// manifest and binding, so the rounds form one history.
    pub previous: Option<PreviousRound>,
}

/// The link to `previous` for a round `id` snapshotted at `time`: refused when the id is the
/// same (a round id names one round forever) or the time is not later.
pub fn link_to(previous: &RoundManifest, id: &str, time: &str) -> Result<PreviousRound, Error> {
    if previous.round == id {
        return Err(Error::Chain(format!(
            "the previous round already has the id {id}: every round needs a new id"
        )));
    }
    if time <= previous.snapshot_time.as_str() {
        return Err(Error::Chain(format!(
            "snapshot time {time} is not later than the previous round's ({})",
            previous.snapshot_time
        )));
    }
    custodia_verifier::round::check_manifest(previous)?;
    Ok(PreviousRound {
        round: previous.round.clone(),
        binding: previous.binding()?,
    })
}

/// Checks a round id: 1–64 characters of `A-Z a-z 0-9 - _ .` (it names files and URLs, and the
/// round binding encodes it whole, with its length).
pub fn check_round_id(id: &str) -> Result<(), Error> {
    if custodia_sumtree::valid_round_id(id) {
        Ok(())
    } else {
        Err(Error::RoundId { id: id.to_owned() })
    }
}

/// Checks a snapshot time: RFC 3339 UTC to the second, `YYYY-MM-DDTHH:MM:SSZ`, the one spelling
/// the round binding accepts.
pub fn check_snapshot_time(time: &str) -> Result<(), Error> {
    if custodia_sumtree::valid_snapshot_time(time) {
        Ok(())
    } else {
        Err(Error::SnapshotTime {
            time: time.to_owned(),
        })
    }
}

/// 32 bytes from the operating system's random generator, for [`BuildParams::seed`].
pub fn fresh_seed() -> Result<[u8; 32], Error> {
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).map_err(|e| Error::Randomness(e.to_string()))?;
    Ok(s)
}

/// Converts USD prices per whole unit into the integers the proofs use: one common scale `s` (the
/// largest that keeps every price within the AIR's bounds) and per asset two integers,
/// `debt_price = ⌈usd · 10^s / 10^decimals⌉` and `collateral_price = ⌊…⌋`
/// ([`custodia_sumtree::directed_prices`]): debt is never undervalued and collateral never
/// overvalued, so rounding cannot make an under-collateralised user look covered. A price of zero,
/// or one whose collateral price rounds down to zero, is an error: a zero-priced asset's debt
/// would count for nothing.
pub fn commit_prices(assets: &AssetRegistry, prices: &Prices) -> Result<CommittedPrices, Error> {
    if prices.len() != assets.len() {
        return Err(Error::PriceCount {
            expected: assets.len(),
            got: prices.len(),
        });
    }
    let pairs: Vec<_> = assets.assets().iter().zip(prices.as_slice()).collect();
    if let Some((a, _)) = pairs.iter().find(|(_, p)| p.usd_e8() == 0) {
        return Err(Error::ZeroPrice {
            asset: a.id.clone(),
        });
    }
    // Two bounds from the AIR: `price · 10^4 < 2^40`, and the collateral carry chain's
    // `A · (2^16 − 1) · price · 10^4 ≤ 2^62`, which tightens as the asset count grows.
    let per_asset = COLLATERAL_BOUND / (assets.len() as u128 * 0xffff * 10_000);
    let max = u128::from(MAX_PRICE).min(per_asset);
    let scale = (0..=24u32)
        .rev()
        .find(|&s| {
            pairs
                .iter()
                .all(|(a, p)| directed_prices(p.usd_e8(), a.decimals, s).0 <= max)
        })
        .ok_or(Error::PriceBound)?;
    let committed = pairs
        .iter()
        .map(|(a, p)| {
            let (debt, collateral) = directed_prices(p.usd_e8(), a.decimals, scale);
            if collateral == 0 {
                return Err(Error::PriceRoundsToZero {
                    asset: a.id.clone(),
                    usd: p.usd_decimal(),
                    scale,
                });
            }
            Ok(CommittedPrice {
                asset: a.id.clone(),
                usd: p.usd_decimal(),
                debt_price: debt as u64,
                collateral_price: collateral as u64,
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
    /// Every boundary of the running-total chain (N + 1 of them): secret except the first and
    /// the last, each batch's job needs its two.
    pub boundaries: Vec<Boundary>,
}

/// ChaCha20 stream of the round seed that draws the chain's salts (the layout uses 1–3).
const STREAM_CHAIN_SALTS: u64 = 4;

/// A uniformly random digest (rejection-sampled below p) from `rng`.
fn random_salt(rng: &mut ChaCha20Rng) -> Digest {
    Digest(core::array::from_fn(|_| {
        loop {
            let v = rng.next_u64();
            if v < <custodia_hash::F as p3_field::PrimeField64>::ORDER_U64 {
                break v;
            }
        }
    }))
}

/// The round's running-total chain: per boundary b the totals over batches `0..b` and a salt.
///
/// The salts are 4 field elements each, drawn from the secret round seed (32 bytes of OS
/// randomness per round) through ChaCha20 on a stream of their own: fresh per boundary and per
/// round, independent of anything public, and reproducible by whoever holds the seed, like the
/// tree. A salt that repeats (or is zero) is refused: a guess at one boundary's totals could
/// then be tested against another's commitment.
pub fn chain_boundaries(
    built: &BuiltTree,
    balances: &[custodia_primitives::Amount],
    num_assets: usize,
    seed: &[u8; 32],
) -> Result<Vec<Boundary>, Error> {
    let shape = built.tree.shape();
    let width = 2 * num_assets;
    let sums: Vec<Vec<StateWords>> = (0..shape.num_batches())
        .into_par_iter()
        .map(|b| {
            let mut t = vec![StateWords::default(); num_assets];
            for slot in b * shape.batch_size()..(b + 1) * shape.batch_size() {
                let u = built.layout.slot_user[slot];
                if u == PADDING {
                    continue;
                }
                let row = &balances[u as usize * width..(u as usize + 1) * width];
                for (s, pair) in t.iter_mut().zip(row.chunks_exact(2)) {
                    s.add(pair[0].units(), pair[1].units());
                }
            }
            t
        })
        .collect();
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(STREAM_CHAIN_SALTS);
    let mut out = Vec::with_capacity(sums.len() + 1);
    out.push(Boundary::zero(num_assets, random_salt(&mut rng)));
    for batch in &sums {
        let prev = out.last().expect("boundary 0");
        let state = add_states(&prev.state, batch).ok_or(Error::ChainOverflow)?;
        out.push(Boundary {
            state,
            salt: random_salt(&mut rng),
        });
    }
    let mut seen = std::collections::HashSet::with_capacity(out.len());
    if out
        .iter()
        .any(|b| b.salt == Digest::default() || !seen.insert(b.salt))
    {
        return Err(Error::ChainSalt);
    }
    Ok(out)
}

/// The public ends of the chain, as `round.json` carries them.
pub fn chain_openings(boundaries: &[Boundary]) -> ChainOpenings {
    let first = boundaries.first().expect("boundary 0");
    let last = boundaries.last().expect("boundary N");
    ChainOpenings {
        first_salt: first.salt,
        last_salt: last.salt,
        last_state: last
            .state
            .iter()
            .map(|t| ChainState {
                equity_lo: t.equity_lo,
                equity_hi: t.equity_hi,
                debt_lo: t.debt_lo,
                debt_hi: t.debt_hi,
            })
            .collect(),
    }
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
    check_snapshot_time(&params.snapshot_time)?;
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
        &round_context(&params.round, &assets_digest(&snapshot.assets)),
    );
    progress.end();
    let built = built?;
    let boundaries = chain_boundaries(
        &built,
        &snapshot.balances,
        snapshot.num_assets(),
        &params.seed,
    )?;
    let (equity, debt) = snapshot.totals();
    let mut manifest = RoundManifest::for_tree(
        &params.round,
        &params.snapshot_time,
        &snapshot.assets,
        &built.tree,
        (&equity, &debt),
        committed,
        chain_openings(&boundaries),
    );
    manifest.previous = params.previous.clone();
    Ok(Round {
        snapshot,
        prices,
        manifest,
        built,
        seed: params.seed,
        boundaries,
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
        for (b, boundary) in self.boundaries.iter().enumerate() {
            blobs.put(&boundary_key(b), &serde_json::to_vec(boundary)?)?;
        }
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
