//! Signatures made by other implementations (bitcoinjs-message, ethers, tweetnacl and
//! `@solana/offchain-messages`, `@polkadot/keyring`, the Aptos and Sui SDKs, Stellar's SDK,
//! ripple-keypairs): the pure-Rust schemes accept each one for its round and reject it for
//! another round and in malleated form (high S; ed25519 `s + ℓ`).

use custodia_reserves_check::{edwards, ownership_message, schemes};

#[derive(serde::Deserialize)]
struct Vectors {
    other_round: String,
    vectors: Vec<Vector>,
}

#[derive(serde::Deserialize)]
struct Vector {
    exchange: String,
    round: String,
    chain: String,
    height: u64,
    scheme: String,
    address: String,
    key_data: String,
    signature: String,
    other_round_signature: String,
    malleated_signature: String,
    message: String,
}

fn check(v: &Vector, round: &str, sig: &str) -> Result<String, String> {
    let message = ownership_message(&v.exchange, round, v.height, &v.address);
    let sigs = vec![sig.to_owned()];
    match v.scheme.as_str() {
        "eip191" => schemes::eip191(&v.address, &message, &sigs),
        "coin-signed-message" => schemes::coin_signed_message(
            schemes::coin_of(&v.chain).expect("a coin chain"),
            &v.address,
            &message,
            &sigs,
        ),
        "solana-offchain" | "solana-raw" => edwards::solana(
            &v.address,
            &message,
            &sigs,
            &v.key_data,
            v.scheme == "solana-offchain",
        ),
        "sr25519-bytes" | "ed25519-bytes" => {
            edwards::polkadot(&v.address, &message, &sigs, v.scheme == "sr25519-bytes")
        }
        "aip62" => edwards::aptos(&v.address, &message, &sigs, &v.key_data),
        "sui-personal-message" => edwards::sui(&v.address, &message, &sigs),
        "sep53" => edwards::stellar(&v.address, &message, &sigs),
        "xrpl-keypairs" => edwards::xrpl(&v.address, &message, &sigs, &v.key_data),
        other => unreachable!("{other}"),
    }
}

/// The schemes of the vector file this crate re-checks.
const RECHECKED: [&str; 9] = [
    "coin-signed-message",
    "solana-offchain",
    "solana-raw",
    "sr25519-bytes",
    "ed25519-bytes",
    "aip62",
    "sui-personal-message",
    "sep53",
    "xrpl-keypairs",
];

#[test]
fn other_implementations_signatures_verify_and_their_twins_do_not() {
    let text = include_str!("../../../reserves/tests/fixtures/ownership-vectors.json");
    let all: Vectors = serde_json::from_str(text).unwrap();
    let ours: Vec<&Vector> = all
        .vectors
        .iter()
        // The one EIP-191 vector is a Filecoin f410f address (not re-checked here).
        .filter(|v| RECHECKED.contains(&v.scheme.as_str()))
        .collect();
    // Every scheme has at least one vector from another implementation.
    for scheme in RECHECKED {
        assert!(
            ours.iter().any(|v| v.scheme == scheme),
            "no {scheme} vector"
        );
    }
    assert!(ours.len() >= 23, "{} vectors", ours.len());
    for v in ours {
        assert_eq!(
            v.message,
            ownership_message(&v.exchange, &v.round, v.height, &v.address)
        );
        let canonical = check(v, &v.round, &v.signature)
            .unwrap_or_else(|e| panic!("{} {} {}: {e}", v.chain, v.scheme, v.address));
        assert_eq!(canonical, v.address);
        // Negative twins: the signature of another round, the malleated signature, and the
        // right signature over another round's message.
        assert!(
            check(v, &v.round, &v.other_round_signature).is_err(),
            "{}",
            v.address
        );
        let e = check(v, &v.round, &v.malleated_signature).unwrap_err();
        assert!(!e.is_empty());
        assert!(check(v, &all.other_round, &v.signature).is_err());
    }
}

#[test]
fn malformed_signatures_are_reasons_not_panics() {
    let addr = "0x52908400098527886E0F7030069857D2E4169EE7";
    let msg = "m";
    for sig in [
        "",
        "0x",
        "zz",
        &"00".repeat(65),
        &format!("0x{}1b", "ff".repeat(64)),
    ] {
        let e = schemes::eip191(addr, msg, &[sig.to_owned()]).unwrap_err();
        assert!(!e.is_empty(), "{sig}");
    }
    assert!(schemes::eip191(addr, msg, &[]).is_err());
    assert!(schemes::bitcoin_bip137("bc1qnotanaddress", msg, &["AA==".into()]).is_err());
    assert!(
        schemes::bitcoin_bip137(
            "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
            msg,
            &["not base64!".into()]
        )
        .is_err()
    );
}
