//! The report as one self-contained HTML page: inline CSS and inline SVG, no script, nothing
//! fetched, so it opens offline, prints, and can be archived as a single file.

use std::fmt::Write as _;

use custodia_events::{Figure, FigureValue};

use crate::model::{Report, Section, Trace};
use crate::num::{format_units, group, percent};
use crate::por::{PorSection, ProofStatus};
use crate::svg::{self, esc};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.45}\
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #1f5f99;padding-bottom:.2rem;margin-top:2.2rem}\
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.92rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th{background:#f3f6f9}\
code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem;word-break:break-all}\
.empty{color:#555;font-style:italic;background:#f7f7f7;padding:.6rem;border-left:4px solid #aaa}\
.ok{color:#2e7d32;font-weight:600}.bad{color:#c0392b;font-weight:600}.muted{color:#666;font-size:.85rem}\
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{font-weight:600}\
nav ol{columns:2;font-size:.92rem}svg.chart{margin:.6rem 0;max-width:100%}\
@media print{nav{display:none}h2{break-after:avoid}svg.chart,table{break-inside:avoid}}";

/// Renders `r` as a complete HTML document.
pub fn render_html(r: &Report) -> String {
    let mut h = String::with_capacity(64 << 10);
    let month = long_month(&r.month);
    let title = format!("{} — Security report, {month}", r.exchange);
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{t}</title><style>{STYLE}</style></head><body>\n<header><h1>{t}</h1><p>Every figure below was computed from what the platform recorded in its tamper-evident event log between {from} and {to} (UTC), and from the proof-of-reserves round's public files. Nothing is typed in by hand; <code>custodia report verify</code> recomputes this report and checks it is identical.</p>",
        t = esc(&title),
        from = esc(&r.from),
        to = esc(&r.to),
    );
    let _ = write!(
        h,
        "<dl class=\"facts\" id=\"chain\"><dt>Event log read up to</dt><dd>seq {}</dd><dt>Chain head at that seq</dt><dd class=\"hash\">{}</dd>",
        r.chain.through_seq,
        esc(&r.chain.head_hash)
    );
    match &r.chain.checkpoint {
        Some(c) => {
            let _ = write!(
                h,
                "<dt>Signed checkpoint</dt><dd>seq {} at {}, head <span class=\"hash\">{}</span>, key <span class=\"hash\">{}</span></dd>",
                c.seq,
                esc(&c.time),
                esc(&c.head_hash),
                esc(&c.public_key)
            );
        }
        None => h.push_str("<dt>Signed checkpoint</dt><dd>none at or below this seq</dd>"),
    }
    h.push_str(
        "</dl></header>\n<nav><h2>Contents</h2><ol><li><a href=\"#por\">Proof of reserves</a></li>",
    );
    for s in &r.sections {
        let _ = write!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            esc(&s.id),
            esc(&s.title)
        );
    }
    h.push_str("<li><a href=\"#faq\">Questions</a></li></ol></nav>\n");

    por(&mut h, r.por.as_ref(), &month);
    for s in &r.sections {
        section(&mut h, s, &month);
    }

    h.push_str("<section id=\"faq\" data-section=\"faq\"><h2>Questions</h2>");
    for q in &r.faq {
        let _ = write!(h, "<h3>{}</h3><p>{}</p>", esc(&q.question), esc(&q.answer));
    }
    let _ = write!(
        h,
        "</section>\n<footer><p class=\"muted\">Format {}. Recompute with <code>custodia report verify --report report.json</code>.</p></footer>\n</body></html>\n",
        esc(r.format)
    );
    h
}

pub(crate) fn long_month(m: &str) -> String {
    crate::Month::parse(m).map_or_else(|_| m.to_owned(), crate::Month::long_name)
}

fn trace_cell(t: &Trace) -> String {
    match (t.first_seq, t.last_seq) {
        (Some(a), Some(b)) => format!("{} events, seq {a}–{b}", group(&t.events.to_string())),
        _ => "no events".to_owned(),
    }
}

/// The asset and decimals a series is counted in: a money figure of the same prefix
/// (`fund.perp:BTC-USDT.balance_daily` → `fund.perp:BTC-USDT.*`).
pub(crate) fn series_unit<'a>(s: &'a Section, key: &str) -> Option<(&'a str, u8)> {
    let prefix = key.rsplit_once('.')?.0;
    s.figures.iter().find_map(|f| match &f.figure.value {
        FigureValue::Amount {
            asset, decimals, ..
        } if f.figure.key.rsplit_once('.').map(|p| p.0) == Some(prefix) => {
            Some((asset.as_str(), *decimals))
        }
        _ => None,
    })
}

pub(crate) fn value_text(f: &Figure, unit: Option<(&str, u8)>) -> String {
    match &f.value {
        FigureValue::Count { n } => group(&n.to_string()),
        FigureValue::Amount {
            asset,
            units,
            decimals,
        } => format!("{} {asset}", group(&format_units(*units, *decimals))),
        FigureValue::BasisPoints { bp } => percent(*bp),
        FigureValue::Series { points } => {
            let show = |v: i128| signed_units(v, unit);
            match (points.first(), points.last()) {
                (Some(a), Some(b)) => format!(
                    "{} days: {} on {} → {} on {}",
                    points.len(),
                    show(a.value),
                    svg::day(a.time_ms),
                    show(b.value),
                    svg::day(b.time_ms)
                ),
                _ => "no points".to_owned(),
            }
        }
    }
}

pub(crate) fn signed_units(v: i128, unit: Option<(&str, u8)>) -> String {
    let (sign, a) = if v < 0 {
        ("-", v.unsigned_abs())
    } else {
        ("", v.unsigned_abs())
    };
    match unit {
        Some((asset, d)) => format!("{sign}{} {asset}", group(&format_units(a, d))),
        None => format!("{sign}{}", group(&a.to_string())),
    }
}

fn section(h: &mut String, s: &Section, month: &str) {
    let _ = write!(
        h,
        "<section id=\"{id}\" data-section=\"{id}\"><h2>{t}</h2><p>{a}</p>",
        id = esc(&s.id),
        t = esc(&s.title),
        a = esc(&s.about)
    );
    if !s.recorded {
        let _ = writeln!(
            h,
            "<p class=\"empty\">Nothing recorded: this service wrote no events of its kinds ({}) in {}. No figure is shown rather than an invented one.</p></section>",
            esc(&s.trace.kinds.join(", ")),
            esc(month)
        );
        return;
    }
    // Charts: every series, then the section's counts as bars.
    for f in &s.figures {
        if let FigureValue::Series { points } = &f.figure.value {
            let unit = series_unit(s, &f.figure.key);
            h.push_str(&svg::line(&f.figure.key, &f.figure.label, points, |v| {
                signed_units(v, unit)
            }));
        }
    }
    let counts: Vec<(String, u64)> = s
        .figures
        .iter()
        .filter_map(|f| match f.figure.value {
            FigureValue::Count { n } => Some((f.figure.label.clone(), n)),
            _ => None,
        })
        .collect();
    if counts.len() >= 2 {
        h.push_str(&svg::count_bars(
            &format!("{}.counts", s.id),
            &format!("{}: counts", s.title),
            &counts,
        ));
    }
    h.push_str(
        "<table><thead><tr><th>Figure</th><th>Value</th><th>Recorded in</th></tr></thead><tbody>",
    );
    for f in &s.figures {
        let unit = series_unit(s, &f.figure.key);
        let _ = write!(
            h,
            "<tr data-figure=\"{k}\"><td>{l}</td><td class=\"n\">{v}</td><td class=\"muted\">{tr}<br><code>{kinds}</code></td></tr>",
            k = esc(&f.figure.key),
            l = esc(&f.figure.label),
            v = esc(&value_text(&f.figure, unit)),
            tr = esc(&trace_cell(&f.trace)),
            kinds = esc(&f.trace.kinds.join(", ")),
        );
    }
    let _ = writeln!(
        h,
        "</tbody></table><p class=\"muted\">Section total: {}.</p></section>",
        esc(&trace_cell(&s.trace))
    );
}

fn por(h: &mut String, p: Option<&PorSection>, month: &str) {
    h.push_str("<section id=\"por\" data-section=\"por\"><h2>Proof of reserves</h2>");
    let Some(p) = p else {
        let _ = writeln!(
            h,
            "<p class=\"empty\">No proof-of-reserves round was given for {}. No reserve figure is shown rather than an invented one.</p></section>",
            esc(month)
        );
        return;
    };
    let (cls, verdict) = match &p.proof {
        ProofStatus::Verified { detail } => ("ok", format!("verified — {detail}")),
        ProofStatus::Failed { reason } => ("bad", format!("REJECTED — {reason}")),
        ProofStatus::NotChecked => ("bad", "not checked for this report".to_owned()),
    };
    let _ = write!(
        h,
        "<p>Every user's balances are committed in a Merkle tree; zk-STARK proofs show that no balance is negative, that debt is covered by collateral and that the totals below are exact, without revealing any balance or partial sum. Wallet-ownership signatures prove the reserves.</p><dl class=\"facts\"><dt>Round</dt><dd>{round}</dd><dt>Snapshot</dt><dd>{snap}</dd><dt>Merkle root</dt><dd class=\"hash\">{root}</dd><dt>Proofs</dt><dd class=\"{cls}\">{verdict}</dd>",
        round = esc(&p.round),
        snap = esc(&p.snapshot_time),
        root = esc(&p.root),
        verdict = esc(&verdict),
    );
    if let (Some(b), Some(l), Some(bits)) = (p.batches, p.leaves, p.security_bits) {
        let _ = write!(
            h,
            "<dt>Proven</dt><dd>{} batch proofs over {} leaves, {bits}-bit conjectured security</dd>",
            group(&b.to_string()),
            group(&l.to_string())
        );
    }
    if let Some(s) = &p.reserves {
        let _ = write!(
            h,
            "<dt>Wallets</dt><dd>{} verified, {} rejected</dd>",
            group(&s.wallets_verified.to_string()),
            group(&s.wallets_rejected.to_string())
        );
    }
    h.push_str("</dl>");
    let ratios: Vec<(String, i64)> = p
        .assets
        .iter()
        .filter_map(|a| a.ratio_bps.map(|b| (a.asset.clone(), b)))
        .collect();
    if ratios.is_empty() {
        h.push_str("<p class=\"empty\">No proof of assets was published with this round: reserve ratios cannot be shown.</p>");
    } else {
        h.push_str(&svg::ratio_bars(
            "por.ratios",
            "Reserve ratio per asset (on-chain reserves ÷ net user liabilities)",
            &ratios,
        ));
    }
    h.push_str("<table><thead><tr><th>Asset</th><th>User equity</th><th>User debt</th><th>Net liabilities</th><th>On-chain reserves</th><th>Ratio</th><th>Status</th></tr></thead><tbody>");
    for a in &p.assets {
        let u = |s: &str| {
            s.parse::<u128>()
                .map_or_else(|_| s.to_owned(), |v| group(&format_units(v, a.decimals)))
        };
        let ratio = a.ratio_bps.map_or_else(|| "—".to_owned(), percent);
        let cls = if a.ratio_bps.is_some_and(|b| b < 10_000) {
            "bad"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr data-asset=\"{s}\"><td>{s}</td><td class=\"n\">{e}</td><td class=\"n\">{d}</td><td class=\"n\">{n}</td><td class=\"n\">{r}</td><td class=\"n {cls}\">{ratio}</td><td>{st}</td></tr>",
            s = esc(&a.asset),
            e = esc(&u(&a.user_equity)),
            d = esc(&u(&a.user_debt)),
            n = esc(&u(&a.net_liabilities)),
            r = esc(&a.reserves.as_deref().map_or_else(|| "—".to_owned(), u)),
            st = esc(&a.status),
        );
    }
    h.push_str("</tbody></table>");
    match &p.change {
        Some(c) => {
            let _ = write!(
                h,
                "<h3>Change since round {} ({})</h3><table><thead><tr><th>Asset</th><th>Net liabilities before</th><th>after</th><th>Ratio before</th><th>after</th></tr></thead><tbody>",
                esc(&c.previous_round),
                esc(&c.previous_snapshot_time)
            );
            for a in &c.assets {
                let dec = p
                    .assets
                    .iter()
                    .find(|x| x.asset == a.asset)
                    .map_or(0, |x| x.decimals);
                let u = |s: &str| {
                    s.parse::<u128>()
                        .map_or_else(|_| s.to_owned(), |v| group(&format_units(v, dec)))
                };
                let r = |b: Option<i64>| b.map_or_else(|| "—".to_owned(), percent);
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    esc(&a.asset),
                    esc(&u(&a.net_liabilities_before)),
                    esc(&u(&a.net_liabilities_after)),
                    r(a.ratio_bps_before),
                    r(a.ratio_bps_after)
                );
            }
            h.push_str("</tbody></table>");
            if !c.added.is_empty() || !c.removed.is_empty() {
                let _ = write!(
                    h,
                    "<p>Listed since: {}. Delisted: {}.</p>",
                    esc(&none_or(&c.added)),
                    esc(&none_or(&c.removed))
                );
            }
        }
        None => h.push_str("<p class=\"muted\">No previous round was given: no round-over-round change is shown.</p>"),
    }
    let _ = write!(
        h,
        "<h3>Check it yourself</h3><p>Download the round's public folder and your inclusion file, then run <code>custodia-verify --round &lt;public folder&gt; --inclusion &lt;your file&gt;</code>, or open the verifier page and drop both in. Your leaf must lead to root <span class=\"hash\">{}</span>.</p><table><thead><tr><th>File</th><th>SHA-256</th></tr></thead><tbody>",
        esc(&p.root)
    );
    for f in &p.files {
        let _ = write!(
            h,
            "<tr><td><code>{}</code></td><td class=\"hash\">{}</td></tr>",
            esc(&f.path),
            esc(&f.sha256)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

pub(crate) fn none_or(v: &[String]) -> String {
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}
