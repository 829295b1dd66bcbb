//! Bitcoin: the BIP-173 / BIP-350 segwit vectors (valid and invalid), base58check P2PKH and
//! P2SH, and the network each format encodes.

use custodia_chain::{Address, AddressKind, AddressReason, Chain, Network};

use crate::{check, reason, reject};

/// The network a BIP vector's prefix belongs to.
fn network_of(s: &str) -> Network {
    if s.to_ascii_lowercase().starts_with("tb1") {
        Network::Testnet
    } else {
        Network::Mainnet
    }
}

/// BIP-350's valid segwit addresses with their scriptPubKey (the BIP-173 v0 ones included).
const VALID: [(&str, &str); 8] = [
    (
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "0014751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
        "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6",
    ),
    ("BC1SW50QGDZ25J", "6002751e"),
    (
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "5210751e76e8199196d454941c45d1b3a323",
    ),
    (
        "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
        "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c",
        "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433",
    ),
    (
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
];

/// The scriptPubKey of a segwit address: `OP_n`, the program's push length, the program.
fn script_pubkey(a: &Address) -> String {
    let AddressKind::Segwit(v) = a.kind() else {
        panic!("{a:?} is not segwit")
    };
    let program = &a.payload()[1..];
    let op = if v == 0 { 0 } else { 0x50 + v };
    format!("{op:02x}{:02x}{}", program.len(), hex::encode(program))
}

#[test]
fn bip350_valid_addresses() {
    for (input, spk) in VALID {
        let network = network_of(input);
        let a = Address::parse_on(Chain::Bitcoin, network, input)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(script_pubkey(&a), spk, "{input}");
        assert_eq!(a.network(), Some(network));
        // Canonical is lower case; it parses back to the same address.
        assert_eq!(a.canonical(), input.to_ascii_lowercase());
        assert_eq!(
            Address::parse_on(Chain::Bitcoin, network, &a.canonical()).unwrap(),
            a
        );
        // Negative twin: the same text is refused on the other network.
        let other = if network == Network::Mainnet {
            Network::Testnet
        } else {
            Network::Mainnet
        };
        assert!(
            Address::parse_on(Chain::Bitcoin, other, input).is_err(),
            "{input}"
        );
    }
}

/// BIP-350's invalid segwit addresses (all rejected whatever the network asked for).
const INVALID: [&str; 15] = [
    // invalid human-readable part
    "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
    // bech32 instead of bech32m
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
    "tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
    // bech32m instead of bech32
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
    "tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
    // invalid character in the checksum
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",
    // invalid witness version
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
    // invalid program lengths (1 byte, 41 bytes, 16 bytes for version 0)
    "bc1pw5dgrnzv",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
    // mixed case
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
    // more than 4 bits of zero padding; non-zero padding
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
    "tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
    // empty data section
    "bc1gmk9yu",
];

#[test]
fn bip350_invalid_addresses() {
    for input in INVALID {
        for network in Network::ALL {
            assert!(
                Address::parse_on(Chain::Bitcoin, network, input).is_err(),
                "{input} on {network}"
            );
        }
        assert!(Address::parse_any(input).is_err(), "{input}");
    }
}

#[test]
fn wrong_checksum_variant_is_named() {
    assert_eq!(
        reject(
            Chain::Bitcoin,
            Network::Mainnet,
            "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du"
        ),
        "invalid bitcoin address: witness version 2 must use the bech32m checksum (BIP-350), this is bech32"
    );
    assert_eq!(
        reason(
            Address::parse(Chain::Bitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh")
                .unwrap_err()
        ),
        AddressReason::NeedsBech32
    );
    assert_eq!(
        reject(
            Chain::Bitcoin,
            Network::Mainnet,
            "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        ),
        "invalid bitcoin address: bech32 must be all lowercase or all uppercase (BIP-173)"
    );
}

#[test]
fn base58_p2pkh_and_p2sh() {
    // The genesis block's coinbase address and BIP-13's P2SH example.
    let p2pkh = Address::parse(Chain::Bitcoin, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa").unwrap();
    assert_eq!(p2pkh.kind(), AddressKind::P2pkh);
    assert_eq!(
        hex::encode(p2pkh.payload()),
        "62e907b15cbf27d5425399ebf6f0fb50ebb88f18"
    );
    assert_eq!(p2pkh.canonical(), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    let p2sh = Address::parse(Chain::Bitcoin, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy").unwrap();
    assert_eq!(p2sh.kind(), AddressKind::P2sh);
    assert_eq!(p2sh.fixed_prefix_len(), 1);
    // The same hashes on the test networks.
    let t = Address::p2pkh(Network::Testnet, p2pkh.payload().try_into().unwrap());
    assert_eq!(t.network(), Some(Network::Testnet));
    assert!(t.canonical().starts_with(['m', 'n']), "{}", t.canonical());
    assert_eq!(
        Address::parse_on(Chain::Bitcoin, Network::Testnet, &t.canonical()).unwrap(),
        t
    );
    assert_ne!(t, p2pkh);
    // Regtest shares the test networks' version bytes.
    assert_eq!(
        Address::parse_on(Chain::Bitcoin, Network::Regtest, &t.canonical()).unwrap(),
        t
    );
}

#[test]
fn malformed_base58_addresses() {
    for (network, input, message) in [
        (
            Network::Mainnet,
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
            "base58check checksum mismatch (a typo, or not an address)",
        ),
        (
            Network::Mainnet,
            "3J98t1WpEZ73CNmQviecrnyiWrnqRhWN0y",
            "character '0' at position 32 is not base58",
        ),
        (
            Network::Mainnet,
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
            "version byte 0x6f is Bitcoin testnet; only mainnet P2PKH (0x00) and P2SH (0x05) are accepted",
        ),
        (
            Network::Testnet,
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
            "version byte 0x00 is Bitcoin mainnet; only testnet P2PKH (0x6f) and P2SH (0xc4) are accepted",
        ),
        (
            Network::Mainnet,
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "version byte 0x41 is not Bitcoin mainnet P2PKH (0x00) or P2SH (0x05)",
        ),
        (
            Network::Mainnet,
            "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
            "bech32 prefix `tb` is Bitcoin testnet; only mainnet (`bc`) is accepted",
        ),
        (
            Network::Testnet,
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            "bech32 prefix `bc` is Bitcoin mainnet; only testnet (`tb`) is accepted",
        ),
        (Network::Mainnet, "", "empty"),
    ] {
        assert_eq!(
            reject(Chain::Bitcoin, network, input),
            format!("invalid bitcoin address: {message}"),
            "{input}"
        );
    }
}

#[test]
fn regtest_segwit() {
    let program = hex::decode("751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
    let a = Address::segwit(Network::Regtest, 0, &program).unwrap();
    let text = a.canonical();
    assert!(text.starts_with("bcrt1q"), "{text}");
    assert_eq!(a.fixed_prefix_len(), "bcrt1q".len());
    assert_eq!(
        check(Chain::Bitcoin, Network::Regtest, &text),
        Ok(text.clone())
    );
    assert_eq!(
        reject(Chain::Bitcoin, Network::Mainnet, &text),
        "invalid bitcoin address: bech32 prefix `bcrt` is Bitcoin regtest; only mainnet (`bc`) is accepted"
    );
    // A witness version and length BIP-141 does not define.
    assert_eq!(
        Address::segwit(Network::Mainnet, 0, &program[..16])
            .unwrap_err()
            .to_string(),
        "invalid bitcoin address: witness version 0 with a 16-byte program is not a segwit output"
    );
    assert!(Address::segwit(Network::Mainnet, 17, &program).is_err());
}
