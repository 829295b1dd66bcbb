//! The batch-proof file format, shared by prover and verifier.
//!
//! ```text
//! magic "CUSBATCH" (8) | format version u8 | constraint digest (32) | options (8 bytes) | postcard(BatchProof)
//! ```
//!
//! The constraint digest ([`crate::digest::CONSTRAINT_DIGEST`]) names the exact constraint system
//! the proof is for; the verifier accepts only the one it pins.

use crate::ProofOptions;
use crate::digest::CONSTRAINT_DIGEST;

/// File magic.
pub const MAGIC: &[u8; 8] = b"CUSBATCH";
/// Version of this envelope.
pub const FORMAT_VERSION: u8 = 2;
/// Bytes before the Plonky3 proof.
pub const HEADER_LEN: usize = 8 + 1 + 32 + 8;
/// Largest proof the verifier reads (a 2^18-leaf, 256-asset proof is far below it).
pub const MAX_PROOF_BYTES: usize = 64 << 20;

/// Why an envelope is unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Too short or wrong magic.
    #[error("not a Custodia batch proof (bad magic or truncated header)")]
    Magic,
    /// Unknown envelope version.
    #[error("unsupported proof format version {0} (this build reads {FORMAT_VERSION})")]
    FormatVersion(u8),
    /// Proven against another constraint system.
    #[error(
        "the proof is for constraint system {got}, this verifier pins {want}",
        got = hex32(got),
        want = hex32(want)
    )]
    ConstraintSystem {
        /// In the proof.
        got: [u8; 32],
        /// Pinned here.
        want: [u8; 32],
    },
    /// Larger than [`MAX_PROOF_BYTES`].
    #[error("proof of {0} bytes exceeds the {MAX_PROOF_BYTES}-byte limit")]
    TooLarge(usize),
}

fn hex32(b: &[u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn options_bytes(o: &ProofOptions) -> [u8; 8] {
    [
        o.log_blowup,
        o.num_queries,
        o.query_pow_bits,
        o.commit_pow_bits,
        o.log_final_poly_len,
        o.max_log_arity,
        o.num_random_codewords,
        o.cap_height,
    ]
}

/// The header for `options`.
pub fn encode_header(options: &ProofOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&CONSTRAINT_DIGEST);
    out.extend_from_slice(&options_bytes(options));
    out
}

/// Splits a proof file into its options and the Plonky3 proof bytes.
pub fn decode_header(bytes: &[u8]) -> Result<(ProofOptions, &[u8]), FormatError> {
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(FormatError::TooLarge(bytes.len()));
    }
    if bytes.len() < 9 || &bytes[..8] != MAGIC {
        return Err(FormatError::Magic);
    }
    // The version first: an older file's header has another length.
    if bytes[8] != FORMAT_VERSION {
        return Err(FormatError::FormatVersion(bytes[8]));
    }
    if bytes.len() < HEADER_LEN {
        return Err(FormatError::Magic);
    }
    let digest: [u8; 32] = bytes[9..41].try_into().expect("32 bytes");
    if digest != CONSTRAINT_DIGEST {
        return Err(FormatError::ConstraintSystem {
            got: digest,
            want: CONSTRAINT_DIGEST,
        });
    }
    let o = &bytes[41..HEADER_LEN];
    let options = ProofOptions {
        log_blowup: o[0],
        num_queries: o[1],
        query_pow_bits: o[2],
        commit_pow_bits: o[3],
        log_final_poly_len: o[4],
        max_log_arity: o[5],
        num_random_codewords: o[6],
        cap_height: o[7],
    };
    Ok((options, &bytes[HEADER_LEN..]))
}
