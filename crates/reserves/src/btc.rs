//! Bitcoin ownership proofs: BIP-137 signed messages, BIP-322 *simple* signatures and m-of-n
//! multisig, all checked with rust-bitcoin and libsecp256k1.
//!
//! | address | accepted |
//! |---|---|
//! | P2PKH (`1…`) | BIP-137, header 27–30 (uncompressed key) or 31–34 (compressed) |
//! | P2SH-P2WPKH (`3…`) | BIP-137 header 35–38 (or 31–34, Electrum style); BIP-322 simple |
//! | P2WPKH (`bc1q…`, 42 chars) | BIP-137 header 39–42 (or 31–34, Electrum style); BIP-322 simple |
//! | P2TR (`bc1p…`) | BIP-322 simple, key path, SIGHASH_DEFAULT or SIGHASH_ALL |
//! | P2SH multisig (`3…`) | `script` = redeem script; one BIP-137-style signature (header 27–34) per signing key |
//! | P2WSH multisig (`bc1q…`, 62 chars) and P2SH-P2WSH | BIP-322 simple (`[∅, sig…, witness script]`), or the script plus one BIP-137-style signature per key |
//!
//! Every ECDSA signature must be low-S (libsecp256k1 and every mainstream wallet sign low-S; a
//! high-S twin of a valid signature is rejected with [`WalletRejection::HighS`]). BIP-322 ECDSA
//! signatures must be strict DER with `SIGHASH_ALL`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bitcoin::absolute::LockTime;
use bitcoin::hashes::{Hash, HashEngine, sha256};
use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_RETURN};
use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::secp256k1::{Message, PublicKey as SecpPublicKey};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::sign_message::signed_msg_hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Address, AddressType, Amount as BtcAmount, CompressedPublicKey, EcdsaSighashType, Network,
    OutPoint, PubkeyHash, PublicKey, Script, ScriptBuf, ScriptHash, Sequence, TapSighashType,
    Transaction, TxIn, TxOut, Txid, Witness, WitnessProgram, WitnessVersion, XOnlyPublicKey,
    opcodes,
};
use custodia_chain::AddressKind;

use crate::evm::{compact_recoverable, recover};
use crate::{Scheme, WalletRejection, secp};

/// The BIP-340 tag of BIP-322 message hashes.
pub const BIP322_TAG: &[u8] = b"BIP0322-signed-message";

/// The rust-bitcoin address of an address `custodia-chain` has parsed for `network`, if it is a
/// standard output type (the types an ownership scheme exists for); the reason otherwise.
pub fn standard_address(a: &custodia_chain::Address, network: Network) -> Result<Address, String> {
    let hash20 = || -> [u8; 20] { a.payload().try_into().expect("P2PKH/P2SH hash is 20 bytes") };
    let spk = match a.kind() {
        AddressKind::P2pkh => ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array(hash20())),
        AddressKind::P2sh => ScriptBuf::new_p2sh(&ScriptHash::from_byte_array(hash20())),
        AddressKind::Segwit(v) => {
            let version = WitnessVersion::try_from(v).map_err(|e| e.to_string())?;
            let program =
                WitnessProgram::new(version, &a.payload()[1..]).map_err(|e| e.to_string())?;
            ScriptBuf::new_witness_program(&program)
        }
        other => return Err(format!("{other:?} is not a Bitcoin address")),
    };
    let addr = Address::from_script(&spk, network).map_err(|e| e.to_string())?;
    if addr.address_type().is_none() {
        return Err("not a standard address type".into());
    }
    Ok(addr)
}

/// The BIP-322 message hash: `sha256(sha256(tag) ‖ sha256(tag) ‖ message)`.
pub fn bip322_message_hash(message: &[u8]) -> [u8; 32] {
    let tag = sha256::Hash::hash(BIP322_TAG);
    let mut engine = sha256::Hash::engine();
    engine.input(tag.as_byte_array());
    engine.input(tag.as_byte_array());
    engine.input(message);
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// BIP-322's virtual `to_spend` transaction for an output script and a message.
pub fn bip322_to_spend(script_pubkey: &Script, message: &[u8]) -> Transaction {
    let script_sig = Builder::new()
        .push_opcode(opcodes::OP_0)
        .push_slice(bip322_message_hash(message))
        .into_script();
    Transaction {
        version: Version(0),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: Txid::all_zeros(),
                vout: 0xFFFF_FFFF,
            },
            script_sig,
            sequence: Sequence::ZERO,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: BtcAmount::ZERO,
            script_pubkey: script_pubkey.to_owned(),
        }],
    }
}

/// BIP-322's virtual `to_sign` transaction spending `to_spend` (empty witness: the sighashes
/// of segwit inputs commit to neither scriptSig nor witness).
pub fn bip322_to_sign(to_spend: &Transaction, script_sig: ScriptBuf) -> Transaction {
    Transaction {
        version: Version(0),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint {
                txid: to_spend.compute_txid(),
                vout: 0,
            },
            script_sig,
            sequence: Sequence::ZERO,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: BtcAmount::ZERO,
            script_pubkey: Builder::new().push_opcode(OP_RETURN).into_script(),
        }],
    }
}

/// The BIP-143 sighash (SIGHASH_ALL) of a BIP-322 P2WPKH / P2SH-P2WPKH proof. `p2wpkh` is the
/// witness program script `0 <20 bytes>`.
pub fn bip322_p2wpkh_sighash(address_spk: &Script, p2wpkh: &Script, message: &[u8]) -> [u8; 32] {
    let to_spend = bip322_to_spend(address_spk, message);
    let to_sign = bip322_to_sign(&to_spend, p2wsh_script_sig(address_spk, p2wpkh));
    SighashCache::new(&to_sign)
        .p2wpkh_signature_hash(0, p2wpkh, BtcAmount::ZERO, EcdsaSighashType::All)
        .expect("input 0 exists and the script is P2WPKH")
        .to_byte_array()
}

/// The BIP-143 sighash (SIGHASH_ALL) of a BIP-322 P2WSH / P2SH-P2WSH proof.
pub fn bip322_p2wsh_sighash(
    address_spk: &Script,
    witness_script: &Script,
    message: &[u8],
) -> [u8; 32] {
    let to_spend = bip322_to_spend(address_spk, message);
    let program = ScriptBuf::new_p2wsh(&witness_script.wscript_hash());
    let to_sign = bip322_to_sign(&to_spend, p2wsh_script_sig(address_spk, &program));
    SighashCache::new(&to_sign)
        .p2wsh_signature_hash(0, witness_script, BtcAmount::ZERO, EcdsaSighashType::All)
        .expect("input 0 exists")
        .to_byte_array()
}

/// The BIP-341 key-path sighash of a BIP-322 P2TR proof.
pub fn bip322_p2tr_sighash(
    address_spk: &Script,
    message: &[u8],
    sighash_type: TapSighashType,
) -> [u8; 32] {
    let to_spend = bip322_to_spend(address_spk, message);
    let to_sign = bip322_to_sign(&to_spend, ScriptBuf::new());
    let prevout = [TxOut {
        value: BtcAmount::ZERO,
        script_pubkey: address_spk.to_owned(),
    }];
    SighashCache::new(&to_sign)
        .taproot_key_spend_signature_hash(0, &Prevouts::All(&prevout), sighash_type)
        .expect("one input, one prevout")
        .to_byte_array()
}

/// The scriptSig of a nested-segwit input: one push of the witness program, or empty for native.
fn p2wsh_script_sig(address_spk: &Script, program: &Script) -> ScriptBuf {
    if address_spk.is_p2sh() {
        let push = PushBytesBuf::try_from(program.to_bytes()).expect("a program is < 520 bytes");
        Builder::new().push_slice(push).into_script()
    } else {
        ScriptBuf::new()
    }
}

/// Parses a standard `OP_m <key>… OP_n OP_CHECKMULTISIG` script.
pub fn parse_multisig(script: &Script) -> Result<(usize, Vec<PublicKey>), WalletRejection> {
    let not = |reason: &str| WalletRejection::NotMultisig {
        reason: reason.to_owned(),
    };
    let ins: Vec<Instruction<'_>> = script
        .instructions_minimal()
        .collect::<Result<_, _>>()
        .map_err(|e| not(&e.to_string()))?;
    let pushnum = |i: &Instruction<'_>| match i {
        Instruction::Op(op) if (0x51..=0x60).contains(&op.to_u8()) => {
            Some(usize::from(op.to_u8() - 0x50))
        }
        _ => None,
    };
    let [first, keys @ .., n_op, last] = ins.as_slice() else {
        return Err(not("too short"));
    };
    if *last != Instruction::Op(OP_CHECKMULTISIG) {
        return Err(not("does not end with OP_CHECKMULTISIG"));
    }
    let m = pushnum(first).ok_or_else(|| not("does not start with OP_1..OP_16"))?;
    let n = pushnum(n_op).ok_or_else(|| not("key count is not OP_1..OP_16"))?;
    let keys = keys
        .iter()
        .map(|i| match i {
            Instruction::PushBytes(b) => PublicKey::from_slice(b.as_bytes())
                .map_err(|e| not(&format!("bad public key: {e}"))),
            Instruction::Op(_) => Err(not("unexpected opcode among the keys")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if keys.len() != n {
        return Err(not(&format!("{} keys but n = {n}", keys.len())));
    }
    if m == 0 || m > n {
        return Err(not(&format!("m = {m} with n = {n}")));
    }
    Ok((m, keys))
}

/// Verifies that whoever controls `address` signed `message`.
pub(crate) fn verify_ownership(
    address: &Address,
    network: Network,
    message: &str,
    signatures: &[String],
    script: Option<&str>,
) -> Result<Scheme, WalletRejection> {
    let kind = address
        .address_type()
        .expect("standard_address accepts standard types only");
    let spk = address.script_pubkey();
    let script = script
        .map(|s| {
            ScriptBuf::from_hex(s).map_err(|e| WalletRejection::NotMultisig {
                reason: format!("script is not hex: {e}"),
            })
        })
        .transpose()?;
    if matches!(
        kind,
        AddressType::P2pkh | AddressType::P2wpkh | AddressType::P2tr | AddressType::P2a
    ) && script.is_some()
    {
        return Err(WalletRejection::UnexpectedScript {
            address_type: kind.to_string(),
        });
    }
    if signatures.is_empty() {
        return Err(WalletRejection::NoSignature);
    }
    let raw = signatures
        .iter()
        .map(|s| {
            STANDARD.decode(s).map_err(|e| WalletRejection::BadBase64 {
                reason: e.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let compact = |b: &Vec<u8>| b.len() == 65;

    if let Some(script) = &script
        && matches!(kind, AddressType::P2sh | AddressType::P2wsh)
        && raw.iter().all(compact)
        && !is_p2wpkh_redeem(script)
    {
        verify_multisig_compact(&spk, kind, message, &raw, script)?;
        return Ok(Scheme::MultisigBip137);
    }
    if raw.len() > 1 && script.is_none() && matches!(kind, AddressType::P2sh | AddressType::P2wsh) {
        return Err(WalletRejection::ScriptRequired);
    }
    if raw.len() > 1 {
        return Err(WalletRejection::TooManySignatures {
            got: raw.len(),
            max: 1,
            address_type: kind.to_string(),
        });
    }
    let sig = &raw[0];
    if kind == AddressType::P2pkh && !compact(sig) {
        // P2PKH has only the BIP-137 form: anything but 65 bytes is a truncated or padded one.
        return Err(WalletRejection::SignatureLength {
            expected: 65,
            got: sig.len(),
        });
    }
    if compact(sig) {
        if script.is_some() {
            // A script belongs to multisig proofs (and BIP-322 witnesses), not to BIP-137.
            return Err(WalletRejection::UnexpectedScript {
                address_type: format!("{kind} BIP-137"),
            });
        }
        return match kind {
            AddressType::P2pkh | AddressType::P2wpkh | AddressType::P2sh => {
                verify_bip137(address, &spk, kind, network, message, sig)?;
                Ok(Scheme::Bip137)
            }
            AddressType::P2wsh => Err(WalletRejection::ScriptRequired),
            _ => Err(WalletRejection::UnsupportedScheme {
                address_type: kind.to_string(),
                scheme: "BIP-137",
            }),
        };
    }
    let witness: Witness = bitcoin::consensus::deserialize(sig)
        .map_err(|e| WalletRejection::bip322(format!("signature is not a witness stack: {e}")))?;
    verify_bip322(
        address,
        &spk,
        kind,
        network,
        message,
        &witness,
        script.as_deref(),
    )
}

fn is_p2wpkh_redeem(script: &Script) -> bool {
    script.is_p2wpkh()
}

/// What a BIP-137 header byte announces.
fn header_kind(header: u8) -> Result<(&'static str, bool), WalletRejection> {
    Ok(match header {
        27..=30 => ("P2PKH (uncompressed key)", false),
        31..=34 => ("P2PKH (compressed key)", true),
        35..=38 => ("P2SH-P2WPKH", true),
        39..=42 => ("P2WPKH", true),
        _ => {
            return Err(WalletRejection::BadRecoveryId {
                value: header,
                accepted: "BIP-137 headers are 27-42",
            });
        }
    })
}

fn verify_bip137(
    address: &Address,
    spk: &Script,
    kind: AddressType,
    network: Network,
    message: &str,
    sig: &[u8],
) -> Result<(), WalletRejection> {
    let header = sig[0];
    let (header_type, compressed) = header_kind(header)?;
    let mismatch = || WalletRejection::HeaderAddressType {
        header,
        header_type,
        address_type: kind.to_string(),
    };
    // The header must announce the address's type; a compressed-P2PKH header (31-34) is also
    // accepted for the two segwit single-key types, as Electrum and many hardware wallets write it.
    match (header, kind) {
        (27..=34, AddressType::P2pkh)
        | (31..=38, AddressType::P2sh)
        | (31..=34 | 39..=42, AddressType::P2wpkh) => {}
        _ => return Err(mismatch()),
    }
    let recoverable = compact_recoverable(&sig[1..], (header - 27) & 3)?;
    let pk = recover(&recoverable, signed_msg_hash(message).to_byte_array())?;
    let key = PublicKey {
        compressed,
        inner: pk,
    };
    let derived = match kind {
        AddressType::P2pkh => ScriptBuf::new_p2pkh(&key.pubkey_hash()),
        AddressType::P2wpkh => {
            ScriptBuf::new_p2wpkh(&key.wpubkey_hash().expect("compressed for headers 31-42"))
        }
        _ => {
            let program =
                ScriptBuf::new_p2wpkh(&key.wpubkey_hash().expect("compressed for headers 31-38"));
            ScriptBuf::new_p2sh(&program.script_hash())
        }
    };
    if derived.as_script() != spk {
        return Err(WalletRejection::WrongKey {
            expected: address.to_string(),
            got: Address::from_script(&derived, network)
                .map_or_else(|_| key.to_string(), |a| a.to_string()),
        });
    }
    Ok(())
}

/// One signature of a BIP-322 ECDSA witness: strict DER, SIGHASH_ALL, low S.
fn der_signature(bytes: &[u8]) -> Result<bitcoin::secp256k1::ecdsa::Signature, WalletRejection> {
    let sig = bitcoin::ecdsa::Signature::from_slice(bytes).map_err(WalletRejection::bad_sig)?;
    if sig.sighash_type != EcdsaSighashType::All {
        return Err(WalletRejection::bip322(format!(
            "signature uses {} (SIGHASH_ALL required)",
            sig.sighash_type
        )));
    }
    let mut low = sig.signature;
    low.normalize_s();
    if low != sig.signature {
        return Err(WalletRejection::HighS);
    }
    Ok(sig.signature)
}

fn ecdsa_ok(
    sig: &bitcoin::secp256k1::ecdsa::Signature,
    digest: [u8; 32],
    pk: &SecpPublicKey,
) -> bool {
    secp()
        .verify_ecdsa(&Message::from_digest(digest), sig, pk)
        .is_ok()
}

fn verify_bip322(
    address: &Address,
    spk: &Script,
    kind: AddressType,
    network: Network,
    message: &str,
    witness: &Witness,
    script: Option<&Script>,
) -> Result<Scheme, WalletRejection> {
    let items: Vec<&[u8]> = witness.iter().collect();
    let msg = message.as_bytes();
    let single_key = matches!(kind, AddressType::P2wpkh)
        || (kind == AddressType::P2sh && items.len() == 2 && items[1].len() == 33);
    if single_key {
        let [sig, pk] = items.as_slice() else {
            return Err(WalletRejection::bip322(
                "a P2WPKH witness is [signature, public key]",
            ));
        };
        let pk = CompressedPublicKey::from_slice(pk)
            .map_err(|e| WalletRejection::bip322(format!("witness public key: {e}")))?;
        let program = ScriptBuf::new_p2wpkh(&pk.wpubkey_hash());
        let derived = if kind == AddressType::P2sh {
            ScriptBuf::new_p2sh(&program.script_hash())
        } else {
            program.clone()
        };
        if let Some(script) = script
            && script != program.as_script()
        {
            return Err(WalletRejection::ScriptMismatch);
        }
        if derived.as_script() != spk {
            return Err(WalletRejection::WrongKey {
                expected: address.to_string(),
                got: Address::from_script(&derived, network)
                    .map_or_else(|_| pk.to_string(), |a| a.to_string()),
            });
        }
        let sig = der_signature(sig)?;
        let digest = bip322_p2wpkh_sighash(spk, &program, msg);
        return if ecdsa_ok(&sig, digest, &pk.0) {
            Ok(Scheme::Bip322Simple)
        } else {
            Err(WalletRejection::SignatureInvalid)
        };
    }
    match kind {
        AddressType::P2tr => {
            let sig = match items.as_slice() {
                [sig] => *sig,
                [_, annex] if annex.first() == Some(&0x50) => {
                    return Err(WalletRejection::bip322("taproot annex is not accepted"));
                }
                _ => {
                    return Err(WalletRejection::bip322(
                        "a P2TR key-path witness is one signature",
                    ));
                }
            };
            let sig =
                bitcoin::taproot::Signature::from_slice(sig).map_err(WalletRejection::bad_sig)?;
            if !matches!(
                sig.sighash_type,
                TapSighashType::Default | TapSighashType::All
            ) {
                return Err(WalletRejection::bip322(format!(
                    "signature uses {} (SIGHASH_DEFAULT or SIGHASH_ALL required)",
                    sig.sighash_type
                )));
            }
            let output_key = XOnlyPublicKey::from_slice(&spk.as_bytes()[2..34])
                .map_err(|e| WalletRejection::bip322(format!("output key: {e}")))?;
            let digest = bip322_p2tr_sighash(spk, msg, sig.sighash_type);
            secp()
                .verify_schnorr(&sig.signature, &Message::from_digest(digest), &output_key)
                .map_err(|_| WalletRejection::SignatureInvalid)?;
            Ok(Scheme::Bip322Simple)
        }
        AddressType::P2wsh | AddressType::P2sh => {
            let Some((ws, rest)) = items.split_last() else {
                return Err(WalletRejection::bip322("empty witness"));
            };
            let ws = Script::from_bytes(ws);
            if let Some(script) = script
                && script != ws
            {
                return Err(WalletRejection::ScriptMismatch);
            }
            let program = ScriptBuf::new_p2wsh(&ws.wscript_hash());
            let derived = if kind == AddressType::P2sh {
                ScriptBuf::new_p2sh(&program.script_hash())
            } else {
                program
            };
            if derived.as_script() != spk {
                return Err(WalletRejection::ScriptMismatch);
            }
            let (m, keys) = parse_multisig(ws)?;
            if keys.iter().any(|k| !k.compressed) {
                return Err(WalletRejection::NotMultisig {
                    reason: "witness scripts take compressed keys only".into(),
                });
            }
            let Some((dummy, sigs)) = rest.split_first() else {
                return Err(WalletRejection::NotEnoughSignatures { got: 0, need: m });
            };
            if !dummy.is_empty() {
                return Err(WalletRejection::bip322(
                    "the CHECKMULTISIG dummy element must be empty",
                ));
            }
            if sigs.len() < m {
                return Err(WalletRejection::NotEnoughSignatures {
                    got: sigs.len(),
                    need: m,
                });
            }
            if sigs.len() > m {
                return Err(WalletRejection::TooManySignatures {
                    got: sigs.len(),
                    max: m,
                    address_type: format!("{m}-of-{} multisig", keys.len()),
                });
            }
            let digest = bip322_p2wsh_sighash(spk, ws, msg);
            // OP_CHECKMULTISIG: signatures match keys in script order, each key used once.
            let mut next_key = 0;
            for (i, sig) in sigs.iter().enumerate() {
                let sig = der_signature(sig)?;
                loop {
                    let Some(key) = keys.get(next_key) else {
                        let known = keys.iter().any(|k| ecdsa_ok(&sig, digest, &k.inner));
                        return Err(if known {
                            WalletRejection::bip322("signatures are not in script key order")
                        } else {
                            WalletRejection::SignerNotInScript { index: i + 1 }
                        });
                    };
                    next_key += 1;
                    if ecdsa_ok(&sig, digest, &key.inner) {
                        break;
                    }
                }
            }
            Ok(Scheme::MultisigBip322Simple)
        }
        other => Err(WalletRejection::UnsupportedScheme {
            address_type: other.to_string(),
            scheme: "BIP-322 simple",
        }),
    }
}

/// Multisig with one BIP-137-style compact signature per signing key over the Bitcoin
/// signed-message hash of the ownership message.
fn verify_multisig_compact(
    spk: &Script,
    kind: AddressType,
    message: &str,
    sigs: &[Vec<u8>],
    script: &Script,
) -> Result<(), WalletRejection> {
    let p2wsh = ScriptBuf::new_p2wsh(&script.wscript_hash());
    let matches = match kind {
        AddressType::P2wsh => p2wsh.as_script() == spk,
        _ => {
            ScriptBuf::new_p2sh(&script.script_hash()).as_script() == spk
                || ScriptBuf::new_p2sh(&p2wsh.script_hash()).as_script() == spk
        }
    };
    if !matches {
        return Err(WalletRejection::ScriptMismatch);
    }
    let (m, keys) = parse_multisig(script)?;
    let digest = signed_msg_hash(message).to_byte_array();
    let mut used = vec![false; keys.len()];
    for (i, sig) in sigs.iter().enumerate() {
        let header = sig[0];
        if !(27..=34).contains(&header) {
            return Err(WalletRejection::BadRecoveryId {
                value: header,
                accepted: "multisig signatures use BIP-137 headers 27-34",
            });
        }
        let recoverable = compact_recoverable(&sig[1..], (header - 27) & 3)?;
        let pk = recover(&recoverable, digest)?;
        let j = keys
            .iter()
            .position(|k| k.inner == pk)
            .ok_or(WalletRejection::SignerNotInScript { index: i + 1 })?;
        used[j] = true;
    }
    let got = used.iter().filter(|u| **u).count();
    if got < m {
        return Err(WalletRejection::NotEnoughSignatures { got, need: m });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bip322_message_hash_vectors() {
        // BIP-322 "Test vectors / Message hashing".
        assert_eq!(
            hex::encode(bip322_message_hash(b"")),
            "c90c269c4f8fcbe6880f72a721ddfbf1914268a794cbb21cfafee13770ae19f1"
        );
        assert_eq!(
            hex::encode(bip322_message_hash(b"Hello World")),
            "f0eb03b1a75ac6d9847f55c624a99169b5dccba2a31f5b23bea77ba270de0a7a"
        );
    }

    #[test]
    fn bip322_transaction_vectors() {
        // BIP-322 "Test vectors / Transaction Hashes" for bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l.
        let parsed = custodia_chain::Address::parse(
            custodia_chain::Chain::Bitcoin,
            "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
        )
        .unwrap();
        let addr = standard_address(&parsed, Network::Bitcoin).unwrap();
        for (msg, spend, sign) in [
            (
                "",
                "c5680aa69bb8d860bf82d4e9cd3504b55dde018de765a91bb566283c545a99a7",
                "1e9654e951a5ba44c8604c4de6c67fd78a27e81dcadcfe1edf638ba3aaebaed6",
            ),
            (
                "Hello World",
                "b79d196740ad5217771c1098fc4a4b51e0535c32236c71f1ea4d61a2d603352b",
                "88737ae86f2077145f93cc4b153ae9a1cb8d56afa511988c149c5c8c9d93bddf",
            ),
        ] {
            let to_spend = bip322_to_spend(&addr.script_pubkey(), msg.as_bytes());
            assert_eq!(to_spend.compute_txid().to_string(), spend);
            let to_sign = bip322_to_sign(&to_spend, ScriptBuf::new());
            assert_eq!(to_sign.compute_txid().to_string(), sign);
        }
    }

    #[test]
    fn multisig_script_parsing() {
        let two_of_two = ScriptBuf::from_hex(
            "52210244f7cb842a4ce4f352ce4062ae5e0a5d60d6faa0b07b62c2063484aa5297bbce210234eed6190efc47716b953a050b563f8b2b523addea955ae43351dd2a92aa49f452ae",
        )
        .unwrap();
        let (m, keys) = parse_multisig(&two_of_two).unwrap();
        assert_eq!((m, keys.len()), (2, 2));
        for (hex, why) in [
            ("", "too short"),
            (
                "5121020000000000000000000000000000000000000000000000000000000000000001",
                "too short",
            ),
            ("0051ae", "does not start"),
        ] {
            let err = parse_multisig(&ScriptBuf::from_hex(hex).unwrap()).unwrap_err();
            assert!(err.to_string().contains(why), "{hex}: {err}");
        }
    }
}
