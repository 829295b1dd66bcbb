//! EVM: the EIP-55 examples from the EIP, and their negative twins.

use custodia_chain::{Address, AddressReason, Chain, Network, evm};

use crate::{reason, reject};

/// Every address listed in EIP-55 ("all caps", "all lower", "normal"): each is its own
/// checksummed spelling.
const EIP55: [&str; 8] = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
];

#[test]
fn eip55_examples_parse_and_spell_themselves() {
    for a in EIP55 {
        let parsed = Address::parse(Chain::Evm, a).unwrap();
        assert_eq!(parsed.checksummed().unwrap(), a);
        assert_eq!(parsed.canonical(), a.to_ascii_lowercase());
        assert_eq!(parsed.network(), None);
        // No checksum in one case: accepted, same address.
        let lower = format!("0x{}", a[2..].to_ascii_lowercase());
        let upper = format!("0x{}", a[2..].to_ascii_uppercase());
        assert_eq!(Address::parse(Chain::Evm, &lower).unwrap(), parsed);
        assert_eq!(Address::parse(Chain::Evm, &upper).unwrap(), parsed);
        // The format has no network: every network reads it the same.
        assert_eq!(
            Address::parse_on(Chain::Evm, Network::Testnet, a).unwrap(),
            parsed
        );
    }
}

#[test]
fn a_flipped_letter_fails_the_checksum() {
    for a in EIP55.into_iter().filter(|a| {
        let body = &a[2..];
        body.bytes().any(|b| b.is_ascii_lowercase()) && body.bytes().any(|b| b.is_ascii_uppercase())
    }) {
        // Flip the case of the last letter: still mixed case, checksum now wrong.
        let mut b = a.as_bytes().to_vec();
        let i = b.iter().rposition(u8::is_ascii_alphabetic).unwrap();
        b[i] ^= 0x20;
        let bad = String::from_utf8(b).unwrap();
        let e = Address::parse(Chain::Evm, &bad).unwrap_err();
        assert_eq!(
            reason(e.clone()),
            AddressReason::Eip55Checksum {
                expected: a.to_owned()
            },
            "{bad}"
        );
        assert_eq!(
            e.to_string(),
            "invalid evm address: mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)"
        );
    }
}

#[test]
fn malformed_evm_addresses() {
    for (input, message) in [
        (
            "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "expected 0x followed by 40 hex digits",
        ),
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
            "expected 0x followed by 40 hex digits, got 39 characters after 0x",
        ),
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed0",
            "expected 0x followed by 40 hex digits, got 41 characters after 0x",
        ),
        (
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
            "non-hex character 'g' at position 41",
        ),
        (
            // `é` is two bytes: 40 bytes after 0x, 39 characters.
            "0xé5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA",
            "non-hex character 'é' at position 2",
        ),
        ("", "expected 0x followed by 40 hex digits"),
    ] {
        assert_eq!(
            reject(Chain::Evm, Network::Mainnet, input),
            format!("invalid evm address: {message}"),
            "{input}"
        );
    }
}

#[test]
fn account_of_a_public_key() {
    // secp256k1 generator G (private key 1): its account is well known.
    let g = hex::decode(concat!(
        "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
        "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
    ))
    .unwrap();
    let account = evm::account_of_key(&g.try_into().unwrap());
    assert_eq!(
        evm::eip55(&account),
        "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    );
    assert_ne!(
        evm::eip55(&account),
        "0x7e5F4552091A69125d5DfCb7b8C2659029395Bdf"
    );
}
