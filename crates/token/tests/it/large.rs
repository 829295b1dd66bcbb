//! Tokens the size of real mainnet ones (10-19 KB of runtime code, compiled by solc from
//! `fixtures/src/Governance.sol` and `Reflection.sol`): the same verdicts as the small
//! fixtures, each with its negative twin, and the privilege walk finishing within its budget.

use custodia_token::{Assessment, Level, ReasonCode as R, assess};

use crate::classify::{Expect, NOW, check, input};
use crate::fixtures::load;

/// Runtime size in bytes of a compiled fixture.
fn size(name: &str) -> usize {
    (load(name).runtime.len() - 2) / 2
}

/// The walk of a real contract is exact: no budget cut-off, and the dispatcher found every
/// function (a large token has dozens).
fn exact(a: &Assessment, at_least: usize) {
    let st = &a.static_report;
    assert!(!st.privileges.approximate, "walk budget ran out: {st:?}");
    assert!(
        st.selectors.len() >= at_least,
        "{} selectors",
        st.selectors.len()
    );
    assert!(st.erc20);
}

#[test]
fn the_large_fixtures_are_mainnet_sized() {
    for (name, min) in [
        ("GovernanceToken", 10_000),
        ("PausableGovernance", 10_000),
        ("ReflectionToken", 10_000),
        ("FixedReflectionToken", 10_000),
        ("ReflectionHoneypot", 15_000),
    ] {
        let s = size(name);
        assert!((min..=24_576).contains(&s), "{name}: {s} bytes");
    }
}

#[test]
fn governance_token_with_permit_and_votes_scores_low() {
    let a = check(
        "GovernanceToken",
        Expect {
            reasons: &[],
            flags: &[],
            level: Level::Low,
        },
    );
    exact(&a, 40);
    assert_eq!(a.goplus["buy_tax"], "0");
    assert_eq!(a.goplus["sell_tax"], "0");
    // Two-step ownership: the pending owner is compared against the caller and shown by
    // `pendingOwner()`; accepting is a standard hand-over, not a take-back.
    let p = &a.static_report.privileges;
    assert_eq!(p.privileged_slots.len(), 2, "{p:?}");
    assert!(
        p.hidden_slots.is_empty() && p.owner_writers.is_empty(),
        "{p:?}"
    );
    // Vote checkpoints read the block number in every transfer; nothing else is held against
    // it.
    assert!(a.score <= 10, "{} {:?}", a.score, a.reasons);
}

#[test]
fn pausable_governance_token() {
    // The twin with the owner's pause switch. The switch (30) and the vote checkpoints'
    // block-number read in every transfer (10) together make it medium, where the small
    // pausable fixture without checkpoints stays low.
    let a = check(
        "PausableGovernance",
        Expect {
            reasons: &[R::TransferPausable, R::TimeDependentTransfer],
            flags: &["transfer_pausable"],
            level: Level::Medium,
        },
    );
    exact(&a, 40);
    assert!(!a.codes().contains(&R::Honeypot));
}

#[test]
fn reflection_token_whose_owner_sets_fees_and_limits() {
    let a = check(
        "ReflectionToken",
        Expect {
            reasons: &[R::TaxModifiable, R::AntiWhaleModifiable, R::ExternalCall],
            flags: &[
                "slippage_modifiable",
                "anti_whale_modifiable",
                "external_call",
            ],
            level: Level::Medium,
        },
    );
    exact(&a, 40);
    // 5% fees at launch (2% reflected back to holders, the buyer among them): taxed, sellable.
    let s = a.simulation.as_ref().unwrap();
    assert!(s.sell.ok && s.late_sell.ok, "{s:?}");
    // An honest heavy token: every trade went through well inside the simulation's budget.
    assert!(s.total_gas < 10_000_000, "{}", s.total_gas);
    let buy: f64 = a.goplus["buy_tax"].parse().unwrap();
    assert!((0.03..=0.05).contains(&buy), "buy tax {buy}");
    assert!(!a.codes().contains(&R::HighSellTax));
}

#[test]
fn reflection_token_with_fixed_fees_scores_low() {
    // The twin: the same machine, no fee or limit setter.
    let a = check(
        "FixedReflectionToken",
        Expect {
            reasons: &[R::ExternalCall],
            flags: &["external_call"],
            level: Level::Low,
        },
    );
    exact(&a, 40);
    let codes = a.codes();
    assert!(!codes.contains(&R::TaxModifiable) && !codes.contains(&R::AntiWhaleModifiable));
    let sell: f64 = a.goplus["sell_tax"].parse().unwrap();
    assert!((0.03..=0.05).contains(&sell), "sell tax {sell}");
}

#[test]
fn large_reflection_honeypot() {
    // 19 KB of staking, presale, referral and lottery code around one line that refuses sells
    // into the pair for wallets the owner has not cleared.
    let a = check(
        "ReflectionHoneypot",
        Expect {
            reasons: &[R::Honeypot],
            flags: &["is_honeypot", "external_call"],
            level: Level::Critical,
        },
    );
    exact(&a, 70);
    assert_eq!(a.reasons[0].code, R::Honeypot);
    assert_eq!(a.goplus["sell_tax"], "1");
    let s = a.simulation.unwrap();
    assert!(s.buy.ok && !s.sell.ok && !s.late_sell.ok, "{s:?}");
    // Refused sells revert early: the whole run (a 19 KB deployment included) is far inside
    // the simulation's gas budget, so the verdict is the token's, not the budget's.
    assert!(s.total_gas < 10_000_000, "{}", s.total_gas);
}

#[test]
fn every_large_fixture_assesses_within_the_walk_budget() {
    for name in [
        "GovernanceToken",
        "PausableGovernance",
        "ReflectionToken",
        "FixedReflectionToken",
        "ReflectionHoneypot",
    ] {
        let a = assess(&input(name), NOW).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!a.static_report.privileges.approximate, "{name}");
    }
}
