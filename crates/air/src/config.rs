//! The Plonky3 configuration of every Custodia batch proof: Goldilocks with its degree-2
//! extension, BLAKE3 Merkle commitments with salted (hiding) leaves, a hiding FRI PCS, and a
//! BLAKE3 Fiat–Shamir transcript seeded with the AIR version and the proof options.
//!
//! BLAKE3 is used only inside the proof system (commitments and challenges): whole proofs are
//! ~2.4× faster with Keccak than with Poseidon2 commitments and BLAKE3 saves another ~13 % of the
//! prover's CPU over Keccak (`crates/prover/PERF_NOTES.md`). The statement's hash — leaves and
//! tree nodes — is Custodia's Poseidon2, proven inside the AIR.

use p3_blake3::Blake3;
use p3_challenger::{HashChallenger, SerializingChallenger64};
use p3_commit::ExtensionMmcs;
use p3_dft::Radix2DitParallel;
use p3_field::extension::BinomialExtensionField;
use p3_fri::{FriParameters, HidingFriPcs};
use p3_goldilocks::Goldilocks;
use p3_merkle_tree::MerkleTreeHidingMmcs;
use p3_symmetric::{CompressionFunctionFromHasher, SerializingHasher};
use p3_uni_stark::StarkConfig;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::ProofOptions;

/// Base field.
pub type Val = Goldilocks;
/// Extension field challenges are drawn from (≈ 2^128 elements).
pub type Challenge = BinomialExtensionField<Val, 2>;
/// The random generator that salts commitments and draws masking codewords. The prover seeds it
/// from the operating system; the verifier never draws from it.
pub type MaskRng = StdRng;

type FieldHash = SerializingHasher<Blake3>;
type NodeCompress = CompressionFunctionFromHasher<Blake3, 2, 32>;
/// Salt elements per committed row (4 × 64 bits).
pub const SALT_ELEMS: usize = 4;
/// Hiding Merkle commitment of base-field matrices.
pub type ValMmcs =
    MerkleTreeHidingMmcs<Val, u8, FieldHash, NodeCompress, MaskRng, 2, 32, SALT_ELEMS>;
/// Commitment of extension-field matrices (FRI layers).
pub type ChallengeMmcs = ExtensionMmcs<Val, Challenge, ValMmcs>;
/// Fiat–Shamir transcript.
pub type Challenger = SerializingChallenger64<Val, HashChallenger<u8, Blake3, 32>>;
/// DFT used for low-degree extensions.
pub type Dft = Radix2DitParallel<Val>;
/// The hiding FRI polynomial commitment scheme.
pub type Pcs = HidingFriPcs<Val, Dft, ValMmcs, ChallengeMmcs, MaskRng>;
/// The STARK configuration.
pub type Config = StarkConfig<Pcs, Challenge, Challenger>;

/// Bytes the transcript starts from: a domain tag, the constraint-system digest and the
/// options, so a proof for another constraint system or other parameters cannot be replayed.
pub fn transcript_seed(options: &ProofOptions) -> Vec<u8> {
    let mut seed = b"custodia/batch-stark/2".to_vec();
    seed.extend_from_slice(&crate::digest::CONSTRAINT_DIGEST);
    seed.extend_from_slice(&crate::format::options_bytes(options));
    seed
}

/// The FRI parameters of `options` over `mmcs`.
pub fn fri_parameters<M>(options: &ProofOptions, mmcs: M) -> FriParameters<M> {
    FriParameters {
        log_blowup: options.log_blowup as usize,
        log_final_poly_len: options.log_final_poly_len as usize,
        max_log_arity: options.max_log_arity as usize,
        num_queries: options.num_queries as usize,
        batch_proof_of_work_bits: 0,
        commit_proof_of_work_bits: options.commit_pow_bits as usize,
        query_proof_of_work_bits: options.query_pow_bits as usize,
        mmcs,
    }
}

/// Builds the configuration. `seed` feeds the salts and masks: the prover must pass 32 bytes from
/// the operating system's generator (a fixed seed is for tests and benchmarks only, and makes
/// the proof leak the witness); the verifier may pass anything (it draws nothing).
pub fn make_config(options: &ProofOptions, seed: [u8; 32]) -> Config {
    let mut master = StdRng::from_seed(seed);
    let mmcs = ValMmcs::new(
        FieldHash::new(Blake3),
        NodeCompress::new(Blake3),
        options.cap_height as usize,
        StdRng::from_rng(&mut master),
    );
    let fri = fri_parameters(options, ChallengeMmcs::new(mmcs.clone()));
    let pcs = Pcs::new(
        Dft::default(),
        mmcs,
        fri,
        options.num_random_codewords as usize,
        StdRng::from_rng(&mut master),
    );
    let challenger = Challenger::from_hasher(transcript_seed(options), Blake3);
    Config::new(pcs, challenger)
}
