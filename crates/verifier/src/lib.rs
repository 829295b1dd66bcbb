#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use custodia_air::config::{Config, make_config};
use custodia_air::format::{FormatError, decode_header};
use custodia_air::{
    BatchPublicInputs, CustodiaAir, MIN_SECURITY_BITS, ProofOptions, PublicInputsError,
};
pub use custodia_hash::Digest;
use p3_batch_stark::{BatchProof, ProverData};
use thiserror::Error;

pub use custodia_air::AIR_VERSION;

pub mod bundle;
pub mod history;
pub mod round;

/// Why a proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The expected public inputs are outside the statement's bounds.
    #[error("public inputs out of bounds: {0}")]
    PublicInputs(#[from] PublicInputsError),
    /// Not a readable envelope.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// Proven with parameters below the required security.
    #[error("proof options give {got} conjectured bits of security, {want} are required")]
    InsufficientSecurity {
        /// Bits of the proof's options.
        got: u32,
        /// Required.
        want: u32,
    },
    /// Proven with other parameters than the pinned ones.
    #[error("proof options {got:?} differ from the pinned {want:?}")]
    OptionsMismatch {
        /// In the proof.
        got: ProofOptions,
        /// Pinned.
        want: ProofOptions,
    },
    /// The batch is smaller than the options allow with zero knowledge.
    #[error("a batch of 2^{log_batch} leaves is below the minimum 2^{min}")]
    BatchTooSmall {
        /// Expected batch size.
        log_batch: u32,
        /// Minimum.
        min: u32,
    },
    /// The Plonky3 proof does not decode.
    #[error("malformed proof: {0}")]
    Decode(String),
    /// Bytes follow the proof.
    #[error("malformed proof: {0} bytes follow the proof")]
    TrailingBytes(usize),
    /// The proof's trace sizes are not the statement's.
    #[error("proof trace sizes {got:?} differ from the expected {want:?}")]
    Shape {
        /// In the proof (log2 of the extended heights).
        got: Vec<usize>,
        /// Expected.
        want: Vec<usize>,
    },
    /// The STARK does not verify.
    #[error(
        "proof rejected: the STARK does not verify for this round's public inputs (verifier detail: {0})"
    )]
    Rejected(String),
    /// Plonky3 panicked on the input; treated as a rejection.
    #[error("proof rejected: the verifier panicked on malformed input")]
    Panicked,
}

/// What a verified proof established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBatch {
    /// Batch index.
    pub batch_index: u64,
    /// Root of the batch subtree.
    pub batch_root: Digest,
    /// Commitment to the running totals before the batch.
    pub chain_in: Digest,
    /// Commitment to the running totals after the batch.
    pub chain_out: Digest,
    /// The options the proof was made with.
    pub options: ProofOptions,
}

/// Checks a proof's options against the pinned policy.
pub fn check_options(got: &ProofOptions) -> Result<(), VerifyError> {
    let bits = got.conjectured_security_bits();
    if bits < MIN_SECURITY_BITS {
        return Err(VerifyError::InsufficientSecurity {
            got: bits,
            want: MIN_SECURITY_BITS,
        });
    }
    if *got != ProofOptions::STANDARD {
        return Err(VerifyError::OptionsMismatch {
            got: *got,
            want: ProofOptions::STANDARD,
        });
    }
    Ok(())
}

/// Verifies a batch proof with the pinned options.
pub fn verify_batch(
    proof: &[u8],
    expected: &BatchPublicInputs,
) -> Result<VerifiedBatch, VerifyError> {
    let (options, _) = decode_header(proof)?;
    check_options(&options)?;
    verify_batch_with_options(proof, expected, &ProofOptions::STANDARD)
}

/// Verifies a batch proof made with exactly `options` (which need not be the pinned ones: for
/// tests of the machinery with cheap options). Published proofs go through [`verify_batch`].
pub fn verify_batch_with_options(
    proof: &[u8],
    expected: &BatchPublicInputs,
    options: &ProofOptions,
) -> Result<VerifiedBatch, VerifyError> {
    expected.validate()?;
    let (got, body) = decode_header(proof)?;
    if got != *options {
        return Err(VerifyError::OptionsMismatch {
            got,
            want: *options,
        });
    }
    let min = options.min_log_rows();
    if expected.log_batch < min {
        return Err(VerifyError::BatchTooSmall {
            log_batch: expected.log_batch,
            min,
        });
    }
    let public_values = expected.to_field_elements()?;
    let (stark, rest): (BatchProof<Config>, &[u8]) =
        postcard::take_from_bytes(body).map_err(|e| VerifyError::Decode(e.to_string()))?;
    // One file, one verdict: bytes after the proof would let two different files pass as the
    // same proof.
    if !rest.is_empty() {
        return Err(VerifyError::TrailingBytes(rest.len()));
    }
    let chain_log_rows = custodia_air::chain::log_rows(expected.num_assets(), min);
    let want: Vec<usize> = CustodiaAir::log_heights(expected.log_batch, chain_log_rows)
        .iter()
        .map(|&b| b as usize + 1) // + 1: zero knowledge doubles the trace
        .collect();
    if stark.degree_bits != want {
        return Err(VerifyError::Shape {
            got: stark.degree_bits.clone(),
            want,
        });
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let config = make_config(options, [0u8; 32]);
        let airs = CustodiaAir::all(expected.num_assets(), expected.log_batch, chain_log_rows);
        let common = ProverData::from_airs_and_degrees(&config, &airs, &want)
            .map_err(|e| VerifyError::Rejected(format!("{e:?}")))?
            .common;
        let pvs = vec![public_values.clone(), public_values];
        p3_batch_stark::verify_batch(&config, &airs, &stark, &pvs, &common)
            .map_err(|e| VerifyError::Rejected(format!("{e:?}")))
    }));
    match outcome {
        Ok(Ok(())) => Ok(VerifiedBatch {
            batch_index: expected.batch_index,
            batch_root: expected.batch_root,
            chain_in: expected.chain_in,
            chain_out: expected.chain_out,
            options: *options,
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(VerifyError::Panicked),
    }
}
