//! The customer questions the report answers, with this month's facts and nothing else.
//!
//! Every sentence that states a number takes it from a figure of the report (its key is listed
//! in the answer's `sources`); when the figure is absent because the service recorded nothing,
//! the answer says that instead of guessing.

use custodia_events::{Figure, FigureValue};

use crate::model::{FaqEntry, Report};
use crate::num::{format_units, group, percent};
use crate::{Month, ProofStatus};

fn count(r: &Report, key: &str) -> Option<u64> {
    match r.figure(key)?.value {
        FigureValue::Count { n } => Some(n),
        _ => None,
    }
}

fn amount(f: &Figure) -> Option<String> {
    match &f.value {
        FigureValue::Amount {
            asset,
            units,
            decimals,
        } => Some(format!(
            "{} {asset}",
            group(&format_units(*units, *decimals))
        )),
        _ => None,
    }
}

/// Figures of a section whose key ends with `.{suffix}` and whose amount is not zero.
fn amounts_ending<'a>(r: &'a Report, section: &str, suffix: &str) -> Vec<&'a Figure> {
    r.section(section)
        .map(|s| {
            s.figures
                .iter()
                .map(|f| &f.figure)
                .filter(|f| f.key.ends_with(suffix))
                .filter(|f| !matches!(f.value, FigureValue::Amount { units: 0, .. }))
                .collect()
        })
        .unwrap_or_default()
}

fn counts_ending(r: &Report, section: &str, suffix: &str) -> (u64, Vec<String>) {
    let mut n = 0;
    let mut keys = Vec::new();
    if let Some(s) = r.section(section) {
        for f in &s.figures {
            if f.figure.key.ends_with(suffix)
                && let FigureValue::Count { n: c } = f.figure.value
            {
                n += c;
                keys.push(f.figure.key.clone());
            }
        }
    }
    (n, keys)
}

fn recorded(r: &Report, section: &str) -> bool {
    r.section(section).is_some_and(|s| s.recorded)
}

fn nothing(month: Month, what: &str) -> String {
    format!("The platform recorded no {what} in {}.", month.long_name())
}

/// The FAQ for `r`.
pub(crate) fn answers(r: &Report, month: Month) -> Vec<FaqEntry> {
    let mut out = Vec::new();

    // Proof of reserves.
    {
        let mut sources = Vec::new();
        let answer = match &r.por {
            None => format!(
                "Proof of reserves shows, with cryptography rather than trust, that the exchange holds at least what it owes its users, asset by asset. No round was published with this report for {}.",
                month.long_name()
            ),
            Some(p) => {
                sources.extend(["por.round", "por.assets", "por.proof"].map(String::from));
                let verdict = match &p.proof {
                    ProofStatus::Verified { .. } => "and its proofs verified",
                    ProofStatus::Failed { .. } => "and its proofs did NOT verify",
                    ProofStatus::NotChecked => "(its proofs were not checked for this report)",
                };
                let mut s = format!(
                    "Proof of reserves shows, with cryptography rather than trust, that the exchange holds at least what it owes its users, asset by asset. Round {} took its snapshot at {} and covers {} assets, {verdict}.",
                    p.round,
                    p.snapshot_time,
                    p.assets.len()
                );
                let ratios: Vec<i64> = p.assets.iter().filter_map(|a| a.ratio_bps).collect();
                if let Some(min) = ratios.iter().min() {
                    let below: Vec<&str> = p
                        .assets
                        .iter()
                        .filter(|a| a.ratio_bps.is_some_and(|b| b < 10_000))
                        .map(|a| a.asset.as_str())
                        .collect();
                    s.push_str(&format!(" The lowest reserve ratio is {}.", percent(*min)));
                    if below.is_empty() {
                        s.push_str(
                            " Every asset with a proof of assets is covered at 100% or more.",
                        );
                    } else {
                        s.push_str(&format!(" Below 100%: {}.", below.join(", ")));
                    }
                }
                s
            }
        };
        out.push(FaqEntry {
            question: "What is proof of reserves, and what did this month's round show?".into(),
            answer,
            sources,
        });
    }

    // zk-STARK.
    if let Some(p) = &r.por {
        let bits = p.security_bits.map_or_else(String::new, |b| {
            format!(" at {b} bits of conjectured security")
        });
        let batches = p
            .batches
            .map_or_else(String::new, |b| format!(" in {b} batch proofs"));
        out.push(FaqEntry {
            question: "How does a zk-STARK prove the totals without showing my balance?".into(),
            answer: format!(
                "Each batch of users is proven with a zk-STARK: a proof that every balance is non-negative, that debt is covered by collateral, and that the totals are exact, without revealing any balance or any partial sum. STARKs need no trusted setup and rest on hash functions only. This round was proven{batches}{bits}."
            ),
            sources: vec!["por.batches".into(), "por.security_bits".into()],
        });
    }

    // Checking it yourself.
    {
        let answer = match &r.por {
            Some(p) => format!(
                "Yes. Download your inclusion file from the exchange and the round's public folder, then run `custodia-verify --round <public folder> --inclusion <your file>` or open the verifier page. Your leaf must lead to root {} of round {}.",
                p.root, p.round
            ),
            None => "Yes, once a round is published: the verifier (`custodia-verify` or the verifier page) checks your inclusion and every proof on your own machine.".into(),
        };
        out.push(FaqEntry {
            question: "Can I check the reserves myself?".into(),
            answer,
            sources: r.por.iter().map(|_| "por.root".to_owned()).collect(),
        });
    }

    // Wrong deposits.
    {
        let mut sources = Vec::new();
        let answer = if recorded(r, "wrong_deposits") {
            let opened = count(r, "protect.cases_opened").unwrap_or(0);
            let recovered = count(r, "protect.cases_recovered").unwrap_or(0);
            sources.extend(["protect.cases_opened", "protect.cases_recovered"].map(String::from));
            let mut s = format!(
                "Open a recovery case with support and give the transaction hash. The exchange diagnoses the deposit (wrong network, unsupported token, missing memo, retired address…) and tells you whether it can be recovered and at what fee. In {} {} cases were opened and {} recovered.",
                month.long_name(),
                group(&opened.to_string()),
                group(&recovered.to_string())
            );
            let value = amounts_ending(r, "wrong_deposits", "");
            let value: Vec<String> = value
                .iter()
                .filter(|f| f.key.starts_with("protect.recovered."))
                .filter_map(|f| {
                    sources.push(f.key.clone());
                    amount(f)
                })
                .collect();
            if !value.is_empty() {
                s.push_str(&format!(" Recovered: {}.", value.join(", ")));
            }
            s
        } else {
            format!(
                "Open a recovery case with support and give the transaction hash; the exchange diagnoses it and tells you whether it can be recovered. {}",
                nothing(month, "wrong-deposit cases")
            )
        };
        out.push(FaqEntry {
            question: "What should I do if I send funds to the wrong network?".into(),
            answer,
            sources,
        });
    }

    // Safety fund.
    {
        let mut sources = Vec::new();
        let answer = if recorded(r, "fund") {
            let covered: Vec<String> = amounts_ending(r, "fund", ".deficits_covered")
                .into_iter()
                .filter_map(|f| {
                    sources.push(f.key.clone());
                    amount(f)
                })
                .collect();
            let (episodes, keys) = counts_ending(r, "fund", ".adl_episodes");
            sources.extend(keys);
            let covered = if covered.is_empty() {
                "no liquidation left a deficit".to_owned()
            } else {
                format!("it covered {}", covered.join(", "))
            };
            format!(
                "When a liquidated position closes below its bankruptcy price, the fund pays the shortfall so no other user loses beyond their own position; only when a fund runs low does auto-deleveraging close the most profitable opposing positions. In {} {covered}; auto-deleveraging episodes: {episodes}.",
                month.long_name()
            )
        } else {
            format!(
                "When a liquidated position closes below its bankruptcy price, the fund pays the shortfall so no other user loses beyond their own position. {}",
                nothing(month, "safety-fund activity")
            )
        };
        out.push(FaqEntry {
            question: "How does the safety fund protect me?".into(),
            answer,
            sources,
        });
    }

    // API keys.
    {
        let mut sources = Vec::new();
        let answer = if recorded(r, "api_keys") {
            let created = count(r, "api_keys.created").unwrap_or(0);
            let bound = count(r, "api_keys.created_ip_bound").unwrap_or(0);
            let purged = count(r, "api_keys.expired_idle").unwrap_or(0);
            sources.extend(
                [
                    "api_keys.created",
                    "api_keys.created_ip_bound",
                    "api_keys.expired_idle",
                ]
                .map(String::from),
            );
            let share = (bound * 10_000)
                .checked_div(created)
                .map_or_else(String::new, |bp| format!(" ({})", percent(bp as i64)));
            format!(
                "Keys are created behind a second factor, can be bound to IP addresses, sign every request, and are deleted when left unused. In {} {} keys were created, {} of them bound to IP addresses{share}, and {} idle keys were purged.",
                month.long_name(),
                group(&created.to_string()),
                group(&bound.to_string()),
                group(&purged.to_string())
            )
        } else {
            format!(
                "Keys are created behind a second factor, can be bound to IP addresses, sign every request, and are deleted when left unused. {}",
                nothing(month, "API-key activity")
            )
        };
        out.push(FaqEntry {
            question: "Is my API key safe?".into(),
            answer,
            sources,
        });
    }
    out
}
