//! The proof policy: FRI parameters and the security level, in one place for prover and verifier.

use serde::{Deserialize, Serialize};

/// The conjectured security (bits) every published Custodia proof must reach.
pub const MIN_SECURITY_BITS: u32 = 100;

/// FRI and hiding parameters of a batch proof. The prover writes them into the proof; the verifier
/// accepts exactly [`ProofOptions::STANDARD`] (anything weaker is reported as such).
///
/// Conjectured soundness (ethSTARK conjecture): `log_blowup · num_queries + query_pow_bits`.
/// [`ProofOptions::STANDARD`] gives `2 · 42 + 16 = 100` bits. The degree-2 extension of Goldilocks
/// (≈ 2^128 elements) keeps the out-of-domain, LogUp and batching rounds far below that error
/// (each is at most `degree · rows · columns / 2^128 < 2^-90` for the sizes we prove).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProofOptions {
    /// log2 of the FRI blowup factor (rate `2^-log_blowup`).
    pub log_blowup: u8,
    /// FRI query repetitions.
    pub num_queries: u8,
    /// Proof-of-work bits ground before the queries are sampled.
    pub query_pow_bits: u8,
    /// Proof-of-work bits before each commit-phase folding challenge.
    pub commit_pow_bits: u8,
    /// log2 of the final polynomial length of FRI.
    pub log_final_poly_len: u8,
    /// log2 of the maximal FRI folding arity.
    pub max_log_arity: u8,
    /// Random codewords the hiding PCS appends to every commitment (≥ the extension degree, 2).
    pub num_random_codewords: u8,
    /// Merkle cap height of every commitment.
    pub cap_height: u8,
}

impl ProofOptions {
    /// The pinned production policy: blowup 4, 42 queries, 16 bits of query grinding = 100
    /// conjectured bits, FRI folding arity up to 8, zero knowledge with 4 random codewords.
    pub const STANDARD: Self = Self {
        log_blowup: 2,
        num_queries: 42,
        query_pow_bits: 16,
        commit_pow_bits: 0,
        log_final_poly_len: 0,
        max_log_arity: 3,
        num_random_codewords: 4,
        cap_height: 0,
    };

    /// Conjectured soundness bits: `log_blowup · num_queries + query_pow_bits`.
    pub const fn conjectured_security_bits(&self) -> u32 {
        self.log_blowup as u32 * self.num_queries as u32 + self.query_pow_bits as u32
    }

    /// INSECURE options for unit tests of the machinery only (a handful of queries). The verifier
    /// rejects every proof made with them.
    #[doc(hidden)]
    pub const fn insecure_testing() -> Self {
        Self {
            num_queries: 4,
            query_pow_bits: 1,
            ..Self::STANDARD
        }
    }

    /// The smallest batch (log2 of the leaves) these options can prove with zero knowledge: the
    /// hiding PCS masks each column with as many random values as the trace has rows and needs
    /// `rows ≥ 2 · (num_queries + 2 · opening_points)` (two opening points, extension degree 2).
    pub const fn min_log_rows(&self) -> u32 {
        let need = 2 * (self.num_queries as usize + 2 * 2);
        let mut log = 1;
        while (1usize << log) < need {
            log += 1;
        }
        log
    }
}

impl Default for ProofOptions {
    fn default() -> Self {
        Self::STANDARD
    }
}
