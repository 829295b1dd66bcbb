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
