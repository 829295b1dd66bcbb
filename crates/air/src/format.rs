//! The batch-proof file format, shared by prover and verifier.
//!
//! ```text
//! magic "CUSBATCH" (8) | format version u8 | AIR_VERSION u32 LE | options (8 bytes) | postcard(BatchProof)
//! ```

use crate::{AIR_VERSION, ProofOptions};

/// File magic.
pub const MAGIC: &[u8; 8] = b"CUSBATCH";
/// Version of this envelope.
pub const FORMAT_VERSION: u8 = 2;
/// Bytes before the Plonky3 proof.
pub const HEADER_LEN: usize = 8 + 1 + 4 + 8;
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
    /// Proven against another AIR version.
    #[error("proof is for AIR version {got}, this build verifies version {want}")]
    AirVersion {
        /// In the proof.
        got: u32,
        /// Pinned here.
        want: u32,
    },
    /// Larger than [`MAX_PROOF_BYTES`].
    #[error("proof of {0} bytes exceeds the {MAX_PROOF_BYTES}-byte limit")]
    TooLarge(usize),
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
    out.extend_from_slice(&AIR_VERSION.to_le_bytes());
    out.extend_from_slice(&options_bytes(options));
    out
}

/// Splits a proof file into its options and the Plonky3 proof bytes.
pub fn decode_header(bytes: &[u8]) -> Result<(ProofOptions, &[u8]), FormatError> {
    if bytes.len() > MAX_PROOF_BYTES {
        return Err(FormatError::TooLarge(bytes.len()));
    }
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        return Err(FormatError::Magic);
    }
    if bytes[8] != FORMAT_VERSION {
        return Err(FormatError::FormatVersion(bytes[8]));
    }
    let air = u32::from_le_bytes([bytes[9], bytes[10], bytes[11], bytes[12]]);
    if air != AIR_VERSION {
        return Err(FormatError::AirVersion {
            got: air,
            want: AIR_VERSION,
        });
    }
    let o = &bytes[13..HEADER_LEN];
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
