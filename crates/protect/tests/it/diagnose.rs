//! The wrong-deposit diagnosis, table-driven through one `check`: every case with its outcome
//! and fee, each with a negative twin, and bad input refused with the field named.

use custodia_chain::Address;
use custodia_primitives::AccountId;
use custodia_protect::{
    AddressStatus, BookKey, CaseKind, DepositAddress, FeeRule, FeeSchedule, MemBook, NetworkSpec,
    Outcome, ProtectError, Registry, Transfer, TransferInput, diagnose,
};

const USDT_ETH: &str = "0xdAC17F958D2ee523a2206206994597C13D831ec7";
const USDT_ARB: &str = "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9";
const USDC_BSC: &str = "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d";
const XRP_SHARED: &str = "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh";
const XLM_SHARED: &str = "GAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAWHF";
const TX: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const TX_PLAIN: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn user(s: &str) -> AccountId {
    AccountId::new(s).unwrap()
}

fn alice_evm() -> String {
    Address::evm([0x11; 20]).canonical()
}
fn bob_evm() -> String {
    Address::evm([0x22; 20]).canonical()
}
fn stranger_evm() -> String {
    Address::evm([0x33; 20]).canonical()
}
fn alice_tron() -> String {
    Address::tron([0x44; 20]).canonical()
}
fn cosmos_shared() -> String {
    custodia_chain::cosmos::encode("cosmos", &[7; 20])
}

fn book() -> MemBook {
    let mut b = MemBook::default();
    let mut add = |network: &str, address: &str, memo: Option<&str>, who: &str, status| {
        let spec = NetworkSpec::find(network).unwrap();
        let canonical = spec.address("address", address).unwrap();
        b.insert(DepositAddress {
            key: BookKey::of(spec, &canonical),
            memo: memo.map(Into::into),
            user: user(who),
            network: network.into(),
            status,
        });
    };
    add(
        "ethereum",
        &alice_evm(),
        None,
        "alice",
        AddressStatus::Active,
    );
    add("ethereum", &bob_evm(), None, "bob", AddressStatus::Retired);
    add("tron", &alice_tron(), None, "alice", AddressStatus::Active);
    add(
        "xrp",
        XRP_SHARED,
        Some("1001"),
        "alice",
        AddressStatus::Active,
    );
    add(
        "xrp",
        XRP_SHARED,
        Some("1002"),
        "carol",
        AddressStatus::Active,
    );
    add(
        "stellar",
        XLM_SHARED,
        Some("42"),
        "alice",
        AddressStatus::Active,
    );
    add(
        "cosmos",
        &cosmos_shared(),
        Some("555"),
        "alice",
        AddressStatus::Active,
    );
    b
}

fn tx(
    network: &str,
    token: Option<&str>,
    to: &str,
    memo: Option<&str>,
    amount: &str,
    usd: Option<u64>,
) -> TransferInput {
    let hex = NetworkSpec::find(network).unwrap().tx_hex == Some(true);
    TransferInput {
        network: network.into(),
        token: token.map(Into::into),
        to: to.into(),
        memo: memo.map(Into::into),
        amount: amount.into(),
        tx_hash: if hex { TX } else { TX_PLAIN }.into(),
        usd_cents: usd,
    }
}

/// What a diagnosis must come to: the case, the outcome, and for recoverable ones the fee in
/// USD cents and units and the owner.
#[derive(Debug, PartialEq, Eq)]
enum Want {
    Credit(&'static str),
    Recoverable {
        fee_usd_cents: u64,
        fee_units: u128,
        owner: Option<&'static str>,
    },
    NotRecoverable(&'static str),
}

fn check_with(
    fees: &FeeSchedule,
    input: TransferInput,
    claimant: Option<&str>,
    case: CaseKind,
    want: Want,
) {
    let t = Transfer::parse(&input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let claimant = claimant.map(user);
    let d = diagnose(&Registry::defaults(), fees, &t, claimant.as_ref(), &book());
    assert_eq!(d.case, case, "{input:?}: {}", d.reason);
    let got = match &d.outcome {
        Outcome::Credit { user } => Want::Credit(leak(user.as_str())),
        Outcome::Recoverable {
            fee_units,
            fee_usd_cents,
            owner,
        } => Want::Recoverable {
            fee_usd_cents: *fee_usd_cents,
            fee_units: *fee_units,
            owner: owner.as_ref().map(|o| leak(o.as_str())),
        },
        Outcome::NotRecoverable => Want::NotRecoverable(""),
    };
    match (&want, &got) {
        (Want::NotRecoverable(frag), Want::NotRecoverable(_)) => {
            assert!(
                d.reason.contains(frag),
                "{input:?}: reason {:?} lacks {frag:?}",
                d.reason
            )
        }
        _ => assert_eq!(got, want, "{input:?}: {}", d.reason),
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn check(input: TransferInput, claimant: Option<&str>, case: CaseKind, want: Want) {
    check_with(&FeeSchedule::default(), input, claimant, case, want)
}

#[test]
fn correct_deposits_credit_and_their_twins_do_not() {
    let a = alice_evm();
    check(
        tx("ethereum", Some(USDT_ETH), &a, None, "5000000", Some(500)),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    check(
        tx("ethereum", Some(USDT_ETH), &a, None, "5000000", Some(500)),
        Some("alice"),
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    // The same transfer to an address the exchange does not hold.
    check(
        tx(
            "ethereum",
            Some(USDT_ETH),
            &stranger_evm(),
            None,
            "5000000",
            Some(500),
        ),
        None,
        CaseKind::NotOurs,
        Want::NotRecoverable("not an address of the exchange"),
    );
    // Native coins and TRC-20.
    check(
        tx("ethereum", None, &a, None, "10000000000000000", Some(3000)),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    check(
        tx(
            "tron",
            Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
            &alice_tron(),
            None,
            "2000000",
            Some(200),
        ),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    // A tag written with leading zeros is the same tag.
    check(
        tx(
            "xrp",
            None,
            XRP_SHARED,
            Some("01001"),
            "5000000",
            Some(1000),
        ),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    check(
        tx("xrp", None, XRP_SHARED, Some("1002"), "5000000", Some(1000)),
        None,
        CaseKind::Correct,
        Want::Credit("carol"),
    );
}

#[test]
fn wrong_network_is_recoverable_above_the_minimum_value() {
    let a = alice_evm();
    // 2,000 USDT on Arbitrum, where the exchange knows the contract but takes no deposits:
    // 5 % of 2,000 USD = 100 USD = 100 USDT.
    check(
        tx(
            "arbitrum",
            Some(USDT_ARB),
            &a,
            None,
            "2000000000",
            Some(200_000),
        ),
        Some("alice"),
        CaseKind::WrongNetwork,
        Want::Recoverable {
            fee_usd_cents: 10_000,
            fee_units: 100_000_000,
            owner: Some("alice"),
        },
    );
    // Twin: worth 999.99 USD, below the recovery minimum.
    check(
        tx(
            "arbitrum",
            Some(USDT_ARB),
            &a,
            None,
            "999990000",
            Some(99_999),
        ),
        Some("alice"),
        CaseKind::WrongNetwork,
        Want::NotRecoverable("below the recovery minimum of 1000.00 USD"),
    );
    // Twin: no price, no value, no recovery.
    check(
        tx("arbitrum", Some(USDT_ARB), &a, None, "2000000000", None),
        Some("alice"),
        CaseKind::WrongNetwork,
        Want::NotRecoverable("no price"),
    );
    // Native ETH on Base (not accepted there, accepted on Ethereum): exactly 1,000 USD costs
    // the 50 USD floor, which equals 5 %.
    check(
        tx("base", None, &a, None, "400000000000000000", Some(100_000)),
        None,
        CaseKind::WrongNetwork,
        Want::Recoverable {
            fee_usd_cents: 5_000,
            fee_units: 20_000_000_000_000_000,
            owner: Some("alice"),
        },
    );
    // USDC known on BSC with deposits off, accepted on Ethereum.
    check(
        tx(
            "bsc",
            Some(USDC_BSC),
            &a,
            None,
            "3000000000000000000000",
            Some(300_000),
        ),
        None,
        CaseKind::WrongNetwork,
        Want::Recoverable {
            fee_usd_cents: 15_000,
            fee_units: 150_000_000_000_000_000_000,
            owner: Some("alice"),
        },
    );
}

#[test]
fn unsupported_tokens_need_a_price() {
    let a = alice_evm();
    let unknown = Address::evm([0x99; 20]).canonical();
    check(
        tx("ethereum", Some(&unknown), &a, None, "1000", None),
        None,
        CaseKind::UnsupportedToken,
        Want::NotRecoverable("no price"),
    );
    check(
        tx("ethereum", Some(&unknown), &a, None, "1000", Some(500_000)),
        None,
        CaseKind::UnsupportedToken,
        Want::Recoverable {
            fee_usd_cents: 25_000,
            fee_units: 50,
            owner: Some("alice"),
        },
    );
    // A coin listed nowhere (POL on Polygon).
    check(
        tx(
            "polygon",
            None,
            &a,
            None,
            "5000000000000000000000",
            Some(250_000),
        ),
        None,
        CaseKind::UnsupportedToken,
        Want::Recoverable {
            fee_usd_cents: 12_500,
            fee_units: 250_000_000_000_000_000_000,
            owner: Some("alice"),
        },
    );
}

#[test]
fn memo_chains_missing_or_wrong_memo() {
    let missing = Want::Recoverable {
        fee_usd_cents: 10_000,
        fee_units: 5_000_000,
        owner: None,
    };
    check(
        tx("xrp", None, XRP_SHARED, None, "100000000", Some(200_000)),
        Some("alice"),
        CaseKind::MissingMemo,
        missing,
    );
    check(
        tx(
            "xrp",
            None,
            XRP_SHARED,
            Some(""),
            "100000000",
            Some(200_000),
        ),
        None,
        CaseKind::MissingMemo,
        Want::Recoverable {
            fee_usd_cents: 10_000,
            fee_units: 5_000_000,
            owner: None,
        },
    );
    check(
        tx(
            "xrp",
            None,
            XRP_SHARED,
            Some("999"),
            "100000000",
            Some(200_000),
        ),
        None,
        CaseKind::WrongMemo,
        Want::Recoverable {
            fee_usd_cents: 10_000,
            fee_units: 5_000_000,
            owner: None,
        },
    );
    check(
        tx(
            "stellar",
            None,
            XLM_SHARED,
            Some("43"),
            "100000000000",
            Some(150_000),
        ),
        None,
        CaseKind::WrongMemo,
        Want::Recoverable {
            fee_usd_cents: 7_500,
            fee_units: 5_000_000_000,
            owner: None,
        },
    );
    check(
        tx(
            "cosmos",
            None,
            &cosmos_shared(),
            None,
            "300000000",
            Some(120_000),
        ),
        None,
        CaseKind::MissingMemo,
        Want::Recoverable {
            fee_usd_cents: 6_000,
            fee_units: 15_000_000,
            owner: None,
        },
    );
    // Twins: the right memo credits.
    check(
        tx(
            "stellar",
            None,
            XLM_SHARED,
            Some("42"),
            "100000000000",
            Some(150_000),
        ),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    check(
        tx(
            "cosmos",
            None,
            &cosmos_shared(),
            Some("555"),
            "300000000",
            Some(120_000),
        ),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    // A small missing-memo deposit is below the recovery minimum.
    check(
        tx("xrp", None, XRP_SHARED, None, "10000000", Some(2_000)),
        None,
        CaseKind::MissingMemo,
        Want::NotRecoverable("below the recovery minimum"),
    );
}

#[test]
fn the_fee_floor_binds_on_small_cases_under_a_custom_schedule() {
    let mut fees = FeeSchedule::default();
    fees.overrides.insert(
        CaseKind::MissingMemo,
        FeeRule {
            fee_bp: 200,
            min_fee_usd_cents: 2_500,
            min_value_usd_cents: 10_000,
        },
    );
    fees.validate().unwrap();
    // 200 USD: 2 % is 4 USD, the floor of 25 USD applies (12.5 % of the units).
    check_with(
        &fees,
        tx("xrp", None, XRP_SHARED, None, "400000000", Some(20_000)),
        None,
        CaseKind::MissingMemo,
        Want::Recoverable {
            fee_usd_cents: 2_500,
            fee_units: 50_000_000,
            owner: None,
        },
    );
    // Twin: other cases keep the default schedule (and its 1,000 USD minimum).
    check_with(
        &fees,
        tx(
            "xrp",
            None,
            XRP_SHARED,
            Some("7"),
            "400000000",
            Some(20_000),
        ),
        None,
        CaseKind::WrongMemo,
        Want::NotRecoverable("below the recovery minimum of 1000.00 USD"),
    );
    // Schedules out of range are refused.
    let mut bad = FeeSchedule::default();
    bad.default.fee_bp = 10_001;
    assert!(matches!(bad.validate(), Err(ProtectError::Fees { .. })));
    let mut bad = FeeSchedule::default();
    bad.default.min_fee_usd_cents = bad.default.min_value_usd_cents + 1;
    assert!(matches!(bad.validate(), Err(ProtectError::Fees { .. })));
}

#[test]
fn retired_contract_minimum_and_other_users() {
    let a = alice_evm();
    check(
        tx(
            "ethereum",
            Some(USDT_ETH),
            &bob_evm(),
            None,
            "2000000000",
            Some(200_000),
        ),
        Some("bob"),
        CaseKind::RetiredAddress,
        Want::Recoverable {
            fee_usd_cents: 10_000,
            fee_units: 100_000_000,
            owner: Some("bob"),
        },
    );
    // To the token's own contract, on its network or another of the family.
    check(
        tx(
            "ethereum",
            Some(USDT_ETH),
            USDT_ETH,
            None,
            "2000000000",
            Some(200_000),
        ),
        Some("alice"),
        CaseKind::ContractAddress,
        Want::NotRecoverable("token contract"),
    );
    check(
        tx(
            "arbitrum",
            None,
            USDT_ETH,
            None,
            "2000000000000000000",
            Some(600_000),
        ),
        None,
        CaseKind::ContractAddress,
        Want::NotRecoverable("no one holds a key"),
    );
    // Below the 1 USDT minimum deposit.
    check(
        tx("ethereum", Some(USDT_ETH), &a, None, "999999", Some(99)),
        None,
        CaseKind::BelowMinimum,
        Want::NotRecoverable("below the minimum deposit of 1000000"),
    );
    // Twin: exactly the minimum credits.
    check(
        tx("ethereum", Some(USDT_ETH), &a, None, "1000000", Some(100)),
        None,
        CaseKind::Correct,
        Want::Credit("alice"),
    );
    // Carol claims a deposit to Alice's address, or to Alice's tag.
    check(
        tx(
            "ethereum",
            Some(USDT_ETH),
            &a,
            None,
            "2000000000",
            Some(200_000),
        ),
        Some("carol"),
        CaseKind::OtherUsersAddress,
        Want::NotRecoverable("another account"),
    );
    check(
        tx("xrp", None, XRP_SHARED, Some("1001"), "5000000", Some(1000)),
        Some("carol"),
        CaseKind::OtherUsersAddress,
        Want::NotRecoverable("address and memo"),
    );
    // Twin: Carol's own tag credits her.
    check(
        tx("xrp", None, XRP_SHARED, Some("1002"), "5000000", Some(1000)),
        Some("carol"),
        CaseKind::Correct,
        Want::Credit("carol"),
    );
}

#[test]
fn bad_input_names_the_field() {
    let a = alice_evm();
    let cases: Vec<(TransferInput, &str)> = vec![
        (tx("ethereum", None, &a, None, "1", None), ""),
        (
            TransferInput {
                network: "dogechain".into(),
                ..tx("ethereum", None, &a, None, "1", None)
            },
            "unknown network \"dogechain\"",
        ),
        (
            tx(
                "ethereum",
                None,
                "0x11111111111111111111111111111111111111",
                None,
                "1",
                None,
            ),
            "to is not a valid ethereum address",
        ),
        (
            tx(
                "ethereum",
                None,
                "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD",
                None,
                "1",
                None,
            ),
            "to is not a valid ethereum address",
        ),
        (
            tx("ethereum", Some("0xnothex"), &a, None, "1", None),
            "token is not a valid ethereum address",
        ),
        (
            tx("ethereum", None, &a, Some("123"), "1", None),
            "this network has no memo",
        ),
        (
            tx("xrp", None, XRP_SHARED, Some("abc"), "1", None),
            "destination tag",
        ),
        (
            tx("xrp", None, XRP_SHARED, Some("4294967296"), "1", None),
            "destination tag",
        ),
        (
            tx(
                "stellar",
                None,
                XLM_SHARED,
                Some(&"m".repeat(29)),
                "1",
                None,
            ),
            "at most 28 bytes",
        ),
        (tx("ethereum", None, &a, None, "0", None), "amount"),
        (tx("ethereum", None, &a, None, "-5", None), "amount"),
        (tx("ethereum", None, &a, None, "1.5", None), "amount"),
        (
            tx("ethereum", None, &a, None, &"9".repeat(40), None),
            "amount",
        ),
        (
            TransferInput {
                tx_hash: "0x1234".into(),
                ..tx("ethereum", None, &a, None, "1", None)
            },
            "tx_hash on ethereum",
        ),
        (
            TransferInput {
                tx_hash: TX_PLAIN.into(),
                ..tx("ethereum", None, &a, None, "1", None)
            },
            "0x and 64 hex",
        ),
        (
            TransferInput {
                tx_hash: "0OIl".into(),
                ..tx(
                    "solana",
                    None,
                    &Address::solana([5; 32]).canonical(),
                    None,
                    "1",
                    None,
                )
            },
            "base58 signature",
        ),
    ];
    for (input, want) in cases {
        match Transfer::parse(&input) {
            Ok(_) if want.is_empty() => {}
            Ok(t) => panic!("{input:?} accepted as {t:?}"),
            Err(e) => assert!(
                !want.is_empty() && e.to_string().contains(want),
                "{input:?}: {e}"
            ),
        }
    }
}

#[test]
fn the_registry_refuses_inconsistent_listings() {
    let base = custodia_protect::Listing {
        asset: "USDT".into(),
        network: "ethereum".into(),
        contract: Some(USDT_ETH.into()),
        decimals: 6,
        min_deposit: "1000000".into(),
        deposits: true,
    };
    assert!(Registry::new(vec![base.clone()]).is_ok());
    let bad = [
        (
            custodia_protect::Listing {
                network: "nowhere".into(),
                ..base.clone()
            },
            "unknown network",
        ),
        (
            custodia_protect::Listing {
                contract: Some("0x12".into()),
                ..base.clone()
            },
            "contract is not a valid",
        ),
        (
            custodia_protect::Listing {
                contract: None,
                ..base.clone()
            },
            "native coin of ethereum is ETH",
        ),
        (
            custodia_protect::Listing {
                asset: "usdt".into(),
                ..base.clone()
            },
            "upper-case",
        ),
        (
            custodia_protect::Listing {
                min_deposit: "1e6".into(),
                ..base.clone()
            },
            "min_deposit",
        ),
        (
            custodia_protect::Listing {
                decimals: 31,
                ..base.clone()
            },
            "decimals",
        ),
    ];
    for (l, want) in bad {
        let e = Registry::new(vec![l]).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
    let e = Registry::new(vec![base.clone(), base])
        .unwrap_err()
        .to_string();
    assert!(e.contains("listed twice"), "{e}");
}
