//! Rounds that chain: each manifest names the round before it and absorbs its binding.

use custodia_round::{BuildParams, Error, Silent};
use custodia_sumtree::RoundManifest;
use custodia_verifier::history::{HistoryError, check_history};

use crate::common::{params, prices, users};

fn round(id: &str, time: &str, seed: u8, previous: Option<&RoundManifest>) -> RoundManifest {
    let prev = previous.map(|p| custodia_round::link_to(p, id, time).unwrap());
    let params = BuildParams {
        round: id.into(),
        snapshot_time: time.into(),
        seed: [seed; 32],
        previous: prev,
        ..params(id)
    };
    let snap = users();
    let p = prices();
    custodia_round::build(&snap, Some(&p), &params, &Silent)
        .unwrap()
        .manifest
}

#[test]
fn a_chain_verifies_and_a_rewritten_middle_round_is_rejected() {
    let r1 = round("2026-09", "2026-09-30T23:59:59Z", 1, None);
    let r2 = round("2026-10", "2026-10-31T23:59:59Z", 2, Some(&r1));
    let r3 = round("2026-11", "2026-11-30T23:59:59Z", 3, Some(&r2));
    check_history(&[r1.clone(), r2.clone(), r3.clone()]).unwrap();
    check_history(&[r2.clone(), r3.clone()]).unwrap();
    // The link is in the binding every proof carries: the same round unchained differs.
    let unchained = RoundManifest {
        previous: None,
        ..r2.clone()
    };
    assert_ne!(unchained.binding().unwrap(), r2.binding().unwrap());

    // October rewritten after November was built (another seed: another tree and root).
    let rewritten = round("2026-10", "2026-10-31T23:59:59Z", 9, Some(&r1));
    let e = check_history(&[r1.clone(), rewritten, r3.clone()]).unwrap_err();
    assert!(
        matches!(&e, HistoryError::Rewritten { round, previous, .. } if round == "2026-11" && previous == "2026-10"),
        "{e}"
    );
    // A round left out, rounds out of order, an id used twice, an unchained round.
    let e = check_history(&[r1.clone(), r3.clone()]).unwrap_err();
    assert!(matches!(e, HistoryError::OtherPrevious { .. }), "{e}");
    let e = check_history(&[r2.clone(), r1.clone()]).unwrap_err();
    assert!(matches!(e, HistoryError::NotLater { .. }), "{e}");
    let e = check_history(&[r1.clone(), r1.clone()]).unwrap_err();
    assert!(matches!(e, HistoryError::ReusedId { .. }), "{e}");
    let lone = round("2026-12", "2026-12-31T23:59:59Z", 4, None);
    let e = check_history(&[r3.clone(), lone]).unwrap_err();
    assert!(matches!(e, HistoryError::Unlinked { .. }), "{e}");
}

#[test]
fn a_round_cannot_follow_itself_or_a_later_round() {
    let r1 = round("2026-09", "2026-09-30T23:59:59Z", 1, None);
    let e = custodia_round::link_to(&r1, "2026-09", "2026-10-31T23:59:59Z").unwrap_err();
    assert!(matches!(e, Error::Chain(_)), "{e}");
    let e = custodia_round::link_to(&r1, "2026-10", "2026-09-01T00:00:00Z").unwrap_err();
    assert!(matches!(e, Error::Chain(_)), "{e}");
    // Negative twin: a later round with a new id links.
    let link = custodia_round::link_to(&r1, "2026-10", "2026-10-31T23:59:59Z").unwrap();
    assert_eq!(link.round, "2026-09");
    assert_eq!(link.binding, r1.binding().unwrap());
}
