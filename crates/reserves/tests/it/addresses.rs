//! Bitcoin addresses are parsed by `custodia-chain` and handed to rust-bitcoin for the signature
//! checks. This differential test holds the pair to rust-bitcoin's own parser (which the
//! verifier used before): on every network, the same strings are accepted, with the same
//! canonical spelling.

use bitcoin::address::NetworkUnchecked;
use custodia_chain::Network;
use custodia_primitives::AssetId;
use custodia_reserves::{ChainAddress, ChainKind, ChainSpec};
use proptest::prelude::*;
use proptest::test_runner::RngSeed;

const KINDS: [ChainKind; 4] = [
    ChainKind::Bitcoin,
    ChainKind::BitcoinTestnet,
    ChainKind::BitcoinSignet,
    ChainKind::BitcoinRegtest,
];

fn spec(kind: ChainKind) -> ChainSpec {
    ChainSpec {
        name: "btc".into(),
        kind,
        native_asset: AssetId::new("BTC").unwrap(),
        native_decimals: 8,
    }
}

/// What rust-bitcoin alone says: the canonical text of a standard address of the network.
fn reference(s: &str, kind: ChainKind) -> Option<String> {
    let unchecked: bitcoin::Address<NetworkUnchecked> = s.parse().ok()?;
    let addr = unchecked
        .require_network(kind.bitcoin_network().unwrap())
        .ok()?;
    addr.address_type().is_some().then(|| addr.to_string())
}

fn ours(s: &str, kind: ChainKind) -> Option<String> {
    ChainAddress::parse(&spec(kind), s)
        .ok()
        .map(|a| a.canonical())
}

fn agree(s: &str) {
    for kind in KINDS {
        assert_eq!(ours(s, kind), reference(s, kind), "{s} on {kind:?}");
    }
}

#[test]
fn published_addresses_agree() {
    for s in [
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
        "2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc",
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "BC1SW50QGDZ25J",
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
        "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
        "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "",
    ] {
        agree(s);
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1_000,
        rng_seed: RngSeed::Fixed(0xb17c_0111),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// Addresses of every kind and network (non-standard witness versions included), upper
    /// case and with one character changed: both parsers accept exactly the same.
    #[test]
    fn built_and_mutated_addresses_agree(
        hash in any::<[u8; 32]>(),
        version in 0u8..=16,
        len in 2usize..=32,
        network in 0usize..3,
        pos in any::<prop::sample::Index>(),
        replacement in "[02-9ac-hj-np-zA-HJ-NP-Z]",
    ) {
        let network = Network::ALL[network];
        let h20: [u8; 20] = hash[..20].try_into().unwrap();
        let mut texts = vec![
            custodia_chain::Address::p2pkh(network, h20).canonical(),
            custodia_chain::Address::p2sh(network, h20).canonical(),
        ];
        if let Ok(a) = custodia_chain::Address::segwit(network, version, &hash[..len]) {
            texts.push(a.canonical().to_ascii_uppercase());
            texts.push(a.canonical());
        }
        for t in texts {
            agree(&t);
            let mut chars: Vec<char> = t.chars().collect();
            let i = pos.index(chars.len());
            chars[i] = replacement.chars().next().unwrap();
            agree(&chars.into_iter().collect::<String>());
        }
    }
}
