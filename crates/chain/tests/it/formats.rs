//! The other chains' address formats: published vectors, round trips and a negative twin for
//! each (one character changed, another network or kind).

use custodia_chain::coins::{self, Coin, CoinKind};
use custodia_chain::{
    AddressReason, aelf, cardano, eos, filecoin, hex32, ss58, stellar, ton, xrpl,
};

fn hex20(s: &str) -> [u8; 20] {
    hex::decode(s).unwrap().try_into().unwrap()
}

fn hex32v(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// Changes one character of `s` at `at` to another of the same alphabet.
fn typo(s: &str, at: usize, to: char) -> String {
    let mut c: Vec<char> = s.chars().collect();
    assert_ne!(c[at], to);
    c[at] = to;
    c.into_iter().collect()
}

#[test]
fn xrpl_genesis_account() {
    // The ledger's genesis account and its account ID (xrpl.org, "Accounts").
    let id = hex20("b5f762798a53d543a014caf8b297cff8f2f937e8");
    assert_eq!(xrpl::encode(&id), "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh");
    assert_eq!(
        xrpl::parse("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh").unwrap(),
        id
    );
    assert_eq!(
        xrpl::parse(&typo("rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh", 5, 'B')),
        Err(AddressReason::FormatChecksum { format: "XRPL" })
    );
    // The Bitcoin spelling of the same bytes is not an XRPL address.
    assert!(xrpl::parse("1HUBHMij46Hae75JPdWjeZ5Q7KaL7EFRSD").is_err());
}

#[test]
fn stellar_account_ids() {
    let zero = [0u8; 32];
    let g = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF";
    assert_eq!(stellar::encode(&zero), g);
    assert_eq!(stellar::parse(g).unwrap(), zero);
    assert_eq!(
        stellar::parse(&typo(g, 10, 'B')),
        Err(AddressReason::FormatChecksum { format: "Stellar" })
    );
    assert!(stellar::parse(&g.to_lowercase()).is_err());
}

#[test]
fn polkadot_ss58() {
    // Alice (//Alice, sr25519) on Polkadot (prefix 0).
    let alice = hex32v("d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d");
    let a = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5";
    assert_eq!(ss58::encode(ss58::POLKADOT, &alice), a);
    assert_eq!(ss58::parse(ss58::POLKADOT, a).unwrap(), alice);
    // The generic Substrate spelling (prefix 42) is another network's.
    let generic = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
    assert_eq!(ss58::encode(42, &alice), generic);
    assert!(matches!(
        ss58::parse(ss58::POLKADOT, generic),
        Err(AddressReason::FormatPrefix { .. })
    ));
    assert!(ss58::parse(ss58::POLKADOT, &typo(a, 7, 'x')).is_err());
}

#[test]
fn bitcoin_cash_cashaddr() {
    // The CashAddr specification's example pairs.
    for (legacy, cash, kind) in [
        (
            "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu",
            "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
            CoinKind::P2pkh,
        ),
        (
            "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC",
            "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq",
            CoinKind::P2sh,
        ),
    ] {
        let (k, h) = coins::parse(Coin::BitcoinCash, legacy).unwrap();
        assert_eq!(k, kind);
        assert_eq!(coins::encode(Coin::BitcoinCash, k, &h), cash);
        assert_eq!(coins::parse(Coin::BitcoinCash, cash).unwrap(), (k, h));
        let bare = cash.strip_prefix("bitcoincash:").unwrap();
        assert_eq!(coins::parse(Coin::BitcoinCash, bare).unwrap(), (k, h));
        assert_eq!(
            coins::parse(Coin::BitcoinCash, &cash.to_uppercase()).unwrap(),
            (k, h)
        );
        let bad = typo(
            cash,
            20,
            if cash.as_bytes()[20] == b'q' {
                'p'
            } else {
                'q'
            },
        );
        assert_eq!(
            coins::parse(Coin::BitcoinCash, &bad),
            Err(AddressReason::FormatChecksum { format: "CashAddr" })
        );
    }
}

#[test]
fn coin_version_bytes() {
    let h = [0x11u8; 20];
    for coin in [Coin::Dogecoin, Coin::Litecoin, Coin::Dash] {
        for kind in [CoinKind::P2pkh, CoinKind::P2sh] {
            let a = coins::encode(coin, kind, &h);
            assert_eq!(coins::parse(coin, &a).unwrap(), (kind, h), "{coin:?} {a}");
        }
        // A Bitcoin address is not one of theirs.
        assert!(matches!(
            coins::parse(coin, "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
            Err(AddressReason::FormatPrefix { .. })
        ));
    }
    assert!(coins::encode(Coin::Dogecoin, CoinKind::P2pkh, &h).starts_with('D'));
    assert!(coins::encode(Coin::Litecoin, CoinKind::P2pkh, &h).starts_with('L'));
    assert!(coins::encode(Coin::Dash, CoinKind::P2pkh, &h).starts_with('X'));
    let segwit = coins::encode(Coin::Litecoin, CoinKind::P2wpkh, &h);
    assert!(segwit.starts_with("ltc1q"), "{segwit}");
    assert_eq!(
        coins::parse(Coin::Litecoin, &segwit).unwrap(),
        (CoinKind::P2wpkh, h)
    );
    assert!(coins::parse(Coin::Dogecoin, &segwit).is_err());
}

#[test]
fn filecoin_addresses() {
    for a in [
        filecoin::FilAddress::Secp256k1([7; 20]),
        filecoin::FilAddress::Eth([9; 20]),
    ] {
        let text = filecoin::encode(&a);
        assert_eq!(filecoin::parse(&text).unwrap(), a, "{text}");
        let last = text.len() - 1;
        let c = if text.ends_with('a') { 'b' } else { 'a' };
        assert!(filecoin::parse(&typo(&text, last, c)).is_err());
    }
    assert!(filecoin::encode(&filecoin::FilAddress::Eth([9; 20])).starts_with("f410f"));
    for (id, kind) in [("f01234", "ID"), ("f3abc", "BLS"), ("f2abc", "actor")] {
        assert_eq!(
            filecoin::parse(id),
            Err(AddressReason::NotKeyAddress {
                format: "Filecoin",
                kind: kind.into()
            })
        );
    }
    assert!(filecoin::parse("t1abc").is_err());
}

#[test]
fn ton_both_forms() {
    let a = ton::TonAddress {
        workchain: 0,
        hash: [0xab; 32],
    };
    let raw = a.raw();
    assert_eq!(raw, format!("0:{}", "ab".repeat(32)));
    for text in [raw.clone(), a.friendly(true), a.friendly(false)] {
        assert_eq!(ton::parse(&text).unwrap(), a, "{text}");
    }
    assert!(a.friendly(true).starts_with("EQ"));
    assert!(a.friendly(false).starts_with("UQ"));
    let f = a.friendly(true);
    assert_eq!(
        ton::parse(&typo(
            &f,
            10,
            if f.as_bytes()[10] == b'A' { 'B' } else { 'A' }
        )),
        Err(AddressReason::FormatChecksum { format: "TON" })
    );
    assert!(ton::parse("5:abcd").is_err());
}

#[test]
fn cardano_key_addresses() {
    let a = cardano::CardanoAddress {
        header: 0x61,
        payment: [3; 28],
        delegation: vec![],
    };
    let text = cardano::encode(&a);
    assert!(text.starts_with("addr1v"), "{text}");
    assert_eq!(cardano::parse(&text).unwrap(), a);
    let base = cardano::CardanoAddress {
        header: 0x01,
        payment: [3; 28],
        delegation: vec![4; 28],
    };
    assert_eq!(cardano::parse(&cardano::encode(&base)).unwrap(), base);
    // A script payment credential (type 7) signs nothing.
    let script = cardano::encode(&cardano::CardanoAddress {
        header: 0x71,
        ..a.clone()
    });
    assert!(matches!(
        cardano::parse(&script),
        Err(AddressReason::NotKeyAddress { .. })
    ));
    // Testnet (network 0).
    let testnet = cardano::encode(&cardano::CardanoAddress { header: 0x60, ..a });
    assert!(cardano::parse(&testnet).is_err());
}

#[test]
fn hex32_accounts() {
    let a = [0x5au8; 32];
    let t = hex32::encode(&a);
    assert_eq!(hex32::parse("Aptos", &t).unwrap(), a);
    assert_eq!(
        hex32::parse("Aptos", &t.to_uppercase().replacen("0X", "0x", 1)).unwrap(),
        a
    );
    assert!(hex32::parse("Aptos", "0x1").is_err());
    assert!(hex32::parse("Aptos", &t[2..]).is_err());
}

#[test]
fn eos_account_names() {
    // The system accounts' name values (the chain's `name` type; @wharfkit/antelope agrees).
    assert_eq!(eos::parse("eosio").unwrap(), 6_138_663_577_826_885_632);
    assert_eq!(
        eos::parse("eosio.token").unwrap(),
        6_138_663_591_592_764_928
    );
    assert_eq!(eos::encode(6_138_663_591_592_764_928), "eosio.token");
    // The largest name uses all 13 characters.
    assert_eq!(eos::parse("zzzzzzzzzzzzj").unwrap(), u64::MAX);
    assert_eq!(eos::encode(u64::MAX), "zzzzzzzzzzzzj");
    // Negative twins: upper case, a digit outside 1-5, a trailing dot (same value as the
    // shorter name), a 13th character above `j`, fourteen characters.
    assert!(matches!(
        eos::parse("EOSIO"),
        Err(AddressReason::FormatEncoding { .. })
    ));
    assert!(eos::parse("eosio6").is_err());
    assert!(eos::parse("eosio.").is_err());
    assert!(eos::parse("zzzzzzzzzzzzk").is_err());
    assert_eq!(
        eos::parse("aaaaaaaaaaaaaa"),
        Err(AddressReason::TooLong { chars: 14 })
    );
    assert_eq!(eos::parse(""), Err(AddressReason::Empty));
}

#[test]
fn aelf_address_of_a_key() {
    // The key of private key 1 (the generator, uncompressed) and the address aelf-sdk 3.5.0's
    // `getWalletByPrivateKey` gives it.
    let mut key = [0u8; 65];
    key.copy_from_slice(
        &hex::decode(
            "0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798\
             483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8",
        )
        .unwrap(),
    );
    let a = "2QCi3Fy1QXZKFmP6tSBtxCXsaztNzeiDfNgWTamcsj428v4cPZ";
    let hash = aelf::key_hash(&key);
    assert_eq!(aelf::encode(&hash), a);
    assert_eq!(aelf::parse(a).unwrap(), hash);
    assert_eq!(aelf::parse(&format!("ELF_{a}_AELF")).unwrap(), hash);
    // Negative twins: a typo, a side chain, a 20-byte payload.
    assert_eq!(
        aelf::parse(&typo(a, 7, 'B')),
        Err(AddressReason::FormatChecksum { format: "aelf" })
    );
    assert!(matches!(
        aelf::parse(&format!("ELF_{a}_tDVV")),
        Err(AddressReason::FormatPrefix { .. })
    ));
    assert!(matches!(
        aelf::parse("1HUBHMij46Hae75JPdWjeZ5Q7KaL7EFRSD"),
        Err(AddressReason::FormatLength { .. })
    ));
}

/// Cosmos SDK bech32: the SDK documentation's account of bytes 1..=20, with twins (a typo, the
/// bech32m checksum, another chain's prefix, mixed case, a wrong length).
#[test]
fn cosmos_bech32_accounts() {
    use custodia_chain::cosmos;
    let bytes: Vec<u8> = (1..=20).collect();
    let a = "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";
    assert_eq!(cosmos::encode("cosmos", &bytes), a);
    assert_eq!(cosmos::parse("cosmos", a).unwrap(), bytes);
    assert_eq!(cosmos::parse("cosmos", &a.to_uppercase()).unwrap(), bytes);
    assert!(matches!(
        cosmos::parse("cosmos", &typo(a, 12, 'q')),
        Err(AddressReason::FormatChecksum { .. })
    ));
    let osmo = cosmos::encode("osmo", &bytes);
    assert!(matches!(
        cosmos::parse("cosmos", &osmo),
        Err(AddressReason::FormatPrefix { .. })
    ));
    assert_eq!(
        cosmos::parse("cosmos", "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xU"),
        Err(AddressReason::MixedCase)
    );
    let short = cosmos::encode("cosmos", &bytes[..19]);
    assert!(matches!(
        cosmos::parse("cosmos", &short),
        Err(AddressReason::FormatLength { got: 19, .. })
    ));
    let m =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("cosmos").unwrap(), &bytes).unwrap();
    assert!(cosmos::parse("cosmos", &m).is_err(), "bech32m accepted");
    assert_eq!(cosmos::parse("cosmos", ""), Err(AddressReason::Empty));
}
