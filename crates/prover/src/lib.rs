#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod perm;
pub mod trace;

use custodia_air::config::{Config, make_config};
use custodia_air::format::encode_header;
use custodia_air::public::{check_prices, collateral_surplus};
use custodia_air::{AssetTotals, BatchPublicInputs, CustodiaAir, ProofOptions, PublicInputsError};
use custodia_primitives::Amount;
use custodia_sumtree::witness::BatchWitness;
use p3_batch_stark::{ProverData, StarkInstance};
use p3_matrix::Matrix;
use thiserror::Error;

pub use crate::trace::{BatchParams, BatchTraces, RawLeaves, generate_traces};

/// Why a batch was not proven.
#[derive(Debug, Error)]
pub enum ProveError {
    /// The witness does not hold `2^log_batch` leaves of `2A` balances.
    #[error("batch size: expected {expected} {what}, got {got}")]
    BatchSize {
        /// What was counted.
        what: &'static str,
        /// Expected count.
        expected: usize,
        /// Actual count.
        got: usize,
    },
    /// The witness and the parameters disagree on the asset count.
    #[error("the witness has {witness} assets, the parameters price {params}")]
    AssetCount {
        /// In the witness.
        witness: usize,
        /// In the parameters.
        params: usize,
    },
    /// Batch smaller than zero knowledge allows with these options, or larger than supported.
    #[error("a batch of 2^{log_batch} leaves is outside 2^{min}..=2^{max} for these options")]
    BatchLog {
        /// Requested.
        log_batch: u32,
        /// Smallest.
        min: u32,
        /// Largest.
        max: u32,
    },
    /// A balance is not below 2^62.
    #[error("leaf {leaf}: balance {index} is {value}, not below 2^62")]
    ValueOutOfRange {
        /// Leaf within the batch.
        leaf: usize,
        /// Index in the leaf's interleaved balances.
        index: usize,
        /// The value.
        value: u64,
    },
    /// A user's debt exceeds their haircut collateral at the given prices.
    #[error("leaf {leaf} (batch index {batch}, global leaf {global_leaf}) is undercollateralised")]
    Undercollateralised {
        /// Leaf within the batch.
        leaf: usize,
        /// Batch index.
        batch: u64,
        /// Leaf index in the whole tree.
        global_leaf: u64,
    },
    /// The chain opening does not fit the statement (asset count, non-canonical totals).
    #[error("chain opening: {0}")]
    Chain(&'static str),
    /// Prices, haircuts or sizes outside the statement's bounds.
    #[error(transparent)]
    PublicInputs(#[from] PublicInputsError),
    /// [`prove_batch`] was given options below the required security.
    #[error("options give {got} conjectured bits, below the required {want}")]
    InsufficientSecurity {
        /// Bits of the options.
        got: u32,
        /// Required bits.
        want: u32,
    },
    /// Plonky3 failed.
    #[error("proving failed: {0}")]
    Backend(String),
    /// Serialisation failed.
    #[error("encoding the proof failed: {0}")]
    Encoding(String),
    /// The operating system's random generator failed.
    #[error("no randomness from the operating system: {0}")]
    Randomness(String),
}

/// A proof and the statement it proves.
#[derive(Debug, Clone)]
pub struct ProvenBatch {
    /// The proof file (versioned envelope; see `custodia_air::format`).
    pub proof: Vec<u8>,
    /// The public inputs the verifier must be given.
    pub public: BatchPublicInputs,
}

fn check_witness(
    w: &BatchWitness,
    params: &BatchParams,
    options: &ProofOptions,
) -> Result<(), ProveError> {
    check_prices(&params.assets)?;
    if params.chain_in.state.len() != params.assets.len() {
        return Err(ProveError::Chain("the opening has another asset count"));
    }
    // The chain AIR range-checks every incoming running-total word below 2^63.
    let in_range = |v: u64| v < 1 << 63;
    if !params.chain_in.state.iter().all(|t| {
        [t.equity_lo, t.equity_hi, t.debt_lo, t.debt_hi]
            .into_iter()
            .all(in_range)
    }) {
        return Err(ProveError::Chain("a running total is not below 2^63"));
    }
    if w.batch >= params.num_batches {
        return Err(ProveError::PublicInputs(PublicInputsError::BatchIndex {
            index: w.batch,
            batches: params.num_batches,
        }));
    }
    if w.num_assets != params.assets.len() {
        return Err(ProveError::AssetCount {
            witness: w.num_assets,
            params: params.assets.len(),
        });
    }
    let (min, max) = (options.min_log_rows(), custodia_air::public::MAX_LOG_BATCH);
    if w.log_batch < min || w.log_batch > max {
        return Err(ProveError::BatchLog {
            log_batch: w.log_batch,
            min,
            max,
        });
    }
    let n = 1usize << w.log_batch;
    if w.uids.len() != n {
        return Err(ProveError::BatchSize {
            what: "uids",
            expected: n,
            got: w.uids.len(),
        });
    }
    let width = 2 * w.num_assets;
    if w.balances.len() != n * width {
        return Err(ProveError::BatchSize {
            what: "balances",
            expected: n * width,
            got: w.balances.len(),
        });
    }
    for (k, b) in w.balances.iter().enumerate() {
        if b.units() >= 1 << Amount::BITS {
            return Err(ProveError::ValueOutOfRange {
                leaf: k / width,
                index: k % width,
                value: b.units(),
            });
        }
    }
    // The collateral rule the AIR enforces, on the same integers.
    for (leaf, row) in w.balances.chunks_exact(width).enumerate() {
        if collateral_surplus(&params.assets, row.iter().map(|b| b.units())) < 0 {
            return Err(ProveError::Undercollateralised {
                leaf,
                batch: w.batch,
                global_leaf: (w.batch << w.log_batch) + leaf as u64,
            });
        }
    }
    Ok(())
}

fn raw_values(w: &BatchWitness) -> Vec<u64> {
    w.balances.iter().map(|b| b.units()).collect()
}

/// Checks the witness and builds the traces of its proof (no proving).
pub fn batch_traces(
    witness: &BatchWitness,
    params: &BatchParams,
    options: &ProofOptions,
) -> Result<BatchTraces, ProveError> {
    check_witness(witness, params, options)?;
    let values = raw_values(witness);
    let raw = RawLeaves {
        log_batch: witness.log_batch,
        batch_index: witness.batch,
        uids: &witness.uids,
        values: &values,
    };
    let chain_log_rows = custodia_air::chain::log_rows(params.assets.len(), options.min_log_rows());
    Ok(generate_traces(&raw, params, chain_log_rows))
}

/// Proves one batch with fresh randomness from the operating system. Refuses options below
/// [`custodia_air::MIN_SECURITY_BITS`] (pass [`ProofOptions::STANDARD`], the only options the
/// verifier accepts).
pub fn prove_batch(
    witness: &BatchWitness,
    params: &BatchParams,
    options: &ProofOptions,
) -> Result<ProvenBatch, ProveError> {
    let bits = options.conjectured_security_bits();
    if bits < custodia_air::MIN_SECURITY_BITS {
        return Err(ProveError::InsufficientSecurity {
            got: bits,
            want: custodia_air::MIN_SECURITY_BITS,
        });
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ProveError::Randomness(e.to_string()))?;
    prove_batch_with_seed(witness, params, options, seed)
}

/// As [`prove_batch`] with a caller-chosen mask seed and any options. **A fixed seed makes the
/// masks predictable and the proof leak the balances: tests and benchmarks only.**
pub fn prove_batch_with_seed(
    witness: &BatchWitness,
    params: &BatchParams,
    options: &ProofOptions,
    seed: [u8; 32],
) -> Result<ProvenBatch, ProveError> {
    let traces = batch_traces(witness, params, options)?;
    let proof = prove_traces(&traces, options, seed)?;
    Ok(ProvenBatch {
        proof,
        public: traces.public,
    })
}

/// Proves given traces as they are, without any statement check: the constraint system alone
/// decides. For hand-forged traces in tests, and for benchmarks.
///
/// Plonky3's batch prover, when built with debug assertions, checks every constraint first and
/// panics on a violated one. This workspace builds it without them in every profile (root
/// `Cargo.toml`), so a forged trace becomes a proof and it is the verifier that rejects it.
pub fn prove_traces(
    traces: &BatchTraces,
    options: &ProofOptions,
    seed: [u8; 32],
) -> Result<Vec<u8>, ProveError> {
    let public = &traces.public;
    let num_assets = public.num_assets();
    let public_values = public.to_field_elements()?;
    let config: Config = make_config(options, seed);
    let chain_log_rows = traces.chain.height().trailing_zeros();
    let airs = CustodiaAir::all(num_assets, public.log_batch, chain_log_rows);
    let instances = vec![
        StarkInstance {
            air: &airs[0],
            trace: &traces.main,
            public_values: public_values.clone(),
        },
        StarkInstance {
            air: &airs[1],
            trace: &traces.chain,
            public_values,
        },
    ];
    let prover_data = ProverData::from_instances(&config, &instances)
        .map_err(|e| ProveError::Backend(format!("{e:?}")))?;
    let proof = p3_batch_stark::prove_batch(&config, &instances, &prover_data)
        .map_err(|e| ProveError::Backend(format!("{e:?}")))?;
    let mut out = encode_header(options);
    let body = postcard::to_allocvec(&proof).map_err(|e| ProveError::Encoding(e.to_string()))?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// The batch's own per-asset sums, split as the AIR adds them (secret: they enter the chain).
pub fn batch_sums(witness: &BatchWitness) -> Vec<AssetTotals> {
    let mut totals = vec![AssetTotals::default(); witness.num_assets];
    for leaf in witness.balances.chunks_exact(2 * witness.num_assets) {
        for (t, pair) in totals.iter_mut().zip(leaf.chunks_exact(2)) {
            t.add(pair[0].units(), pair[1].units());
        }
    }
    totals
}

/// The public inputs a proof of `witness` would carry (batch root, chain commitments) and the
/// running totals after the batch, computed natively without building a trace: what a job
/// checks before proving.
pub fn public_inputs(
    witness: &BatchWitness,
    params: &BatchParams,
    options: &ProofOptions,
) -> Result<(BatchPublicInputs, Vec<AssetTotals>), ProveError> {
    check_witness(witness, params, options)?;
    let mut level = witness.leaves();
    while level.len() > 1 {
        level = custodia_hash::compress_pairs(&level);
    }
    let state_out = custodia_air::chain::add_states(&params.chain_in.state, &batch_sums(witness))
        .ok_or(ProveError::Chain("a running total overflows"))?;
    let commit = |b: u64, state: &[AssetTotals], salt| {
        custodia_air::chain::commitment(&params.round_binding, b, state, salt)
    };
    Ok((
        BatchPublicInputs {
            round_binding: params.round_binding,
            batch_index: witness.batch,
            num_batches: params.num_batches,
            log_batch: witness.log_batch,
            batch_root: level[0],
            chain_in: commit(witness.batch, &params.chain_in.state, &params.chain_in.salt),
            chain_out: commit(witness.batch + 1, &state_out, &params.salt_out),
            assets: params.assets.clone(),
        },
        state_out,
    ))
}
