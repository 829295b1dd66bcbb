//! The large labelled domain set (`tests/fixtures/labelled_domains.tsv`, built by
//! `crates/guard/quality/labelled_set.py` from the sources its header documents) and the real
//! feed (`tests/fixtures/metamask_feed.tsv`, built by `crates/guard/quality/feed_set.py` from
//! eth-phishing-detect 1.2.0's blocklist and allowlist), measured with the default brands and no
//! blocklist.
//!
//! Targets (issue 20): on the labelled set, recall ≥ 97% at the blocking level (`high` and
//! above) with ≤ 0.5% false positives, on the tuning and on the held-out part; on the real feed,
//! recall ≥ 95% on brand-imitating phishing with ≤ 2% of its allowlisted real domains flagged.
//! Rows labelled `caution` must reach `medium` (a warning that never blocks).
//!
//! **The recall targets are not met yet** (`docs/threat-intel.md` §6.1 has the measured
//! figures; the labelled set's false-positive target is): the assertions below are regression
//! floors under the last measurement, to be raised to the targets as the rules improve.
//!
//! `GUARD_QUALITY_SHOW=tune` prints the tuning part's mistakes. Every mistake of both parts is
//! written to `target/tmp/guard-labelled-mistakes.tsv` and `guard-feed-mistakes.tsv` (split,
//! label, shape, brand, host, level, rules) for classifying them by rule and pattern.

use std::collections::BTreeMap;

use custodia_guard::{DomainChecker, RiskLevel};
use serde::Serialize;

const SET: &str = include_str!("../fixtures/labelled_domains.tsv");
const FEED: &str = include_str!("../fixtures/metamask_feed.tsv");

#[derive(Clone, Copy)]
struct Row<'a> {
    split: &'a str,
    label: &'a str,
    shape: &'a str,
    brand: &'a str,
    domain: &'a str,
}

fn rows(text: &str) -> Vec<Row<'_>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 5, "bad row {l:?}");
            Row {
                split: f[0],
                label: f[1],
                shape: f[2],
                brand: f[3],
                domain: f[4],
            }
        })
        .collect()
}

#[derive(Default, Serialize, Clone, Copy)]
struct Count {
    total: u32,
    /// `high` or above.
    blocked: u32,
    /// `medium` or above.
    cautioned: u32,
}

impl Count {
    fn add(&mut self, level: RiskLevel) {
        self.total += 1;
        self.blocked += level.is_alert() as u32;
        self.cautioned += (level >= RiskLevel::Medium) as u32;
    }

    fn rate(n: u32, d: u32) -> f64 {
        if d == 0 { 0.0 } else { n as f64 / d as f64 }
    }
}

#[derive(Default, Serialize)]
struct Report {
    /// Phishing rows: recall at the blocking level.
    phish: Count,
    /// Caution rows: must reach `medium`.
    caution: Count,
    /// Legitimate rows: false positives are those blocked.
    legit: Count,
    by_shape: BTreeMap<String, Count>,
    by_brand: BTreeMap<String, Count>,
}

impl Report {
    fn recall(&self) -> f64 {
        Count::rate(self.phish.blocked, self.phish.total)
    }

    fn fpr(&self) -> f64 {
        Count::rate(self.legit.blocked, self.legit.total)
    }
}

fn measure(checker: &DomainChecker, rows: &[Row<'_>], split: Option<&str>, show: bool) -> Report {
    measure_into(checker, rows, split, show, &mut Vec::new(), &mut Vec::new())
}

/// Like [`measure`], and also collects every mistake as one line (split, label, shape, brand,
/// domain, level, reasons), and every row with its verdict (split, label, shape, brand, domain,
/// registrable domain, level, reasons as `rule:level:matched:part:raised-by`; written with the word model
/// off to `target/tmp/guard-*-verdicts.tsv`, which `quality/learn_words.py` trains the word
/// model on, reading the tuning rows only).
fn measure_into(
    checker: &DomainChecker,
    rows: &[Row<'_>],
    split: Option<&str>,
    show: bool,
    mistakes: &mut Vec<String>,
    verdicts: &mut Vec<String>,
) -> Report {
    let mut r = Report::default();
    for row in rows.iter().filter(|x| split.is_none_or(|s| x.split == s)) {
        let v = checker
            .check(row.domain)
            .unwrap_or_else(|e| panic!("{}: {e}", row.domain));
        let detail: Vec<String> = v
            .reasons
            .iter()
            .map(|x| {
                format!(
                    "{}:{}:{}:{}:{}",
                    x.rule,
                    x.level,
                    x.matched.as_deref().unwrap_or(""),
                    x.part,
                    // What raised it, by its first word (`abused`, `lure`, `shared`).
                    x.escalated_by
                        .as_deref()
                        .and_then(|e| e.split(' ').next())
                        .unwrap_or("")
                )
            })
            .collect();
        verdicts.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            row.split,
            row.label,
            row.shape,
            row.brand,
            row.domain,
            v.registrable.as_deref().unwrap_or(""),
            v.level,
            detail.join(" ")
        ));
        let key = format!("{} {}", row.label, row.shape);
        r.by_shape.entry(key).or_default().add(v.level);
        if row.label != "legit" && !row.brand.is_empty() {
            r.by_brand
                .entry(row.brand.to_owned())
                .or_default()
                .add(v.level);
        }
        let wrong = match row.label {
            "phish" => {
                r.phish.add(v.level);
                !v.level.is_alert()
            }
            "caution" => {
                r.caution.add(v.level);
                v.level < RiskLevel::Medium
            }
            _ => {
                r.legit.add(v.level);
                v.level.is_alert()
            }
        };
        if wrong {
            let why: Vec<String> = v
                .reasons
                .iter()
                .map(|x| format!("{}:{}", x.rule, x.level))
                .collect();
            mistakes.push(format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                row.split,
                row.label,
                row.shape,
                row.brand,
                row.domain,
                v.level,
                why.join(" ")
            ));
        }
        if show && wrong {
            let why: Vec<String> = v
                .reasons
                .iter()
                .map(|x| format!("{}:{}", x.rule, x.level))
                .collect();
            println!(
                "  WRONG {} {} {} -> {} {:?}",
                row.label, row.shape, row.domain, v.level, why
            );
        }
    }
    r
}

fn print(name: &str, r: &Report) {
    println!(
        "[{name}] phishing blocked {}/{} (recall {:.2}%), caution reached {}/{}, legitimate blocked {}/{} (FPR {:.2}%), legitimate medium {}",
        r.phish.blocked,
        r.phish.total,
        r.recall() * 100.0,
        r.caution.cautioned,
        r.caution.total,
        r.legit.blocked,
        r.legit.total,
        r.fpr() * 100.0,
        r.legit.cautioned - r.legit.blocked,
    );
    for (k, c) in &r.by_shape {
        println!(
            "    {k:34} {:5} rows, high+ {:5.1}%, medium+ {:5.1}%",
            c.total,
            Count::rate(c.blocked, c.total) * 100.0,
            Count::rate(c.cautioned, c.total) * 100.0
        );
    }
}

/// The figures with the learned word model off: what the rules alone reach, so the model's
/// effect is reported beside it. Collects these verdicts (the rules' alone) into `verdicts`:
/// what `quality/learn_words.py` trains on.
fn print_without_word_model(rows: &[Row<'_>], verdicts: &mut Vec<String>) {
    let off = DomainChecker::with_defaults().with_word_model(false);
    for split in ["tune", "holdout"] {
        let r = measure_into(&off, rows, Some(split), false, &mut Vec::new(), verdicts);
        println!(
            "[{split}, word model off] phishing blocked {}/{} (recall {:.2}%), legitimate blocked {}/{} (FPR {:.2}%)",
            r.phish.blocked,
            r.phish.total,
            r.recall() * 100.0,
            r.legit.blocked,
            r.legit.total,
            r.fpr() * 100.0
        );
    }
}

fn show(split: &str) -> bool {
    std::env::var("GUARD_QUALITY_SHOW").is_ok_and(|v| v == split)
}

#[test]
fn labelled_set_recall_and_false_positives_at_blocking_level() {
    let rows = rows(SET);
    assert!(rows.len() >= 5000, "{} rows", rows.len());
    let checker = DomainChecker::with_defaults();
    let mut all = BTreeMap::new();
    let mut mistakes = Vec::new();
    let mut verdicts = Vec::new();
    for split in ["tune", "holdout"] {
        let r = measure_into(
            &checker,
            &rows,
            Some(split),
            show(split),
            &mut mistakes,
            &mut Vec::new(),
        );
        print(split, &r);
        all.insert(split, r);
    }
    print_without_word_model(&rows, &mut verdicts);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(dir.join("guard-labelled-verdicts.tsv"), verdicts.join("\n")).unwrap();
    std::fs::write(
        dir.join("guard-labelled.json"),
        serde_json::to_string_pretty(&all).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("guard-labelled-mistakes.tsv"), mistakes.join("\n")).unwrap();
    for (split, r) in &all {
        assert!(
            r.phish.total > 1000 && r.legit.total > 400,
            "[{split}] too small"
        );
        // Target: 0.97 (met: 98.88% / 97.13% last measured) and 0.005 (met).
        assert!(r.recall() >= 0.971, "[{split}] recall {:.4}", r.recall());
        assert!(r.fpr() <= 0.005, "[{split}] false positives {:.4}", r.fpr());
        let caution = Count::rate(r.caution.cautioned, r.caution.total);
        assert!(caution >= 0.95, "[{split}] caution reached {caution:.4}");
        // The separate check on well-known sites: popular sites, the organisations of the
        // Public Suffix List's private section and the earlier hand-collected sites are never
        // blocked, whatever the tuning did to the recall.
        for class in [
            "legit earlier-popular",
            "legit organisation",
            "legit earlier-sites",
        ] {
            let c = r.by_shape.get(class).copied().unwrap_or_default();
            assert!(c.total > 0, "[{split}] no {class} rows");
            assert_eq!(c.blocked, 0, "[{split}] {class}: {} blocked", c.blocked);
        }
    }
}

/// The negative twin: the same set with no brands configured flags no look-alike at all, so the
/// figures above come from the brand rules, not from something that flags everything.
#[test]
fn labelled_set_without_brands_flags_no_lookalike() {
    let rows = rows(SET);
    let checker = DomainChecker::new(Vec::new(), Default::default()).unwrap();
    let r = measure(&checker, &rows, None, false);
    assert_eq!(r.phish.blocked, 0);
    assert_eq!(r.legit.blocked, 0);
}

#[test]
fn real_feed_recall_per_brand_and_allowlist_flagged() {
    let rows = rows(FEED);
    let checker = DomainChecker::with_defaults();
    let mut all = BTreeMap::new();
    let mut mistakes = Vec::new();
    let mut verdicts = Vec::new();
    for split in ["tune", "holdout"] {
        let r = measure_into(
            &checker,
            &rows,
            Some(split),
            show(split),
            &mut mistakes,
            &mut Vec::new(),
        );
        print(split, &r);
        all.insert(split, r);
    }
    print_without_word_model(&rows, &mut verdicts);
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("guard-feed-verdicts.tsv"),
        verdicts.join("\n"),
    )
    .unwrap();
    // The same figures without the rows whose feed label conflicts with the shapes
    // (`feed_set.py` documents the two rules): allowlisted hosts shaped like a look-alike the
    // issue requires blocked, and blocklisted hosts whose brand was found only through an
    // English word one edit from its name.
    let clear: Vec<Row<'_>> = rows
        .iter()
        .filter(|r| r.shape == "blocklist" || r.shape == "allowlist")
        .copied()
        .collect();
    for split in ["tune", "holdout"] {
        let r = measure(&checker, &clear, Some(split), false);
        println!(
            "[{split}, conflicting labels left out] phishing blocked {}/{} (recall {:.2}%), legitimate blocked {}/{} (FPR {:.2}%)",
            r.phish.blocked,
            r.phish.total,
            r.recall() * 100.0,
            r.legit.blocked,
            r.legit.total,
            r.fpr() * 100.0
        );
        // Without the allowlisted brand shapes, the allowlist's real names stay within the
        // target (last measured 0.62% / 1.17%): a regression floor just above.
        assert!(
            r.fpr() <= 0.0125,
            "[{split}, conflicting labels left out] allowlist flagged {:.4}",
            r.fpr()
        );
    }
    let mistakes_at =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("guard-feed-mistakes.tsv");
    std::fs::write(mistakes_at, mistakes.join("\n")).unwrap();
    let both = measure(&checker, &rows, None, false);
    println!("per brand (both parts):");
    for (b, c) in &both.by_brand {
        println!(
            "    {b:14} {:4} hosts, high+ {:5.1}%",
            c.total,
            Count::rate(c.blocked, c.total) * 100.0
        );
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("guard-feed.json");
    std::fs::write(&out, serde_json::to_string_pretty(&both).unwrap()).unwrap();
    for (split, r) in &all {
        // Target: 0.95 and 0.02 (last measured: recall 92.96% / 92.54%, allowlist flagged
        // 2.43% / 4.52% on the tuning / held-out part, most of it the allowlisted hosts shaped
        // like a brand's name, §6.1).
        assert!(r.recall() >= 0.925, "[{split}] recall {:.4}", r.recall());
        assert!(
            r.fpr() <= 0.046,
            "[{split}] allowlist flagged {:.4}",
            r.fpr()
        );
    }
}
