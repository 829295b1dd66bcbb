//! Each fixture classified with the right reasons, through one `check(name, expect)`. The
//! plain token is every scam fixture's negative twin: none of their reasons or flags appear
//! on it, and the fixed 1% fee token scores low like it.

use custodia_token::{Assessment, Level, ReasonCode as R, TokenInput, assess};

use crate::fixtures::{TOKENS, deployments, load};

pub const NOW: u64 = 1_750_000_000;

pub fn input(name: &str) -> TokenInput {
    let f = load(name);
    let implementation_code = (name == "UpgradeableProxy").then(|| load("HoneypotImpl").runtime);
    TokenInput {
        chain: "ethereum".into(),
        address: "0x00000000000000000000000000000000000000aa".into(),
        runtime_code: f.runtime,
        implementation_code,
        deploy: deployments(name),
        ..TokenInput::default()
    }
}

pub struct Expect {
    /// Reason codes that must be present.
    pub reasons: &'static [R],
    /// GoPlus flags that must be "1" (all others of FLAGS must be "0").
    pub flags: &'static [&'static str],
    pub level: Level,
}

const FLAGS: &[&str] = &[
    "is_honeypot",
    "cannot_buy",
    "cannot_sell_all",
    "trading_cooldown",
    "is_proxy",
    "is_mintable",
    "owner_change_balance",
    "can_take_back_ownership",
    "selfdestruct",
    "external_call",
    "transfer_pausable",
    "is_blacklisted",
    "is_whitelisted",
    "slippage_modifiable",
    "personal_slippage_modifiable",
    "anti_whale_modifiable",
    "is_airdrop_scam",
    "hidden_owner",
];

pub fn check(name: &str, expect: Expect) -> Assessment {
    let a = assess(&input(name), NOW).unwrap_or_else(|e| panic!("{name}: {e}"));
    let codes = a.codes();
    for r in expect.reasons {
        assert!(codes.contains(r), "{name}: missing {r:?} in {codes:?}");
    }
    for f in FLAGS {
        let want = if expect.flags.contains(f) { "1" } else { "0" };
        assert_eq!(
            a.goplus.get(*f).map(String::as_str),
            Some(want),
            "{name}: {f} in {:?}",
            a.goplus
        );
    }
    assert_eq!(
        a.level, expect.level,
        "{name}: score {} reasons {:?}",
        a.score, a.reasons
    );
    // Reasons are ordered strongest first.
    assert!(
        a.reasons.windows(2).all(|w| w[0].points >= w[1].points),
        "{name}"
    );
    a
}

#[test]
fn plain_token_scores_low_with_no_reason() {
    let a = check(
        "PlainToken",
        Expect {
            reasons: &[],
            flags: &[],
            level: Level::Low,
        },
    );
    assert_eq!(a.score, 0, "{:?}", a.reasons);
    assert_eq!(a.goplus["buy_tax"], "0");
    assert_eq!(a.goplus["sell_tax"], "0");
    assert_eq!(a.goplus["transfer_tax"], "0");
    assert_eq!(a.goplus["token_name"], "Plain");
}

#[test]
fn fixed_one_percent_fee_scores_low() {
    let a = check(
        "FixedFeeToken",
        Expect {
            reasons: &[],
            flags: &[],
            level: Level::Low,
        },
    );
    assert_eq!(a.score, 0, "{:?}", a.reasons);
    assert_eq!(a.goplus["buy_tax"], "0.01");
    assert_eq!(a.goplus["sell_tax"], "0.01");
    assert_eq!(a.goplus["transfer_tax"], "0.01");
}

#[test]
fn sell_blocking_honeypot() {
    let a = check(
        "SellBlockHoneypot",
        Expect {
            reasons: &[R::Honeypot],
            flags: &["is_honeypot"],
            level: Level::Critical,
        },
    );
    assert_eq!(a.goplus["sell_tax"], "1");
    assert_eq!(a.reasons[0].code, R::Honeypot);
}

#[test]
fn ninety_nine_percent_sell_tax() {
    let a = check(
        "HighSellTax",
        Expect {
            reasons: &[R::ExtremeSellTax],
            flags: &[],
            level: Level::Medium,
        },
    );
    assert_eq!(a.goplus["sell_tax"], "0.99");
    assert_eq!(a.goplus["buy_tax"], "0");
}

#[test]
fn tax_the_owner_can_raise() {
    let a = check(
        "RaisableTax",
        Expect {
            reasons: &[R::TaxModifiable],
            flags: &["slippage_modifiable"],
            level: Level::Low,
        },
    );
    assert_eq!(a.goplus["buy_tax"], "0.02");
    // The launch tax itself is modest: no tax reason.
    assert!(!a.codes().contains(&R::HighSellTax));
}

#[test]
fn owner_mint() {
    check(
        "OwnerMint",
        Expect {
            reasons: &[R::Mintable],
            flags: &["is_mintable"],
            level: Level::Medium,
        },
    );
}

#[test]
fn blacklist() {
    check(
        "BlacklistToken",
        Expect {
            reasons: &[R::Blacklist],
            flags: &["is_blacklisted"],
            level: Level::Low,
        },
    );
}

#[test]
fn pausable() {
    check(
        "PausableToken",
        Expect {
            reasons: &[R::TransferPausable],
            flags: &["transfer_pausable"],
            level: Level::Low,
        },
    );
}

#[test]
fn balance_rewriting_owner() {
    check(
        "BalanceRewrite",
        Expect {
            reasons: &[R::OwnerChangeBalance],
            flags: &["owner_change_balance"],
            level: Level::Medium,
        },
    );
}

#[test]
fn cooldown_is_not_a_honeypot() {
    let a = check(
        "CooldownToken",
        Expect {
            reasons: &[R::TradingCooldown],
            flags: &["trading_cooldown"],
            level: Level::Low,
        },
    );
    assert!(
        !a.codes().contains(&R::TimeDependentTransfer),
        "the simulation explained the time read"
    );
}

#[test]
fn sells_blocked_after_n_blocks() {
    let a = check(
        "LateHoneypot",
        Expect {
            reasons: &[R::SellBlockedLater],
            flags: &["is_honeypot"],
            level: Level::Critical,
        },
    );
    let s = a.simulation.unwrap();
    assert!(s.sell.ok, "a quick check right after launch passes");
    assert!(!s.late_sell.ok);
}

#[test]
fn airdrop_spam() {
    check(
        "AirdropSpam",
        Expect {
            reasons: &[R::FakeBalances, R::AirdropFunction, R::AdvertName],
            flags: &["is_airdrop_scam"],
            level: Level::Critical,
        },
    );
}

#[test]
fn proxy_over_a_honeypot() {
    let a = check(
        "UpgradeableProxy",
        Expect {
            reasons: &[R::Honeypot, R::Proxy],
            flags: &["is_proxy", "is_honeypot"],
            level: Level::Critical,
        },
    );
    assert!(a.static_report.eip1967);
    assert_eq!(a.goplus["token_symbol"], "PGLD");
}

#[test]
fn selfdestruct() {
    check(
        "SelfDestructToken",
        Expect {
            reasons: &[R::Selfdestruct],
            flags: &["selfdestruct"],
            level: Level::Medium,
        },
    );
}

#[test]
fn ownership_take_back_is_read_from_the_code_too() {
    // The previous owner, kept in a private slot, passes `unlock`'s check: a hidden owner too.
    let a = check(
        "TakeBackOwner",
        Expect {
            reasons: &[R::TakeBackOwnership, R::HiddenOwner],
            flags: &["can_take_back_ownership", "hidden_owner"],
            level: Level::High,
        },
    );
    // Both lock (renounce for show) and unlock (take back) write the owner's slot.
    assert_eq!(
        a.static_report.privileges.owner_writers,
        vec!["lock(uint256)".to_string(), "unlock()".to_string()]
    );
}

#[test]
fn take_back_under_an_unknown_name() {
    // No signature table knows `claimRewards()`: the owner slot written outside the
    // standard functions is what gives it away.
    let a = check(
        "SilentTakeBack",
        Expect {
            reasons: &[R::TakeBackOwnership],
            flags: &["can_take_back_ownership", "hidden_owner"],
            level: Level::High,
        },
    );
    let p = &a.static_report.privileges;
    assert_eq!(p.owner_writers.len(), 1, "{p:?}");
    assert!(
        a.static_report
            .functions
            .iter()
            .all(|f| !f.contains("claimRewards"))
    );
    assert_eq!(p.owner_slots.len(), 1, "{p:?}");
}

#[test]
fn an_owner_only_function_that_leaves_the_owner_alone_is_no_take_back() {
    // SilentTakeBack's twin: same unknown name, owner-only, writes another slot.
    let a = check(
        "RewardEpoch",
        Expect {
            reasons: &[],
            flags: &[],
            level: Level::Low,
        },
    );
    let p = &a.static_report.privileges;
    assert!(
        p.owner_writers.is_empty() && p.hidden_slots.is_empty(),
        "{p:?}"
    );
    assert_eq!(
        p.privileged_slots, p.owner_slots,
        "only the owner is privileged"
    );
}

#[test]
fn hidden_owner() {
    let a = check(
        "HiddenOwner",
        Expect {
            reasons: &[R::HiddenOwner],
            flags: &["hidden_owner"],
            level: Level::Medium,
        },
    );
    let p = &a.static_report.privileges;
    assert_eq!(p.hidden_slots.len(), 1, "{p:?}");
    assert!(
        !p.owner_slots.contains(&p.hidden_slots[0]),
        "not the visible owner"
    );
}

#[test]
fn a_public_keeper_is_not_hidden() {
    // HiddenOwner's twin: the same privileged keeper with a public getter.
    let a = check(
        "VisibleKeeper",
        Expect {
            reasons: &[],
            flags: &[],
            level: Level::Low,
        },
    );
    let p = &a.static_report.privileges;
    assert_eq!(p.privileged_slots.len(), 2, "owner and keeper: {p:?}");
    assert!(p.hidden_slots.is_empty(), "{p:?}");
}

#[test]
fn a_transfer_that_loops_forever_is_bounded() {
    let a = check(
        "InfiniteLoop",
        Expect {
            reasons: &[R::Honeypot, R::TransferBlocked],
            flags: &["is_honeypot"],
            level: Level::Critical,
        },
    );
    let s = a.simulation.unwrap();
    // The first looping transaction burns what is left of the simulation's gas budget; the
    // ones after it fail unrun, and a sell that cannot finish is still a sell that failed.
    let cfg = custodia_token::SimConfig::default();
    assert!(s.total_gas <= cfg.gas_per_simulation, "{}", s.total_gas);
    assert!(!s.sell.ok && !s.transfer.ok && !s.late_sell.ok);
    assert!(
        s.transfer.gas > 1_000_000 || s.sell.gas > 1_000_000,
        "{s:?}"
    );
}

#[test]
fn every_fixture_is_covered() {
    assert_eq!(TOKENS.len(), 25);
    for name in TOKENS {
        assert!(assess(&input(name), NOW).is_ok(), "{name}");
    }
}
