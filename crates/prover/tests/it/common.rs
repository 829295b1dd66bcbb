//! Shared fixtures for the prover tests.

use custodia_air::chain::Boundary;
use custodia_air::{AssetParams, AssetTotals};
use custodia_hash::Digest;
use custodia_primitives::Amount;
use custodia_prover::BatchParams;
use custodia_sumtree::witness::BatchWitness;

/// A tiny deterministic generator (SplitMix64).
pub struct Mix(pub u64);
impl Mix {
    pub fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n
    }
}

/// Parameters of a batch in the middle of an 8-batch round: the running totals before it are
/// non-zero (what earlier batches added), the salts fixed.
pub fn params(num_assets: usize) -> BatchParams {
    BatchParams {
        round_binding: Digest([11, 22, 33, 44]),
        num_batches: 8,
        assets: (0..num_assets)
            .map(|i| AssetParams::exact(1_000 + 7_919 * i as u64, (500 * i as u16) % 10_000))
            .collect(),
        chain_in: Boundary {
            state: (0..num_assets as u64)
                .map(|i| AssetTotals {
                    equity_lo: 1 << 40 | i,
                    equity_hi: 1 << 35,
                    debt_lo: 12_345 + i,
                    debt_hi: 0,
                })
                .collect(),
            salt: Digest([101, 102, 103, 104]),
        },
        salt_out: Digest([201, 202, 203, 204]),
    }
}

/// A valid witness: random equities (some near 2^62), debts at most a third of the collateral,
/// every fourth leaf zero (padding).
pub fn witness(num_assets: usize, log_batch: u32, batch: u64, seed: u64) -> BatchWitness {
    let mut rng = Mix(seed);
    let n = 1usize << log_batch;
    let p = params(num_assets);
    let mut uids = Vec::with_capacity(n);
    let mut balances = Vec::with_capacity(n * 2 * num_assets);
    for leaf in 0..n {
        uids.push(Digest([
            rng.below(1 << 63),
            rng.draw() >> 1,
            rng.draw() >> 1,
            rng.draw() >> 1,
        ]));
        let padding = leaf % 4 == 3;
        let equities: Vec<u64> = (0..num_assets)
            .map(|_| match (padding, rng.below(8)) {
                (true, _) => 0,
                (_, 0) => (1u64 << 62) - 1 - rng.below(1000),
                (_, 1) => 0,
                _ => rng.below(1 << 40),
            })
            .collect();
        let collateral: u128 = equities
            .iter()
            .zip(&p.assets)
            .map(|(&e, a)| e as u128 * a.equity_weight() as u128)
            .sum();
        // Debt in asset 0 only, at most a third of the collateral.
        let max_debt =
            (collateral / 3 / p.assets[0].debt_weight() as u128).min((1 << 62) - 1) as u64;
        for (i, &e) in equities.iter().enumerate() {
            let d = if i == 0 && max_debt > 0 {
                rng.below(max_debt + 1)
            } else {
                0
            };
            balances.push(Amount::new(e).unwrap());
            balances.push(Amount::new(d).unwrap());
        }
    }
    BatchWitness {
        num_assets,
        log_batch,
        batch,
        uids,
        balances,
    }
}
