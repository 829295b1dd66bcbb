//! Several rounds in one run: a customer checks that they were included month after month, and
//! that the months form one history (each round names the round before it and commits to its
//! exact manifest, `docs/por-protocol.md` §8), so no earlier round was rewritten afterwards.
//!
//! Each round's files are one [`Bundle`] (a round folder or its zip); [`check_rounds`] checks
//! every bundle as a single-round run would, orders the rounds by snapshot time, checks the chain
//! with [`crate::history::check_history`], and joins everything into one [`Report`].

use custodia_hash::Digest;
use custodia_sumtree::RoundManifest;

use super::report::RoundLine;
use super::{Bundle, CheckKind, Finding, InputError, Report, Step};
use crate::history::check_history;

/// Checks several rounds' files and their chain. `roots`: roots the exchange published (any
/// order; each must be the root of one of the rounds). `progress` hears each round's steps.
///
/// # Errors
/// [`InputError`] when a bundle holds no `round.json`, two bundles hold the same round, or a
/// round's own check cannot run (its message names the round).
pub fn check_rounds(
    bundles: &[Bundle],
    roots: &[Digest],
    mut progress: impl FnMut(&str, Step),
) -> Result<Report, InputError> {
    let mut items: Vec<(RoundManifest, &Bundle)> = Vec::with_capacity(bundles.len());
    for (i, b) in bundles.iter().enumerate() {
        let bytes = b.round_bytes().ok_or_else(|| {
            InputError(format!(
                "the files of round #{} hold no round.json: give one folder or zip per round",
                i + 1
            ))
        })?;
        let m: RoundManifest = serde_json::from_slice(bytes)
            .map_err(|e| InputError(format!("round #{}: not a valid round.json: {e}", i + 1)))?;
        // Two different manifests with one id are left to history's ReusedId (a rejection).
        if items
            .iter()
            .any(|(o, _)| o.round == m.round && o.root == m.root)
        {
            return Err(InputError(format!(
                "round {} is given twice: give each round once",
                m.round
            )));
        }
        items.push((m, b));
    }
    items.sort_by(|a, b| a.0.snapshot_time.cmp(&b.0.snapshot_time));
    let ids: Vec<&str> = items.iter().map(|(m, _)| m.round.as_str()).collect();
    let mut report = Report {
        round: ids.join(", "),
        root: items
            .last()
            .map(|(m, _)| m.root.to_hex())
            .unwrap_or_default(),
        ..Report::default()
    };
    for root in roots {
        if !items.iter().any(|(m, _)| m.root == *root) {
            report.findings.push(Finding {
                kind: CheckKind::Root,
                ok: false,
                text: format!(
                    "REJECTED: the root {} the exchange published is the root of none of the \
                     rounds given ({}).",
                    root.to_hex(),
                    ids.join(", ")
                ),
            });
        }
    }
    let mut included: Vec<Vec<String>> = Vec::new();
    for (m, b) in &items {
        let root = b
            .expected_root
            .or_else(|| roots.contains(&m.root).then_some(m.root));
        let r = b
            .check_with_root(root, |s| progress(&m.round, s))
            .map_err(|e| InputError(format!("round {}: {e}", m.round)))?;
        let prefix = |t: &str| format!("Round {}: {t}", m.round);
        report.rounds.push(RoundLine {
            round: m.round.clone(),
            root: m.root.to_hex(),
            snapshot_time: m.snapshot_time.clone(),
            previous: m.previous.as_ref().map(|p| p.round.clone()),
            verified: r.verified(),
            summary: r.summary.clone(),
        });
        report.findings.extend(r.findings.into_iter().map(|mut f| {
            f.text = prefix(&f.text);
            f
        }));
        report.notes.extend(r.notes.iter().map(|n| prefix(n)));
        included.push(r.users.iter().map(|u| u.user_id.clone()).collect());
        report.users.extend(r.users);
        if items.len() == 1 {
            report.totals = r.totals;
            report.reserves = r.reserves;
        }
    }
    let manifests: Vec<RoundManifest> = items.iter().map(|(m, _)| m.clone()).collect();
    report.findings.push(match check_history(&manifests) {
        Ok(()) if manifests.len() > 1 => Finding {
            kind: CheckKind::History,
            ok: true,
            text: format!(
                "VERIFIED: the {} rounds form one history: from round {} on, each round names \
                 the round before it and commits to that round's exact manifest, so none of \
                 them was changed after the next one was built.",
                manifests.len(),
                manifests[1].round
            ),
        },
        Ok(()) => Finding {
            kind: CheckKind::History,
            ok: true,
            text: "VERIFIED: one round given; nothing to chain.".into(),
        },
        Err(e) => Finding {
            kind: CheckKind::History,
            ok: false,
            text: format!("REJECTED: the rounds do not form one history: {e}."),
        },
    });
    report.summary = summary(&report, &ids, &included);
    Ok(report)
}

fn summary(report: &Report, ids: &[&str], included: &[Vec<String>]) -> String {
    let span = match ids {
        [] => String::new(),
        [one] => format!("round {one}"),
        [first, .., last] => format!("all {} rounds from {first} to {last}", ids.len()),
    };
    if !report.verified() {
        return format!(
            "Do not rely on {span}: a check failed (see below). Keep these files and ask the \
             exchange."
        );
    }
    // A user included in every round given.
    let everywhere: Vec<&String> = included
        .first()
        .map(|first| {
            first
                .iter()
                .filter(|u| included.iter().all(|r| r.contains(u)))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&str> = ids
        .iter()
        .zip(included)
        .filter(|(_, users)| users.is_empty())
        .map(|(id, _)| *id)
        .collect();
    let who = match everywhere.as_slice() {
        [_one] => format!("Your balances are included in {span}"),
        // Every round has an inclusion file, but of different accounts.
        [] if missing.is_empty() => format!(
            "The inclusion files given are of different accounts, each included in its round of \
             {span}"
        ),
        [] if missing.len() < ids.len() => format!(
            "Your balances are included in some of the rounds given; for {} no inclusion file \
             of yours was given",
            missing.join(", ")
        ),
        [] => format!("The proofs of {span} verify"),
        many => format!(
            "The balances of {} accounts are included in {span}",
            many.len()
        ),
    };
    format!(
        "{who}, every round's proofs verify, and the rounds chain: none was rewritten afterwards."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_whose_files_were_given() {
        let mut r = Report::default();
        r.findings.push(crate::bundle::Finding {
            kind: crate::bundle::CheckKind::History,
            ok: true,
            text: String::new(),
        });
        let ids = ["2026-11", "2026-12"];
        let users = |a: &[&str], b: &[&str]| {
            vec![
                a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                b.iter().map(|s| (*s).to_owned()).collect(),
            ]
        };
        let same = summary(&r, &ids, &users(&["alice"], &["alice"]));
        assert!(
            same.starts_with("Your balances are included in all 2 rounds"),
            "{same}"
        );
        // Regression: different accounts in each round read "for  no inclusion file".
        let different = summary(&r, &ids, &users(&["alice"], &["bob"]));
        assert!(different.contains("of different accounts"), "{different}");
        assert!(!different.contains("for  no"), "{different}");
        let one_missing = summary(&r, &ids, &users(&["alice"], &[]));
        assert!(
            one_missing.contains("for 2026-12 no inclusion file"),
            "{one_missing}"
        );
    }
}
