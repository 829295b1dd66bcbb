//! TRON: TIP-191 signed messages (`signMessageV2`); addresses (base58check of `0x41` ‖ 20-byte
//! account) are `custodia-chain`'s.

use custodia_chain::tron::to_base58check;

use crate::WalletRejection;
use crate::evm::{account_of, decode_rsv, prefixed_hash, recover};

/// The TIP-191 hash of a message: `keccak256("\x19TRON Signed Message:\n" ‖ len ‖ message)`.
pub fn tip191_hash(message: &[u8]) -> [u8; 32] {
    prefixed_hash(b"\x19TRON Signed Message:\n", message)
}

/// Verifies a TIP-191 signature (65 bytes hex, `v` ∈ {27, 28, 0, 1}) of `message` by `account`.
pub(crate) fn verify_signed_message(
    account: &[u8; 20],
    message: &str,
    signature: &str,
) -> Result<(), WalletRejection> {
    let sig = decode_rsv(signature)?;
    let pk = recover(&sig, tip191_hash(message.as_bytes()))?;
    let got = account_of(&pk);
    if &got != account {
        return Err(WalletRejection::WrongKey {
            expected: to_base58check(account),
            got: to_base58check(&got),
        });
    }
    Ok(())
}
