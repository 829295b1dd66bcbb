//! TRON: base58check and hex forms of well-known accounts, and their negative twins.

use custodia_chain::{Address, AddressReason, Chain, Network, tron};

use crate::{reason, reject};

/// The USDT contract on TRON, base58check and hex.
const USDT: (&str, &str) = (
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "41a614f803b6fd780986a42c78ec9c7f77e6ded13c",
);

/// Well-known accounts (USDT, USDC contracts; a wallet).
const KNOWN: [&str; 3] = [
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    "TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
    "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC",
];

#[test]
fn both_spellings_are_one_address() {
    let (b58, hex_form) = USDT;
    let a = Address::parse(Chain::Tron, b58).unwrap();
    assert_eq!(a.canonical(), b58);
    assert_eq!(Address::parse(Chain::Tron, hex_form).unwrap(), a);
    assert_eq!(
        Address::parse(Chain::Tron, &hex_form.to_ascii_uppercase()).unwrap(),
        a
    );
    assert_eq!(format!("41{}", hex::encode(a.payload())), hex_form);
    assert_eq!(
        tron::parse_base58check(b58).unwrap(),
        <[u8; 20]>::try_from(a.payload()).unwrap()
    );
    // The strict parser takes base58check only.
    assert!(tron::parse_base58check(hex_form).is_err());
}

#[test]
fn base58check_round_trips() {
    for b58 in KNOWN {
        let account = tron::parse(b58).unwrap();
        assert_eq!(tron::to_base58check(&account), b58);
    }
}

#[test]
fn malformed_tron_addresses() {
    for (input, message) in [
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T",
            "base58check checksum mismatch (a typo, or not an address)",
        ),
        (
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "prefix byte 0x00 is not TRON's 0x41 (TRON addresses start with T)",
        ),
        (
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj",
            "base58 decodes to 24 bytes; expected 25 (version byte, 20-byte hash, 4-byte checksum)",
        ),
        (
            "42a614f803b6fd780986a42c78ec9c7f77e6ded13c",
            "hex form must start with 41 (TRON's prefix byte), got 42",
        ),
        ("", "empty"),
        ("T0", "character '0' at position 1 is not base58"),
    ] {
        assert_eq!(
            reject(Chain::Tron, Network::Mainnet, input),
            format!("invalid tron address: {message}"),
            "{input}"
        );
    }
    assert_eq!(
        reason(Address::parse(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6T").unwrap_err()),
        AddressReason::Base58Checksum
    );
}
