//! `Address::parse_any`: the family is read from the input's shape.

use custodia_chain::{Address, AddressReason, Chain};

use crate::reason;

#[test]
fn shapes_pick_the_family() {
    for (input, chain) in [
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", Chain::Evm),
        ("0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", Chain::Evm),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Chain::Bitcoin),
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", Chain::Bitcoin),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", Chain::Bitcoin),
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Chain::Bitcoin),
        ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", Chain::Tron),
        ("41a614f803b6fd780986a42c78ec9c7f77e6ded13c", Chain::Tron),
        (
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            Chain::Solana,
        ),
    ] {
        let a = Address::parse_any(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(a.chain(), chain, "{input}");
        assert_eq!(Address::parse(chain, input).unwrap(), a);
    }
}

#[test]
fn no_shape_matches() {
    for (input, message) in [
        (
            "hello",
            "invalid any address: character 'l' at position 2 is not base58",
        ),
        ("", "invalid any address: empty"),
        (
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
            "invalid bitcoin address: base58check checksum mismatch (a typo, or not an address)",
        ),
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
            "invalid evm address: mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)",
        ),
        (
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "invalid bitcoin address: bech32 prefix `tb` is Bitcoin testnet; only mainnet (`bc`) is accepted",
        ),
    ] {
        assert_eq!(
            Address::parse_any(input).unwrap_err().to_string(),
            message,
            "{input}"
        );
    }
    // 25 bytes with a version byte no family uses (a Litecoin `L…` address).
    assert!(matches!(
        reason(Address::parse_any("LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz").unwrap_err()),
        AddressReason::AnyVersion { version: 0x30 }
    ));
    assert!(matches!(
        reason(Address::parse_any("2g").unwrap_err()),
        AddressReason::AnyLength { got: 1 }
    ));
}

#[test]
fn json_uses_the_canonical_text() {
    let a = Address::parse_any("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap();
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(json, "\"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\"");
    assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    assert!(
        serde_json::from_str::<Address>("\"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD\"").is_err()
    );
    assert_eq!(serde_json::to_string(&Chain::Tron).unwrap(), "\"tron\"");
}

#[test]
fn names_map_onto_families() {
    for (name, chain) in [
        ("ethereum", Chain::Evm),
        ("Arbitrum", Chain::Evm),
        (" BSC ", Chain::Evm),
        ("xbt", Chain::Bitcoin),
        ("TRX", Chain::Tron),
        ("sol", Chain::Solana),
    ] {
        assert_eq!(Chain::from_name(name).unwrap(), chain, "{name}");
    }
    assert_eq!(
        Chain::from_name("xmr").unwrap_err().to_string(),
        "unsupported asset or chain `xmr`: only EVM, Bitcoin, TRON and Solana addresses are validated"
    );
    // A hostile name is echoed bounded and without control characters.
    let long = format!("a\nb{}", "x".repeat(500));
    let message = Chain::from_name(&long).unwrap_err().to_string();
    assert!(!message.contains('\n'));
    assert!(message.chars().count() < 250, "{message}");
}
