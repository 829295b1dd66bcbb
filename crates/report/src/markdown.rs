//! The report as Markdown (for wikis, tickets and diffs between months). Charts are left to the
//! HTML form; every number is here.

use std::fmt::Write as _;

use custodia_events::FigureValue;

use crate::html::{long_month, none_or, series_unit, value_text};
use crate::model::Report;
use crate::num::{format_units, group, percent};
use crate::por::ProofStatus;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders `r` as Markdown.
pub fn render_markdown(r: &Report) -> String {
    let mut m = String::new();
    let month = long_month(&r.month);
    let _ = writeln!(m, "# {} — Security report, {month}\n", cell(&r.exchange));
    let _ = writeln!(
        m,
        "Computed from the event log between {} and {} (UTC), read up to seq {} (chain head `{}`), and from the round's public files.",
        r.from, r.to, r.chain.through_seq, r.chain.head_hash
    );
    match &r.chain.checkpoint {
        Some(c) => {
            let _ = writeln!(
                m,
                "Newest signed checkpoint: seq {} at {}, head `{}`, key `{}`.\n",
                c.seq, c.time, c.head_hash, c.public_key
            );
        }
        None => m.push_str("No signed checkpoint at or below that seq.\n\n"),
    }

    m.push_str("## Proof of reserves\n\n");
    match &r.por {
        None => {
            let _ = writeln!(m, "_No proof-of-reserves round was given for {month}._\n");
        }
        Some(p) => {
            let verdict = match &p.proof {
                ProofStatus::Verified { detail } => format!("verified — {detail}"),
                ProofStatus::Failed { reason } => format!("**REJECTED** — {reason}"),
                ProofStatus::NotChecked => "not checked for this report".to_owned(),
            };
            let _ = writeln!(
                m,
                "- Round: `{}`, snapshot {}\n- Merkle root: `{}`\n- Proofs: {}",
                p.round, p.snapshot_time, p.root, verdict
            );
            if let (Some(b), Some(l), Some(bits)) = (p.batches, p.leaves, p.security_bits) {
                let _ = writeln!(
                    m,
                    "- Proven: {b} batch proofs over {l} leaves, {bits}-bit security"
                );
            }
            if let Some(s) = &p.reserves {
                let _ = writeln!(
                    m,
                    "- Wallets: {} verified, {} rejected",
                    s.wallets_verified, s.wallets_rejected
                );
            }
            m.push_str("\n| Asset | User equity | User debt | Net liabilities | On-chain reserves | Ratio | Status |\n|---|---:|---:|---:|---:|---:|---|\n");
            for a in &p.assets {
                let u = |s: &str| {
                    s.parse::<u128>()
                        .map_or_else(|_| s.to_owned(), |v| group(&format_units(v, a.decimals)))
                };
                let _ = writeln!(
                    m,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    cell(&a.asset),
                    u(&a.user_equity),
                    u(&a.user_debt),
                    u(&a.net_liabilities),
                    a.reserves.as_deref().map_or_else(|| "—".to_owned(), u),
                    a.ratio_bps.map_or_else(|| "—".to_owned(), percent),
                    cell(&a.status)
                );
            }
            if let Some(c) = &p.change {
                let _ = writeln!(
                    m,
                    "\nChange since round `{}` ({}): \n\n| Asset | Ratio before | Ratio after |\n|---|---:|---:|",
                    c.previous_round, c.previous_snapshot_time
                );
                for a in &c.assets {
                    let r = |b: Option<i64>| b.map_or_else(|| "—".to_owned(), percent);
                    let _ = writeln!(
                        m,
                        "| {} | {} | {} |",
                        cell(&a.asset),
                        r(a.ratio_bps_before),
                        r(a.ratio_bps_after)
                    );
                }
                let _ = writeln!(
                    m,
                    "\nListed since: {}. Delisted: {}.",
                    none_or(&c.added),
                    none_or(&c.removed)
                );
            }
            m.push_str("\nFiles:\n\n");
            for f in &p.files {
                let _ = writeln!(m, "- `{}` sha256 `{}`", f.path, f.sha256);
            }
            let _ = writeln!(
                m,
                "\nCheck it yourself: `custodia-verify --round <public folder> --inclusion <your file>`.\n"
            );
        }
    }

    for s in &r.sections {
        let _ = writeln!(m, "## {}\n\n{}\n", cell(&s.title), s.about);
        if !s.recorded {
            let _ = writeln!(
                m,
                "_Nothing recorded: no events of {} in {month}._\n",
                s.trace.kinds.join(", ")
            );
            continue;
        }
        m.push_str("| Figure | Value | Events (seq range) |\n|---|---:|---|\n");
        for f in &s.figures {
            let unit = series_unit(s, &f.figure.key);
            let range = match (f.trace.first_seq, f.trace.last_seq) {
                (Some(a), Some(b)) => format!("{} ({a}–{b})", f.trace.events),
                _ => "0".to_owned(),
            };
            let _ = writeln!(
                m,
                "| {} | {} | {range} |",
                cell(&f.figure.label),
                cell(&value_text(&f.figure, unit))
            );
        }
        if s.figures
            .iter()
            .any(|f| matches!(f.figure.value, FigureValue::Series { .. }))
        {
            m.push_str("\nCharts: see the HTML form of this report.\n");
        }
        m.push('\n');
    }

    m.push_str("## Questions\n\n");
    for q in &r.faq {
        let _ = writeln!(m, "**{}**\n\n{}\n", q.question, q.answer);
    }
    m
}
