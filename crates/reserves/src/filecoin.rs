//! Filecoin. `f1` accounts: secp256k1 over `BLAKE2b-256` of the message, 65-byte `r ‖ s ‖ v`
//! signatures (base64, optionally with Filecoin's leading type byte 1); the message is the
//! FRC-0102 envelope `"\x19Filecoin Signed Message:\n" ‖ len ‖ message`, or the raw bytes as
//! Lotus' `WalletSign` signs them. The key is recovered and the address derived
//! (`BLAKE2b-160` of the uncompressed key). `f410f` accounts are Ethereum accounts: EIP-191.

use custodia_chain::checksum::blake2b;
use custodia_chain::filecoin::{self, FilAddress};

use crate::evm::{account_of, compact_recoverable, recover};
use crate::sign::SigningKey;
use crate::{Scheme, WalletRejection};

/// The FRC-0102 envelope of a message.
pub fn frc0102_envelope(message: &[u8]) -> Vec<u8> {
    [
        b"\x19Filecoin Signed Message:\n".as_slice(),
        message.len().to_string().as_bytes(),
        message,
    ]
    .concat()
}

fn payload_of(pk: &bitcoin::secp256k1::PublicKey) -> [u8; 20] {
    filecoin::secp256k1_payload(&pk.serialize_uncompressed())
}

pub(crate) fn verify(
    address: &FilAddress,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    crate::keydata::KeyData::parse(script, &[])?;
    let sig = crate::ed25519::one(signatures, "Filecoin address")?;
    match address {
        FilAddress::Eth(account) => {
            crate::evm::verify_personal_sign(account, message, sig)?;
            Ok(Scheme::Eip191)
        }
        FilAddress::Secp256k1(payload) => {
            let raw = crate::ed25519::base64(sig)?;
            let body = match raw.len() {
                65 => raw.as_slice(),
                66 if raw[0] == 1 => &raw[1..],
                n => {
                    return Err(WalletRejection::SignatureLength {
                        expected: 65,
                        got: n,
                    });
                }
            };
            if body[64] > 1 {
                return Err(WalletRejection::BadRecoveryId {
                    value: body[64],
                    accepted: "Filecoin recovery ids are 0 or 1",
                });
            }
            let rec = compact_recoverable(&body[..64], body[64])?;
            let mut got = None;
            for (scheme, bytes) in [
                (Scheme::Frc0102, frc0102_envelope(message.as_bytes())),
                (Scheme::FilecoinRaw, message.as_bytes().to_vec()),
            ] {
                let pk = recover(&rec, blake2b::<32>(&[&bytes]))?;
                let derived = payload_of(&pk);
                if &derived == payload {
                    return Ok(scheme);
                }
                got.get_or_insert(derived);
            }
            Err(WalletRejection::WrongKey {
                expected: filecoin::encode(address),
                got: filecoin::encode(&FilAddress::Secp256k1(got.expect("tried twice"))),
            })
        }
    }
}

/// The `f1` address of `key`.
pub fn filecoin_f1_address(key: &SigningKey) -> String {
    filecoin::encode(&FilAddress::Secp256k1(payload_of(&key.public_key())))
}

/// The `f410f` address of `key`'s Ethereum account.
pub fn filecoin_f4_address(key: &SigningKey) -> String {
    filecoin::encode(&FilAddress::Eth(account_of(&key.public_key())))
}

/// An FRC-0102 signature (base64 of `r ‖ s ‖ v`).
pub fn sign_frc0102(key: &SigningKey, message: &str) -> String {
    use base64::Engine as _;
    let (recid, rs) = key.sign_recoverable(blake2b::<32>(&[&frc0102_envelope(message.as_bytes())]));
    let mut out = [0u8; 65];
    out[..64].copy_from_slice(&rs);
    out[64] = recid;
    base64::engine::general_purpose::STANDARD.encode(out)
}
