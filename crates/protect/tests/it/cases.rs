//! The recovery-case state machine: no illegal transition is possible, every closed case has an
//! outcome and an actor, approvals need a second person.

use custodia_events::Timestamp;
use custodia_primitives::AccountId;
use custodia_protect::{
    Case, CaseAction, CaseId, CaseKind, CaseOutcome, CaseState, ProtectError, Transition,
};
use proptest::prelude::*;

fn fresh() -> Case {
    Case {
        id: CaseId::from_random([7; 12]),
        user: AccountId::new("alice").unwrap(),
        kind: CaseKind::MissingMemo,
        network: "xrp".into(),
        tx_hash: "2222222222222222222222222222222222222222222222222222222222222222".into(),
        token: None,
        to: "rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh".into(),
        memo: None,
        transfer: "xrp:…".into(),
        asset: Some("XRP".into()),
        decimals: 6,
        amount: 100_000_000,
        usd_cents: 200_000,
        fee_units: 5_000_000,
        fee_usd_cents: 10_000,
        reason: "missing memo".into(),
        state: CaseState::Opened,
        outcome: None,
        history: vec![Transition {
            from: None,
            to: CaseState::Opened,
            actor: "user:alice".into(),
            at: Timestamp::from_millis(1),
            note: None,
        }],
    }
}

const RETURN_TX: &str = "3333333333333333333333333333333333333333333333333333333333333333";

fn action(i: u8) -> CaseAction {
    match i % 5 {
        0 => CaseAction::VerifyOwnership,
        1 => CaseAction::Approve,
        2 => CaseAction::Recover {
            tx_hash: RETURN_TX.into(),
        },
        3 => CaseAction::Credit,
        _ => CaseAction::Reject {
            reason: "no proof of ownership".into(),
        },
    }
}

/// The legal moves, written out independently of the implementation.
fn legal(from: CaseState, a: &CaseAction) -> Option<CaseState> {
    use CaseState::*;
    let to = match a {
        CaseAction::VerifyOwnership => OwnershipVerified,
        CaseAction::Approve => Approved,
        CaseAction::Recover { .. } => Recovered,
        CaseAction::Credit => Credited,
        CaseAction::Reject { .. } => Rejected,
    };
    let ok = matches!(
        (from, to),
        (Opened, OwnershipVerified)
            | (OwnershipVerified, Approved)
            | (Approved, Recovered | Credited)
            | (Opened | OwnershipVerified | Approved, Rejected)
    );
    ok.then_some(to)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_illegal_transition_and_closed_cases_are_complete(
        steps in proptest::collection::vec((any::<u8>(), 0u8..3), 0..12)
    ) {
        let mut c = fresh();
        for (n, (a, who)) in steps.into_iter().enumerate() {
            let a = action(a);
            let actor = ["operator:ann", "operator:ben", "operator:cy"][who as usize];
            let before = c.clone();
            let at = Timestamp::from_millis(10 + n as i64);
            match c.apply(&a, actor, at, None) {
                Ok(t) => {
                    let want = legal(before.state, &a);
                    prop_assert_eq!(Some(t.to), want);
                    prop_assert_eq!(t.from, Some(before.state));
                    prop_assert_eq!(&t.actor, actor);
                    prop_assert_eq!(c.history.len(), before.history.len() + 1);
                    if matches!(a, CaseAction::Approve) {
                        prop_assert_ne!(before.verifier(), Some(actor));
                    }
                }
                Err(e) => {
                    // Refused: the case is untouched, and the refusal was due.
                    prop_assert_eq!(&c, &before);
                    let four_eyes = matches!(e, ProtectError::SameActor { .. });
                    prop_assert!(legal(before.state, &a).is_none() || four_eyes, "{e}");
                }
            }
            // Closed ⇔ outcome; every step has an actor.
            prop_assert_eq!(c.state.is_closed(), c.outcome.is_some());
            prop_assert!(c.history.iter().all(|t| !t.actor.is_empty()));
            prop_assert_eq!(c.history.last().map(|t| t.to), Some(c.state));
        }
    }
}

#[test]
fn a_case_recovered_under_four_eyes() {
    let mut c = fresh();
    c.apply(
        &CaseAction::VerifyOwnership,
        "operator:ann",
        Timestamp::from_millis(2),
        Some("signed message from the sending address"),
    )
    .unwrap();
    let e = c
        .apply(
            &CaseAction::Approve,
            "operator:ann",
            Timestamp::from_millis(3),
            None,
        )
        .unwrap_err();
    assert!(matches!(e, ProtectError::SameActor { .. }), "{e}");
    c.apply(
        &CaseAction::Approve,
        "operator:ben",
        Timestamp::from_millis(3),
        None,
    )
    .unwrap();
    // A malformed return transaction is refused and changes nothing.
    let before = c.clone();
    assert!(
        c.apply(
            &CaseAction::Recover {
                tx_hash: "xyz".into()
            },
            "operator:cy",
            Timestamp::from_millis(4),
            None
        )
        .is_err()
    );
    assert_eq!(c, before);
    c.apply(
        &CaseAction::Recover {
            tx_hash: RETURN_TX.into(),
        },
        "operator:cy",
        Timestamp::from_millis(4),
        None,
    )
    .unwrap();
    assert_eq!(c.state, CaseState::Recovered);
    assert_eq!(
        c.outcome,
        Some(CaseOutcome::Recovered {
            tx_hash: RETURN_TX.into(),
            net_units: "95000000".into(),
            fee_units: "5000000".into()
        })
    );
    // Closed: nothing moves it any more.
    for i in 0..5 {
        let e = c
            .clone()
            .apply(&action(i), "operator:dan", Timestamp::from_millis(5), None)
            .unwrap_err();
        assert!(
            matches!(
                e,
                ProtectError::IllegalTransition {
                    from: CaseState::Recovered,
                    ..
                }
            ),
            "{e}"
        );
    }
}

#[test]
fn rejections_need_a_reason_and_actors_a_name() {
    let mut c = fresh();
    for bad in ["", "   ", &"x".repeat(1001)] {
        let e = c
            .apply(
                &CaseAction::Reject {
                    reason: bad.to_owned(),
                },
                "operator:ann",
                Timestamp::from_millis(2),
                None,
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                ProtectError::Note {
                    field: "reason",
                    ..
                }
            ),
            "{e}"
        );
    }
    for bad in ["", "has space", &"a".repeat(129)] {
        assert!(matches!(
            c.apply(
                &CaseAction::VerifyOwnership,
                bad,
                Timestamp::from_millis(2),
                None
            ),
            Err(ProtectError::Actor { .. })
        ));
    }
    assert_eq!(c, fresh());
    c.apply(
        &CaseAction::Reject {
            reason: "sender could not prove ownership".into(),
        },
        "operator:ann",
        Timestamp::from_millis(2),
        None,
    )
    .unwrap();
    assert_eq!(
        c.outcome,
        Some(CaseOutcome::Rejected {
            reason: "sender could not prove ownership".into()
        })
    );
}

#[test]
fn case_ids() {
    let id = CaseId::from_random([0xab; 12]);
    assert_eq!(id.as_str(), "rc_abababababababababababab");
    assert_eq!(CaseId::parse(id.as_str()).unwrap(), id);
    for bad in [
        "",
        "rc_",
        "rc_ABABABABABABABABABABABAB",
        "xx_abababababababababababab",
        "rc_abababababababababababa",
        "rc_ababababababababababababab",
    ] {
        assert!(CaseId::parse(bad).is_err(), "{bad}");
    }
}
