//! Address validation and normalisation per chain, list importers, the index, and poisoning:
//! data-driven through `check(input, expect)`.

use custodia_guard::{
    Address, AddressIndex, Category, Chain, CounterpartyHistory, GuardError, Import, ListMeta,
    PoisoningConfig, check_poisoning, import_address_json, import_address_lines,
    import_ofac_sdn_xml,
};
use custodia_primitives::AccountId;

/// Parses `input` (on `chain`, or by shape when `None`) and renders the outcome on one line.
///
/// An error may carry more detail after `expect` (`: …`): the wording of the bech32 crate's
/// innermost error depends on which of its features the rest of the workspace enables.
fn check(chain: Option<Chain>, input: &str, expect: &str) {
    let got = match chain.map_or_else(|| Address::parse_any(input), |c| Address::parse(c, input)) {
        Ok(a) => format!("{} {:?} {}", a.chain(), a.kind(), a.canonical()),
        Err(e) => format!("error: {e}"),
    };
    let detail_ok = expect.starts_with("error: ") && got.starts_with(&format!("{expect}: "));
    assert!(
        got == expect || detail_ok,
        "input: {input}\n  got: {got}\n want: {expect}"
    );
}

#[test]
fn evm_eip55() {
    use Chain::Evm;
    // The four EIP-55 test vectors, and their lower/upper-case forms (no checksum to verify).
    for v in [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ] {
        let lower = format!("0x{}", v[2..].to_ascii_lowercase());
        let upper = format!("0x{}", v[2..].to_ascii_uppercase());
        for input in [v, &lower, &upper] {
            check(Some(Evm), input, &format!("evm EvmAccount {lower}"));
        }
        assert_eq!(
            Address::parse(Evm, &lower)
                .unwrap()
                .checksummed()
                .as_deref(),
            Some(v)
        );
    }
    check(
        Some(Evm),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
        "error: invalid evm address `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD`: mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)",
    );
    check(
        Some(Evm),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe",
        "error: invalid evm address `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe`: expected 0x followed by 40 hex digits, got 39 characters after 0x",
    );
    check(
        Some(Evm),
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg",
        "error: invalid evm address `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg`: non-hex character 'g' at position 41",
    );
    check(
        Some(Evm),
        "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "error: invalid evm address `5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed`: expected 0x followed by 40 hex digits",
    );
    check(
        None,
        "  0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED\n",
        "evm EvmAccount 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
    );
}

#[test]
fn bitcoin_base58check_and_segwit() {
    use Chain::Bitcoin;
    check(
        Some(Bitcoin),
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "bitcoin P2pkh 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    );
    check(
        Some(Bitcoin),
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bitcoin P2sh 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    );
    // BIP-173 (v0, bech32) and BIP-350 (v1+, bech32m) valid vectors; upper case normalised.
    check(
        Some(Bitcoin),
        "BC1QW508D6QEJXGXYSMGC9FCZGPQPV5KWZ7TZJ7AGQ"
            .to_ascii_lowercase()
            .as_str(),
        "error: invalid bitcoin address `bc1qw508d6qejxgxysmgc9fczgpqpv5kwz7tzj7agq`: invalid segwit address: invalid checksum",
    );
    check(
        Some(Bitcoin),
        "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
        "bitcoin Segwit(0) bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    );
    check(
        Some(Bitcoin),
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "bitcoin Segwit(0) bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
    );
    check(
        Some(Bitcoin),
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "bitcoin Segwit(1) bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    );
    check(
        Some(Bitcoin),
        "BC1SW50QGDZ25J",
        "bitcoin Segwit(16) bc1sw50qgdz25j",
    );
    check(
        Some(Bitcoin),
        "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
        "bitcoin Segwit(2) bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs",
    );
    // BIP-350 invalid vectors: the wrong checksum variant for the witness version.
    check(
        Some(Bitcoin),
        "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",
        "error: invalid bitcoin address `bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du`: witness version 2 must use the bech32m checksum (BIP-350), this is bech32",
    );
    check(
        Some(Bitcoin),
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",
        "error: invalid bitcoin address `bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh`: witness version 0 must use the bech32 checksum (BIP-173), this is bech32m",
    );
    check(
        Some(Bitcoin),
        "bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "error: invalid bitcoin address `bc1Qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4`: bech32 must be all lowercase or all uppercase (BIP-173)",
    );
    check(
        Some(Bitcoin),
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",
        "error: invalid bitcoin address `tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx`: bech32 prefix `tb` is Bitcoin testnet; only mainnet (`bc`) is accepted",
    );
    check(
        Some(Bitcoin),
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz",
        "error: invalid bitcoin address `3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz`: base58check checksum mismatch (a typo, or not an address)",
    );
    check(
        Some(Bitcoin),
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWN0y",
        "error: invalid bitcoin address `3J98t1WpEZ73CNmQviecrnyiWrnqRhWN0y`: character '0' at position 32 is not base58",
    );
    check(
        Some(Bitcoin),
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
        "error: invalid bitcoin address `mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn`: version byte 0x6f is Bitcoin testnet; only mainnet P2PKH (0x00) and P2SH (0x05) are accepted",
    );
    check(
        Some(Bitcoin),
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "error: invalid bitcoin address `TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t`: version byte 0x41 is not Bitcoin mainnet P2PKH (0x00) or P2SH (0x05)",
    );
}

#[test]
fn tron_and_solana() {
    check(
        Some(Chain::Tron),
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "tron TronAccount TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    );
    // The hex form (0x41 + 20 bytes) is the same account.
    let hex = {
        let a = Address::parse(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
        format!("41{}", hex_lower(a.payload()))
    };
    check(
        None,
        &hex,
        "tron TronAccount TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
    );
    check(
        Some(Chain::Tron),
        "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwc",
        "error: invalid tron address `T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwc`: base58check checksum mismatch (a typo, or not an address)",
    );
    check(
        Some(Chain::Tron),
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "error: invalid tron address `1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa`: prefix byte 0x00 is not TRON's 0x41 (TRON addresses start with T)",
    );
    check(
        Some(Chain::Tron),
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj",
        "error: invalid tron address `TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj`: base58 decodes to 24 bytes; expected 25 (version byte, 20-byte hash, 4-byte checksum)",
    );
    check(
        Some(Chain::Solana),
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "solana SolanaAccount EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
    );
    check(
        None,
        "11111111111111111111111111111111",
        "solana SolanaAccount 11111111111111111111111111111111",
    );
    // No checksum: a 43-character prefix of a 44-character key can still be 32 bytes.
    check(
        Some(Chain::Solana),
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwy",
        "error: invalid solana address `EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwy`: base58 decodes to 29 bytes; a Solana address is 32",
    );
    check(
        Some(Chain::Solana),
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtIv",
        "error: invalid solana address `EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDtIv`: character 'I' at position 42 is not base58",
    );
    // A Solana key that happens to start `Bc1` is base58, not a bech32 string.
    let a = Address::parse(
        Chain::Solana,
        "Bc1tapMXRYMCwiRzzfimSSCSpu1oCE11RaueFETMT7oS",
    )
    .unwrap();
    assert_eq!(Address::parse_any(&a.canonical()).unwrap(), a);
    check(
        None,
        "hello",
        "error: invalid any address `hello`: character 'l' at position 2 is not base58",
    );
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn keys_round_trip_and_reject_bad_bytes() {
    for s in [
        "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
        "bc1sw50qgdz25j",
        "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
        "So11111111111111111111111111111111111111112",
    ] {
        let a = Address::parse_any(s).unwrap();
        assert_eq!(a.canonical(), s);
        assert_eq!(Address::from_key_bytes(a.key_bytes()).unwrap(), a);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    }
    for bad in [
        &[][..],
        &[1, 20][..],
        &[1, 19, 0][..],
        &[9, 0][..],
        &[4, 3, 0, 1, 2][..],
    ] {
        assert!(Address::from_key_bytes(bad).is_err(), "{bad:?}");
    }
}

fn meta(source: &str, category: Category) -> ListMeta {
    ListMeta::new(source, category, Some("2024-11-20".parse().unwrap())).unwrap()
}

/// Renders an import as lines: entries, then rejections, then unsupported and duplicates.
fn render(i: &Import<custodia_guard::AddressEntry>) -> String {
    let mut out = Vec::new();
    for e in &i.entries {
        out.push(format!(
            "+ {} {} {} {} {}",
            e.address.chain(),
            e.address.canonical(),
            e.category,
            e.date.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
            e.label.as_deref().unwrap_or("-")
        ));
    }
    for r in &i.rejected {
        out.push(format!("! {r}"));
    }
    for r in &i.unsupported {
        out.push(format!("? {r}"));
    }
    out.push(format!("duplicates {}", i.duplicates));
    out.join("\n")
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[test]
fn ofac_sdn_advanced_xml() {
    let xml = std::fs::read_to_string(format!("{FIXTURES}/sdn_advanced_sample.xml")).unwrap();
    let i = import_ofac_sdn_xml(&xml, &meta("ofac-sdn", Category::Sanctions)).unwrap();
    assert_eq!(
        render(&i),
        "\
+ evm 0x098b716b8aaf21512996dc57eb0615e2383e2f96 sanctions 2019-09-13 LAZARUS GROUP
+ bitcoin bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 sanctions 2019-09-13 LAZARUS GROUP
+ evm 0xd90e2f925da726b50c4ed8d0fb90ad053324f31b sanctions 2022-08-08 TORNADO CASH
+ evm 0x722122df12d4e14e13ac3b6895a86e84145b6967 sanctions 2022-08-08 TORNADO CASH
+ bitcoin 12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h sanctions 2024-11-20 EXAMPLE EXCHANGE & OTC DESK
+ bitcoin bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0 sanctions 2024-11-20 EXAMPLE EXCHANGE & OTC DESK
+ tron TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t sanctions 2024-11-20 EXAMPLE EXCHANGE & OTC DESK
+ evm 0x8589427373d6d84e98730d7795d8f6f8731fda16 sanctions 2024-11-20 EXAMPLE EXCHANGE & OTC DESK
+ solana EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v sanctions 2024-11-20 EXAMPLE EXCHANGE & OTC DESK
! feature 59002 (line 63): invalid evm address `0x098B716B8Aaf21512996dC57EB0615e2383E2F96`: mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)
! feature 43002 (line 146): invalid bitcoin address `3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz`: base58check checksum mismatch (a typo, or not an address)
? feature 43004 (line 158): unsupported asset or chain `XMR`: only EVM, Bitcoin, TRON and Solana addresses are validated
duplicates 1"
    );
}

#[test]
fn ofac_xml_structure_errors() {
    let m = meta("ofac-sdn", Category::Sanctions);
    let err = |xml: &str| import_ofac_sdn_xml(xml, &m).unwrap_err().to_string();
    assert_eq!(
        err("<Other></Other>"),
        "cannot read OFAC SDN XML at line 1: root element is <Other>, expected <Sanctions>"
    );
    assert_eq!(
        err("<Sanctions><DistinctParties>"),
        "cannot read OFAC SDN XML at end of file: unclosed <Sanctions> <DistinctParties>"
    );
    assert_eq!(
        err(""),
        "cannot read OFAC SDN XML at top level: no <Sanctions> root element"
    );
    assert!(
        err("<Sanctions><a></b></Sanctions>").starts_with("cannot read OFAC SDN XML at line 1:")
    );
}

#[test]
fn plain_list() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/addresses_community.txt")).unwrap();
    let i = import_address_lines(&text, None, &meta("internal", Category::Phishing));
    assert_eq!(
        render(&i),
        "\
+ evm 0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359 phishing 2024-11-20 -
+ evm 0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb phishing 2024-11-20 -
+ evm 0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb phishing 2024-11-20 -
+ tron TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t phishing 2024-11-20 -
+ bitcoin 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy phishing 2024-11-20 -
+ bitcoin bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3 phishing 2024-11-20 -
+ solana So11111111111111111111111111111111111111112 phishing 2024-11-20 -
! line 14: invalid evm address `0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d35`: expected 0x followed by 40 hex digits, got 39 characters after 0x
! line 15: invalid evm address `0xfB6916095cA1df60bB79Ce92cE3Ea74c37c5d359`: mixed-case address fails its EIP-55 checksum (a typo, or a forged checksum)
! line 16: invalid bitcoin address `bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du`: witness version 2 must use the bech32m checksum (BIP-350), this is bech32
! line 17: invalid tron address `T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwc`: base58check checksum mismatch (a typo, or not an address)
! line 18: rejected entry `0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed extra words`: expected one address per line (text after the address must be a # comment)
duplicates 1"
    );
    // With the chain given, another chain's address is malformed, not detected.
    let i = import_address_lines(
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\n",
        Some(Chain::Evm),
        &meta("x", Category::Scam),
    );
    assert_eq!(i.entries.len(), 0);
    assert_eq!(i.rejected.len(), 1);
}

#[test]
fn scamsniffer_json() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/scamsniffer_address.json")).unwrap();
    let i = import_address_json(
        &text,
        Some(Chain::Evm),
        &meta("scamsniffer", Category::Phishing),
    )
    .unwrap();
    assert_eq!(
        render(&i),
        "\
+ evm 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed phishing 2024-11-20 -
+ evm 0xd1220a0cf47c7b9be7a2e6ba89f429762e7b9adb phishing 2024-11-20 -
+ evm 0xdbf03b407c01e7cd3cbea99509d93f8dddc8c6fb phishing 2024-03-02 Fake Airdrop Drainer
+ tron TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t scam 2024-05-17 -
! entry #4: invalid evm address `0xnot-an-address`: expected 0x followed by 40 hex digits, got 14 characters after 0x
! entry #5: rejected entry `42`: expected an address string or an object with a string `address`
! entry #6: rejected entry `{\"chain\":\"eth\"}`: expected an address string or an object with a string `address`
? entry #7: unsupported asset or chain `dogecoin`: only EVM, Bitcoin, TRON and Solana addresses are validated
duplicates 0"
    );
    assert_eq!(i.entries[2].source, "scamsniffer:bytehound");
    for (bad, why) in [
        (
            "{\"a\": 1}",
            "cannot read JSON address array at top level: expected an array, got an object",
        ),
        (
            "[1,",
            "cannot read JSON address array at line 1 column 3: EOF while parsing a value at line 1 column 3",
        ),
    ] {
        let e = import_address_json(bad, None, &meta("x", Category::Scam)).unwrap_err();
        assert_eq!(e.to_string(), why);
    }
}

#[test]
fn index_lookup_merges_sources_and_counts_categories() {
    let mut idx = AddressIndex::new();
    let xml = std::fs::read_to_string(format!("{FIXTURES}/sdn_advanced_sample.xml")).unwrap();
    let ofac = import_ofac_sdn_xml(&xml, &meta("ofac-sdn", Category::Sanctions)).unwrap();
    let ev = idx.apply_import("ofac-sdn", &ofac).unwrap();
    assert_eq!(ev.added.get(&Category::Sanctions), Some(&9));
    let text = std::fs::read_to_string(format!("{FIXTURES}/scamsniffer_address.json")).unwrap();
    let ss = import_address_json(&text, None, &meta("scamsniffer", Category::Phishing)).unwrap();
    let ev = idx.apply_import("scamsniffer", &ss).unwrap();
    // TRON's USDT contract was already listed, but not as scam: it counts as a new scam address.
    assert_eq!(ev.added.get(&Category::Phishing), Some(&3));
    assert_eq!(ev.added.get(&Category::Scam), Some(&1));
    assert_eq!(idx.len(), 12);
    let tron = Address::parse_any("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    let hits: Vec<String> = idx
        .lookup(&tron)
        .iter()
        .map(|h| format!("{} {}", h.category, h.source))
        .collect();
    assert_eq!(hits, ["sanctions ofac-sdn", "scam scamsniffer"]);
    assert_eq!(idx.worst(&tron).unwrap().category, Category::Sanctions);
    let counts = idx.counts_by_category();
    assert_eq!(counts.get(Category::Sanctions), 9);
    assert_eq!(counts.get(Category::Phishing), 3);
    assert_eq!(counts.get(Category::Scam), 1);
    // Screening accepts any letter case and reports clean addresses as such.
    let s = idx
        .screen("0xD90E2F925DA726B50C4ED8D0FB90AD053324F31B", None)
        .unwrap();
    assert_eq!(s.worst_category(), Some(Category::Sanctions));
    assert_eq!(s.hits[0].label.as_deref(), Some("TORNADO CASH"));
    let clean = idx
        .screen(
            "0x0000000000000000000000000000000000000001",
            Some(Chain::Evm),
        )
        .unwrap();
    assert!(!clean.is_listed());
    assert!(matches!(
        idx.screen("0x123", None),
        Err(GuardError::Address { .. })
    ));
}

fn poison(dest: &str, recent: &[&str], expect: &str) {
    let dest = Address::parse_any(dest).unwrap();
    let recent: Vec<Address> = recent
        .iter()
        .map(|r| Address::parse_any(r).unwrap())
        .collect();
    let got = match check_poisoning(&dest, &recent, &PoisoningConfig::default()) {
        Some(m) => format!(
            "flag {} imitates {} ({}+{})",
            m.lookalike, m.imitates, m.prefix_len, m.suffix_len
        ),
        None => "clean".into(),
    };
    assert_eq!(got, expect);
}

#[test]
fn poisoning_lookalikes() {
    let real = "0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43";
    // Same first 4 (after 0x) and last 4, different middle: the classic vanity look-alike.
    poison(
        "0xa9d1ffffffffffffffffffffffffffffffff3e43",
        &["0x1111111111111111111111111111111111111111", real],
        "flag 0xa9d1ffffffffffffffffffffffffffffffff3e43 imitates 0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43 (4+4)",
    );
    // Letter case does not matter for EVM.
    poison(
        "0xA9D1FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF3E43",
        &[real],
        "flag 0xa9d1ffffffffffffffffffffffffffffffff3e43 imitates 0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43 (4+4)",
    );
    // Sending to the real counterparty is fine; 3 matching characters at one end is not enough.
    poison(real, &[real], "clean");
    poison(
        "0xa9d0ffffffffffffffffffffffffffffffff3e43",
        &[real],
        "clean",
    );
    poison(
        "0xa9d1ffffffffffffffffffffffffffffffff3e44",
        &[real],
        "clean",
    );
    // The `0x` prefix does not count towards the 4 characters.
    poison(
        "0xa9ffffffffffffffffffffffffffffffffff3e43",
        &[real],
        "clean",
    );
    // TRON compares after the leading `T`; other chains never match.
    let t = Address::parse_any("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    let text = t.canonical();
    let mut rng = custodia_guard::bench::SplitMix(7);
    let lookalike = (0..200_000)
        .map(|_| {
            let mut b = [0u8; 20];
            rng.fill(&mut b);
            b[0] = t.payload()[0];
            Address::parse_any(&format!("41{}", hex_lower(&b))).unwrap()
        })
        .find(|a| {
            let c = a.canonical();
            c[1..3] == text[1..3] && c != text
        })
        .expect("a two-character match is common");
    assert!(check_poisoning(&lookalike, &[t], &PoisoningConfig::default()).is_none());
    let loose = PoisoningConfig {
        prefix: 3,
        suffix: 3,
        ..PoisoningConfig::default()
    };
    assert!(loose.validate().is_ok());
    assert!(
        PoisoningConfig {
            prefix: 2,
            ..PoisoningConfig::default()
        }
        .validate()
        .is_err()
    );
    poison(
        "0xa9d1ffffffffffffffffffffffffffffffff3e43",
        &["TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"],
        "clean",
    );
}

#[test]
fn counterparty_history_is_bounded_and_ages_out() {
    let user = AccountId::new("user-1").unwrap();
    let other = AccountId::new("user-2").unwrap();
    let cfg = PoisoningConfig {
        history: 2,
        max_age_secs: 100,
        ..PoisoningConfig::default()
    };
    let mut h = CounterpartyHistory::new(cfg).unwrap();
    let real = Address::parse_any("0xa9d1e08c7793af67e9d92fe308d5697fb81d3e43").unwrap();
    let fake = Address::parse_any("0xa9d1ffffffffffffffffffffffffffffffff3e43").unwrap();
    h.record(&user, real, 1000);
    let m = h.check(&user, &fake, 1050).unwrap();
    assert_eq!((m.lookalike, m.imitates), (fake, real));
    // Per user: another user's history is not compared.
    assert!(h.check(&other, &fake, 1050).is_none());
    // Too old.
    assert!(h.check(&user, &fake, 1101).is_none());
    // Bounded: two newer counterparties push the real one out.
    h.record(
        &user,
        Address::parse_any("0x1111111111111111111111111111111111111111").unwrap(),
        1060,
    );
    h.record(
        &user,
        Address::parse_any("0x2222222222222222222222222222222222222222").unwrap(),
        1070,
    );
    assert!(h.check(&user, &fake, 1080).is_none());
    h.prune(10_000);
    assert!(h.recent(&user, 10_000).is_empty());
}
