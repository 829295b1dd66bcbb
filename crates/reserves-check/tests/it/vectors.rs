//! Signatures made by other implementations (bitcoinjs-message, ethers): the pure-Rust schemes
//! accept each one for its round and reject it for another round and in malleated (high-S) form.

use custodia_reserves_check::{ownership_message, schemes};

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
        other => unreachable!("{other}"),
    }
}

#[test]
fn other_implementations_signatures_verify_and_their_twins_do_not() {
    let text = include_str!("../../../reserves/tests/fixtures/ownership-vectors.json");
    let all: Vectors = serde_json::from_str(text).unwrap();
    let ours: Vec<&Vector> = all
        .vectors
        .iter()
        // The one EIP-191 vector is a Filecoin f410f address (not re-checked here).
        .filter(|v| v.scheme == "coin-signed-message")
        .collect();
    assert!(ours.len() >= 8, "{} vectors", ours.len());
    for v in ours {
        assert_eq!(
            v.message,
            ownership_message(&v.exchange, &v.round, v.height, &v.address)
        );
        let canonical = check(v, &v.round, &v.signature)
            .unwrap_or_else(|e| panic!("{} {}: {e}", v.chain, v.address));
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
