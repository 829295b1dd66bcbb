//! Properties over arbitrary input, with a fixed seed: parsing never panics, and every address
//! built from bytes round-trips through its canonical text and its key.

use custodia_chain::{Address, Chain, Network};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2_000,
        rng_seed: RngSeed::Fixed(0x0c4a_1e55),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Texts that look like addresses more often than random strings do.
fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,100}",
        "(0x|0X)[0-9a-fA-Fg]{0,42}",
        "(bc1|BC1|tb1|bcrt1)[02-9ac-hj-np-zA-Z]{0,80}",
        "[1-9A-HJ-NP-Za-km-z]{0,60}",
        "41[0-9a-f]{40}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn parsing_arbitrary_text_never_panics(s in address_like()) {
        let _ = Address::parse_any(&s);
        for chain in Chain::ALL {
            for network in Network::ALL {
                if let Ok(a) = Address::parse_on(chain, network, &s) {
                    // Whatever is accepted has a canonical text that reads back the same.
                    prop_assert_eq!(Address::parse_on(chain, network, &a.canonical()).unwrap(), a);
                }
            }
        }
    }

    #[test]
    fn arbitrary_keys_never_panic(key in proptest::collection::vec(any::<u8>(), 0..50)) {
        if let Ok(a) = Address::from_key_bytes(&key) {
            prop_assert_eq!(a.key_bytes(), &key[..]);
            let _ = a.canonical();
        }
    }

    #[test]
    fn built_addresses_round_trip(
        b in any::<[u8; 32]>(),
        version in 0u8..=16,
        len in 2usize..=32,
        network in prop_oneof![Just(Network::Mainnet), Just(Network::Testnet), Just(Network::Regtest)],
    ) {
        let b20: [u8; 20] = b[..20].try_into().unwrap();
        let mut built = vec![
            Address::evm(b20),
            Address::tron(b20),
            Address::solana(b),
            Address::p2pkh(network, b20),
            Address::p2sh(network, b20),
        ];
        if let Ok(s) = Address::segwit(network, version, &b[..len]) {
            built.push(s);
        }
        for a in built {
            let text = a.canonical();
            let parsed = Address::parse_on(a.chain(), network, &text).unwrap();
            prop_assert_eq!(parsed, a);
            prop_assert_eq!(Address::from_key_bytes(a.key_bytes()).unwrap(), a);
            // Negative twin: one character changed is another address or none at all.
            let mut bytes = text.clone().into_bytes();
            let i = bytes.len() - 1;
            bytes[i] = if bytes[i] == b'2' { b'3' } else { b'2' };
            let changed = String::from_utf8(bytes).unwrap();
            if let Ok(other) = Address::parse_on(a.chain(), network, &changed) {
                prop_assert_ne!(other, a);
            }
        }
    }
}
