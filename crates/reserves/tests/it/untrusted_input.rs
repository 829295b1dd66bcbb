//! Wallet files are untrusted input: no field, however malformed, may panic the verifier.

use custodia_reserves::chain::default_chains;
use custodia_reserves::{parse_wallets, verify_ownership};
use proptest::prelude::*;

const ADDRESSES: [&str; 6] = [
    "14vV3aCHBeStb5bkenkNHbe2YAFinYdXgc",
    "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
    "bc1ppv609nr0vr25u07u95waq5lucwfm6tde4nydujnu8npg4q75mr5sxq8lt3",
    "bc1qw6g0rgrpuxvj4edkwtvzpmt3c5m08mhp8nuk3mrk4erufvlczp5ssdscjd",
    "3Nye4j1GUFqCEBR3do2KEFZAs9oLe8NZ6X",
    "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
];

proptest! {
    #[test]
    fn arbitrary_signature_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        addr in 0usize..ADDRESSES.len(),
        script in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..120)),
    ) {
        use base64::Engine as _;
        let chains = default_chains();
        let address = ADDRESSES[addr];
        let chain = if address.starts_with("0x") { &chains[1] } else { &chains[0] };
        let sig = if address.starts_with("0x") {
            format!("0x{}", hex::encode(&bytes))
        } else {
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        };
        let script = script.map(hex::encode);
        let _ = verify_ownership(chain, address, "m", std::slice::from_ref(&sig), script.as_deref());
        let _ = verify_ownership(chain, address, "m", &[sig.clone(), sig], script.as_deref());
    }

    #[test]
    fn arbitrary_text_fields_never_panic(address in ".{0,80}", sig in ".{0,120}", script in ".{0,40}") {
        for chain in default_chains() {
            let _ = verify_ownership(&chain, &address, "m", std::slice::from_ref(&sig), Some(&script));
        }
    }

    #[test]
    fn arbitrary_wallet_files_never_panic(text in ".{0,300}") {
        let _ = parse_wallets(&text);
        let _ = parse_wallets(&format!("{{{text}"));
        let _ = parse_wallets(&format!("chain,address,asset,balance,height,message,signatures\n{text}"));
    }
}

proptest! {
    /// Any single-byte change to a valid proof makes it fail (and never panics).
    #[test]
    fn mutated_proofs_never_verify(which in 0usize..3, pos in any::<usize>(), xor in 1u8..=255) {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let (address, message, sig) = [
            ("bc1qw6g0rgrpuxvj4edkwtvzpmt3c5m08mhp8nuk3mrk4erufvlczp5ssdscjd", "G7ZTXXOVJFHGDD6XYJAGBAMT5A", "BABIMEUCIQCKl1f9Cj26k0fFWE48+O4ibhYJYPytbDZWJRaaG9BybwIgCbk+3BViWkpuu2RI+41dwtlQ/m/01G860pTFCzDFfokBSDBFAiEA0O77DJsaM7IO+Ht06sp3umzXB64CNNOwf2isZuPfdmwCIGlggOwRSkXsqlPhE1gMdd5hf7ycL33Orfrr4v/XnMGSAUdSIQNsu/OwZurHvJMoiJoSAmmCHLoqIc5Wblh+rek+7rhASCECgYVkUspeAxwRfM6v4GRBhN/gGxTfpPqZuOlBIYZxTJZSrg=="),
            ("bc1ppv609nr0vr25u07u95waq5lucwfm6tde4nydujnu8npg4q75mr5sxq8lt3", "Hello World", "AUHd69PrJQEv+oKTfZ8l+WROBHuy9HKrbFCJu7U1iK2iiEy1vMU5EfMtjc+VSHM7aU0SDbak5IUZRVno2P5mjSafAQ=="),
            ("14vV3aCHBeStb5bkenkNHbe2YAFinYdXgc", "Hello World", "IOW2xi+ebJLeBtr674l4QH76dqDoVjLV80R9EFKFQX5rBrlCXPIZaYs8Yuayg0ZqjyiCbLy9pzZIS7JWT65/nsU="),
        ][which];
        let chain = &default_chains()[0];
        prop_assert!(verify_ownership(chain, address, message, &[sig.to_owned()], None).is_ok());
        let mut bytes = b64.decode(sig).unwrap();
        let i = pos % bytes.len();
        bytes[i] ^= xor;
        let mutated = b64.encode(&bytes);
        prop_assert!(verify_ownership(chain, address, message, &[mutated], None).is_err());
    }
}

/// A valid address of every other chain, with the key-data names its standard takes.
fn other_chain_wallets() -> Vec<(String, String, Vec<String>)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/ownership-vectors.json"
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let names = w["key_data"]
                .as_str()
                .unwrap()
                .split(';')
                .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_owned()))
                .collect();
            (
                w["chain"].as_str().unwrap().to_owned(),
                w["address"].as_str().unwrap().to_owned(),
                names,
            )
        })
        .collect()
}

proptest! {
    /// Hostile signatures and key data on every chain's real addresses: every encoding the
    /// standards use, CBOR garbage for Cardano, the envelope prefix; never a panic, never a pass.
    #[test]
    fn other_chains_never_panic_on_hostile_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..160),
        key in proptest::collection::vec(any::<u8>(), 0..80),
        which in any::<usize>(),
        encoding in 0usize..5,
    ) {
        use base64::Engine as _;
        let wallets = other_chain_wallets();
        let (chain, address, names) = &wallets[which % wallets.len()];
        let params = custodia_reserves::VerifyParams::new("Acme");
        let spec = params.chain(chain).unwrap();
        let sig = match encoding {
            0 => hex::encode(&bytes),
            1 => format!("0x{}", hex::encode(&bytes)),
            2 => base64::engine::general_purpose::STANDARD.encode(&bytes),
            3 => bs58::encode(&bytes).into_string(),
            _ => format!("envelope:{}", hex::encode(&bytes)),
        };
        let kd: String = names
            .iter()
            .map(|n| match n.as_str() {
                "wallet" => "wallet=v4r2".to_owned(),
                "timestamp" => format!("timestamp={}", key.len()),
                "domain" => "domain=x".to_owned(),
                "nonce" => "nonce=n".to_owned(),
                other => format!("{other}={}", hex::encode(&key)),
            })
            .collect::<Vec<_>>()
            .join(";");
        let kd = (!kd.is_empty()).then_some(kd.as_str());
        let r = verify_ownership(spec, address, "m", std::slice::from_ref(&sig), kd);
        prop_assert!(r.is_err());
        let _ = verify_ownership(spec, address, "m", &[sig.clone(), sig], kd);
    }
}
