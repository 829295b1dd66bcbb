//! The domain-detection quality test: a labelled set of look-alikes of protected brands and of
//! legitimate domains, exported to `tests/fixtures/domain_quality.json` (which MetaMask's
//! eth-phishing-detect also reads, see `compare/`), and the assertion recall ≥ 95% at a
//! false-positive rate ≤ 1%, counting `high` and `very-high` as positive, on the whole set.
//!
//! The set has three parts: `tuning` (the rules were shaped on it), `validation` (generated
//! later with other words; measured, then used for one round of changes) and `holdout`
//! (generated after the last rule change and measured once). Recall on the last two is the
//! honest estimate for unseen look-alikes; `docs/threat-intel.md` records all three.
//!
//! Regenerate the fixture after changing the generator:
//! `GUARD_UPDATE_FIXTURES=1 cargo test -p custodia-guard --test it quality`.

mod data;

use std::collections::{BTreeMap, BTreeSet};

use custodia_guard::{Brand, DomainChecker, Host, RiskLevel, default_brands};
use serde::{Deserialize, Serialize};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/domain_quality.json"
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Case {
    /// `tuning` (the rules were tuned on it), `validation` (unseen, then used for one round of
    /// changes) or `holdout` (measured once, never tuned on).
    set: String,
    /// The host as a user would type or click it (Unicode or punycode, as attackers publish).
    domain: String,
    /// `lookalike` or `legit`.
    label: String,
    /// What kind of case.
    category: String,
    /// The brand a look-alike imitates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    brand: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Fixture {
    description: String,
    /// The protected brands (the default configuration): the comparison gives MetaMask's
    /// detector the same official domains as its fuzzylist.
    brands: Vec<Brand>,
    lookalikes: usize,
    legit: usize,
    cases: Vec<Case>,
}

/// SplitMix64: a seeded generator, so the set is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Look-alike characters attackers substitute (Cyrillic, Greek, Armenian, digits, `rn`).
fn homoglyphs(c: char) -> &'static [&'static str] {
    match c {
        'a' => &["а", "α"],
        'b' => &["Ь", "ḅ"],
        'c' => &["с", "ϲ"],
        'd' => &["ԁ"],
        'e' => &["е", "ė"],
        'g' => &["ɡ"],
        'h' => &["һ"],
        'i' => &["і", "ι", "1"],
        'j' => &["ј"],
        'k' => &["κ", "ķ"],
        'l' => &["ӏ", "1"],
        'm' => &["rn", "ṃ"],
        'n' => &["ո", "ṅ"],
        'o' => &["о", "ο", "0"],
        'p' => &["р", "ρ"],
        'q' => &["ԛ"],
        'r' => &["г"],
        's' => &["ѕ"],
        't' => &["т"],
        'u' => &["υ", "ս"],
        'v' => &["ν"],
        'w' => &["ԝ", "vv"],
        'x' => &["х"],
        'y' => &["у"],
        _ => &[],
    }
}

/// Accented variants (IDN spoofs published in punycode form).
fn accented(c: char) -> &'static [&'static str] {
    match c {
        'a' => &["á", "à", "ä", "â", "ã", "å"],
        'c' => &["ç"],
        'e' => &["é", "è", "ë", "ê", "ė"],
        'i' => &["í", "ì", "ï", "î"],
        'n' => &["ñ"],
        'o' => &["ó", "ö", "ô", "õ"],
        'u' => &["ú", "ü", "û"],
        'y' => &["ý", "ÿ"],
        's' => &["ś", "š"],
        'z' => &["ž"],
        'k' => &["ķ"],
        't' => &["ţ"],
        'g' => &["ğ"],
        'l' => &["ĺ"],
        'r' => &["ŕ"],
        _ => &[],
    }
}

/// QWERTY neighbours, for replacement typos.
fn neighbours(c: char) -> &'static str {
    match c {
        'q' => "wa",
        'w' => "qes",
        'e' => "wrd",
        'r' => "etf",
        't' => "ryg",
        'y' => "tuh",
        'u' => "yij",
        'i' => "uok",
        'o' => "ipl",
        'p' => "ol",
        'a' => "qsz",
        's' => "adw",
        'd' => "sfe",
        'f' => "dgr",
        'g' => "fht",
        'h' => "gjy",
        'j' => "hku",
        'k' => "jli",
        'l' => "ko",
        'z' => "xa",
        'x' => "zcs",
        'c' => "xvd",
        'v' => "cbf",
        'b' => "vng",
        'n' => "bmh",
        'm' => "nj",
        _ => "e",
    }
}

fn substitute(rng: &mut Rng, kw: &str, table: fn(char) -> &'static [&'static str]) -> String {
    let chars: Vec<char> = kw.chars().collect();
    let positions: Vec<usize> = (0..chars.len())
        .filter(|&i| !table(chars[i]).is_empty())
        .collect();
    let i = *rng.pick(&positions);
    let sub = rng.pick(table(chars[i]));
    let mut out: String = chars[..i].iter().collect();
    out.push_str(sub);
    out.extend(&chars[i + 1..]);
    out
}

fn typo(rng: &mut Rng, kw: &str, op: &str) -> String {
    let mut c: Vec<char> = kw.chars().collect();
    let n = c.len();
    match op {
        "insert" => {
            let i = rng.below(n + 1);
            let base = c[i.min(n - 1)];
            let letters = neighbours(base);
            let ins = if rng.below(2) == 0 {
                base // doubled letter
            } else {
                letters.chars().nth(rng.below(letters.len())).unwrap()
            };
            c.insert(i, ins);
        }
        "delete" => {
            c.remove(rng.below(n));
        }
        "swap" => {
            let candidates: Vec<usize> = (0..n - 1).filter(|&i| c[i] != c[i + 1]).collect();
            let i = *rng.pick(&candidates);
            c.swap(i, i + 1);
        }
        _ => {
            let i = rng.below(n);
            let letters = neighbours(c[i]);
            c[i] = letters.chars().nth(rng.below(letters.len())).unwrap();
        }
    }
    c.into_iter().collect()
}

fn lookalike(domain: String, category: &str, brand: &str) -> Case {
    Case {
        set: String::new(),
        domain,
        label: "lookalike".into(),
        category: category.into(),
        brand: Some(brand.into()),
    }
}

/// The generated look-alikes: 7 categories, brands taken round-robin, words and TLDs drawn
/// from the given lists.
fn lookalikes(seed: u64, words: &[&str], tlds: &[&str]) -> Vec<Case> {
    let t = data::TARGETS;
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    // Homoglyphs: one confusable character (Unicode form, as shown in a message or page).
    for i in 0..40 {
        let (brand, kw, _) = t[i % t.len()];
        let label = substitute(&mut rng, kw, homoglyphs);
        out.push(lookalike(
            format!("{label}.{}", rng.pick(tlds)),
            "homoglyph",
            brand,
        ));
    }
    // Punycode: a confusable or accented character, published in its xn-- form.
    for i in 0..30 {
        let (brand, kw, _) = t[(i * 7 + 3) % t.len()];
        let table = if i % 2 == 0 { accented } else { homoglyphs };
        let mut label = substitute(&mut rng, kw, table);
        if label.is_ascii() {
            label = substitute(&mut rng, kw, accented);
        }
        let unicode = format!("{label}.{}", rng.pick(tlds));
        let ascii = Host::parse(&unicode).expect("valid IDN").ascii().to_owned();
        out.push(lookalike(ascii, "punycode", brand));
    }
    // Typos: insert, delete, swap, replace (keyboard neighbour); names of 5+ letters.
    let long: Vec<_> = t.iter().filter(|(_, kw, _)| kw.len() >= 5).collect();
    for (j, op) in ["insert", "delete", "swap", "replace"].iter().enumerate() {
        for i in 0..15 {
            let (brand, kw, _) = long[(i * 5 + j * 3) % long.len()];
            let mut label = typo(&mut rng, kw, op);
            while label == *kw {
                label = typo(&mut rng, kw, op);
            }
            out.push(lookalike(
                format!("{label}.{}", rng.pick(tlds)),
                "typo",
                brand,
            ));
        }
    }
    // Inserted words: brand + attack words, with and without hyphens, numbers.
    for i in 0..50 {
        let (brand, kw, _) = t[(i * 3) % t.len()];
        let w = rng.pick(words);
        let w2 = rng.pick(words);
        let n = 1 + rng.below(999);
        let label = match i % 8 {
            0 => format!("{kw}-{w}"),
            1 => format!("{w}-{kw}"),
            2 => format!("{kw}{w}"),
            3 => format!("{w}{kw}"),
            4 => format!("{kw}-{w}-{w2}"),
            5 => format!("{w}-{kw}-{w2}"),
            6 => format!("{kw}-{w}{n}"),
            _ => format!("{kw}{n}"),
        };
        out.push(lookalike(
            format!("{label}.{}", rng.pick(tlds)),
            "inserted-word",
            brand,
        ));
    }
    // Subdomain tricks: the brand or its official domain left of someone else's domain.
    for i in 0..35 {
        let (brand, kw, official) = t[(i * 11 + 1) % t.len()];
        let evil = rng.pick(data::EVIL_BASES);
        let w = rng.pick(words);
        let domain = match i % 7 {
            0 => format!("{official}.{evil}"),
            1 => format!("www.{official}.{evil}"),
            2 => format!("{w}.{official}.{evil}"),
            3 => format!("{kw}.{evil}"),
            4 => format!("{kw}-{w}.{evil}"),
            5 => format!("{}.{}", official.replace('.', "-"), evil),
            _ => format!("{kw}.com-{w}.{}", rng.pick(tlds)),
        };
        out.push(lookalike(domain, "subdomain", brand));
    }
    // Free hosting: brand pages on shared-hosting platforms.
    for i in 0..30 {
        let (brand, kw, _) = t[(i * 13 + 2) % t.len()];
        let host = rng.pick(data::FREE_HOSTS);
        let w = rng.pick(words);
        let n = 1 + rng.below(9999);
        let label = match i % 5 {
            0 => format!("{kw}-{w}"),
            1 => format!("{w}-{kw}"),
            2 => format!("{kw}-{w}-{n}"),
            3 => format!("{kw}{w}"),
            _ => format!("{kw}{n}"),
        };
        out.push(lookalike(format!("{label}.{host}"), "free-hosting", brand));
    }
    // The brand's name on another TLD.
    let swaps = [
        "xyz", "site", "top", "online", "vip", "info", "cc", "live", "app", "net",
    ];
    for i in 0..15 {
        let (brand, kw, official) = t[(i * 2 + 1) % t.len()];
        let mut tld = *rng.pick(&swaps);
        while official.ends_with(&format!(".{tld}")) {
            tld = *rng.pick(&swaps);
        }
        out.push(lookalike(format!("{kw}.{tld}"), "tld-swap", brand));
    }
    out
}

fn legit() -> Vec<Case> {
    let groups: [(&str, &str, &[&str]); 8] = [
        ("tuning", "popular", data::POPULAR),
        ("tuning", "crypto-services", data::CRYPTO),
        ("tuning", "near-words", data::NEAR_WORDS),
        ("tuning", "idn", data::IDN),
        ("tuning", "hosted", data::HOSTED),
        ("tuning", "official", data::OFFICIAL),
        ("validation", "sites", data::HOLDOUT_LEGIT),
        ("holdout", "sites", data::HOLDOUT2_LEGIT),
    ];
    groups
        .iter()
        .flat_map(|(set, cat, list)| {
            list.iter().map(move |d| Case {
                set: (*set).to_owned(),
                domain: (*d).to_owned(),
                label: "legit".into(),
                category: (*cat).to_owned(),
                brand: None,
            })
        })
        .collect()
}

fn generate() -> Fixture {
    let legit = legit();
    let legit_hosts: BTreeSet<String> = legit
        .iter()
        .map(|c| Host::parse(&c.domain).unwrap().ascii().to_owned())
        .collect();
    // A generated name a brand actually owns is not a look-alike (`binance.net` is Binance's).
    let official: Vec<String> = default_brands()
        .into_iter()
        .flat_map(|b| b.domains)
        .collect();
    let owned = |h: &str| {
        official
            .iter()
            .any(|o| h == o || h.ends_with(&format!(".{o}")))
    };
    let mut seen = BTreeSet::new();
    let tuning = lookalikes(0x6f6b_785f_6775_6172, data::ATTACK_WORDS, data::TLDS);
    let validation = lookalikes(
        0x686f_6c64_6f75_7421,
        data::HOLDOUT_WORDS,
        data::HOLDOUT_TLDS,
    );
    let holdout = lookalikes(
        0x6e65_7665_725f_7365,
        data::HOLDOUT2_WORDS,
        data::HOLDOUT2_TLDS,
    );
    let tag = |set: &'static str| {
        move |mut c: Case| {
            c.set = set.to_owned();
            c
        }
    };
    let lookalikes: Vec<Case> = tuning
        .into_iter()
        .map(tag("tuning"))
        .chain(validation.into_iter().map(tag("validation")))
        .chain(holdout.into_iter().map(tag("holdout")))
        .filter(|c| {
            let h = Host::parse(&c.domain)
                .unwrap_or_else(|e| panic!("{}: {e}", c.domain))
                .ascii()
                .to_owned();
            !legit_hosts.contains(&h) && !owned(&h) && seen.insert(h)
        })
        .collect();
    Fixture {
        brands: default_brands(),
        description: "custodia-guard labelled domain set: look-alikes of protected brands \
                      (homoglyph, punycode, typo, inserted-word, subdomain, free-hosting, \
                      tld-swap) and legitimate domains; `tuning` cases shaped the rules, \
                      `validation` cases were used for one round of changes, `holdout` cases \
                      were measured once and never tuned on. Generated by \
                      crates/guard/tests/quality/main.rs; do not edit by hand."
            .into(),
        lookalikes: lookalikes.len(),
        legit: legit.len(),
        cases: lookalikes.into_iter().chain(legit).collect(),
    }
}

fn read_fixture() -> Fixture {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture exists (see module docs)");
    serde_json::from_str(&text).expect("fixture parses")
}

#[test]
fn fixture_is_current() {
    let generated = generate();
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var_os("GUARD_UPDATE_FIXTURES").is_some() {
        std::fs::write(FIXTURE, &text).unwrap();
    }
    let committed = std::fs::read_to_string(FIXTURE).unwrap_or_default();
    assert!(
        committed == text,
        "tests/fixtures/domain_quality.json is stale: GUARD_UPDATE_FIXTURES=1 cargo test -p custodia-guard --test it quality"
    );
    assert!(
        generated.lookalikes >= 200,
        "{} look-alikes",
        generated.lookalikes
    );
    assert!(generated.legit >= 400, "{} legitimate", generated.legit);
}

#[derive(Default, Serialize)]
struct Tally {
    total: usize,
    alerts: usize,
    medium: usize,
    wrong: Vec<String>,
}

#[derive(Serialize)]
struct Metrics {
    set: String,
    lookalikes: usize,
    detected: usize,
    recall: f64,
    legit: usize,
    false_positives: usize,
    fpr: f64,
    levels: BTreeMap<String, usize>,
    by_category: BTreeMap<String, Tally>,
}

/// Runs the checker on the cases of `set` (`None`: all) and tallies the outcome.
fn evaluate(checker: &DomainChecker, cases: &[Case], set: Option<&str>) -> Metrics {
    let mut by_category: BTreeMap<String, Tally> = BTreeMap::new();
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for c in cases.iter().filter(|c| set.is_none_or(|s| c.set == s)) {
        let v = checker
            .check(&c.domain)
            .unwrap_or_else(|e| panic!("{}: {e}", c.domain));
        *levels
            .entry(format!("{} {}", c.label, v.level))
            .or_default() += 1;
        let t = by_category
            .entry(format!("{} {}", c.label, c.category))
            .or_default();
        t.total += 1;
        let alert = v.level.is_alert();
        t.alerts += alert as usize;
        t.medium += (v.level == RiskLevel::Medium) as usize;
        if (c.label == "lookalike") != alert {
            let why = v
                .reasons
                .first()
                .map(|r| format!("{} {}", r.rule, r.level))
                .unwrap_or_else(|| "no rule".into());
            t.wrong.push(format!("{} ({why})", c.domain));
        }
    }
    let sum = |label: &str, f: fn(&Tally) -> usize| -> usize {
        by_category
            .iter()
            .filter(|(k, _)| k.starts_with(label))
            .map(|(_, t)| f(t))
            .sum()
    };
    let (lookalikes, detected) = (
        sum("lookalike", |t| t.total),
        sum("lookalike", |t| t.alerts),
    );
    let (legit, false_positives) = (sum("legit", |t| t.total), sum("legit", |t| t.alerts));
    Metrics {
        set: set.unwrap_or("all").to_owned(),
        recall: detected as f64 / lookalikes as f64,
        fpr: false_positives as f64 / legit as f64,
        lookalikes,
        detected,
        legit,
        false_positives,
        levels,
        by_category,
    }
}

fn print(m: &Metrics) {
    println!(
        "[{}] look-alikes {}/{} detected (recall {:.2}%); legitimate {}/{} flagged (FPR {:.2}%)",
        m.set,
        m.detected,
        m.lookalikes,
        m.recall * 100.0,
        m.false_positives,
        m.legit,
        m.fpr * 100.0
    );
    for (k, n) in &m.levels {
        println!("    {k:24} {n}");
    }
    for (k, t) in &m.by_category {
        println!(
            "    {k:28} {:3}/{:3} alerts, {:2} medium; wrong: {:?}",
            t.alerts, t.total, t.medium, t.wrong
        );
    }
}

#[test]
fn recall_at_least_95_percent_with_false_positive_rate_at_most_1_percent() {
    let fixture = read_fixture();
    let checker = DomainChecker::with_defaults();
    let all: Vec<Metrics> = [Some("tuning"), Some("validation"), Some("holdout"), None]
        .into_iter()
        .map(|set| evaluate(&checker, &fixture.cases, set))
        .collect();
    all.iter().for_each(print);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("guard-quality.json");
    std::fs::write(&out, serde_json::to_string_pretty(&all).unwrap()).unwrap();
    println!("report: {}", out.display());
    // The requirement, on the whole labelled set and on the set the rules were shaped on.
    // The validation and held-out parts are reported in docs/threat-intel.md; here they only
    // guard against regressions (they measured 93.7% and 94.4% recall, 0 false positives).
    for m in &all {
        let min_recall = match m.set.as_str() {
            "all" | "tuning" => 0.95,
            _ => 0.90,
        };
        assert!(
            m.recall >= min_recall,
            "[{}] recall {:.4} < {min_recall}",
            m.set,
            m.recall
        );
        assert!(
            m.fpr <= 0.01,
            "[{}] false-positive rate {:.4} > 0.01",
            m.set,
            m.fpr
        );
    }
}
