//! The domain check: lists first, then explained look-alike rules against protected brands.

use core::fmt;
use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};
use unicode_security::MixedScript as _;

use super::brands::{Brand, Keyword, official_host, validate_keyword};
use super::host::{Host, label_to_unicode};
use super::lists::{DomainEntry, DomainList};
use super::words::is_word;
use crate::GuardError;

/// How risky a host is. `High` and `VeryHigh` are "warn / block"; `Medium` is "show caution,
/// do not block" (see `docs/threat-intel.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskLevel {
    /// No rule fired (or the host is allowlisted).
    None,
    /// A weak signal: a brand-like word inside a longer word, a near-miss spelling, mixed
    /// scripts, a URL hiding its host. Shown as a caution; not counted as a detection.
    Medium,
    /// One strong look-alike signal: the brand's name on another domain, a one-letter typo, a
    /// brand plus a lure word.
    High,
    /// Listed as malicious, or look-alike signals that are deliberate: homoglyphs, the
    /// official domain inside another host, a brand plus a lure word on shared hosting.
    VeryHigh,
}

impl RiskLevel {
    /// `none`, `medium`, `high`, `very-high`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::None => "none",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::VeryHigh => "very-high",
        }
    }

    /// Whether this level counts as a detection (high or very high).
    pub fn is_alert(self) -> bool {
        self >= RiskLevel::High
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule produced a [`Reason`]. Every rule is documented, with its level and thresholds,
/// in `docs/threat-intel.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The host is (under) an allowlist entry.
    Allowlist,
    /// The host is (under) an official domain of a protected brand.
    OfficialDomain,
    /// The host is (under) a blocklist entry.
    Blocklist,
    /// A URL's user-info part names a brand: `https://okx.com@evil.io/`.
    UserinfoBrand,
    /// A URL's user-info part looks like a host: `https://bank.com@evil.io/`.
    UserinfoHost,
    /// An official domain appears inside the subdomain part: `okx.com.evil.io`.
    OfficialDomainInSubdomain,
    /// A label or token is confusable (UTS #39 skeleton) with a keyword but not equal to it:
    /// `οkx` (Greek omicron), `0kx`, `rnetamask`.
    Homoglyph,
    /// A keyword appears only after confusable folding, or split by hyphens: `0kx-login`,
    /// `o-k-x`.
    BrandObfuscated,
    /// The registrable label is exactly a keyword on a suffix the brand does not use:
    /// `okx.co.uk`, `okx.pages.dev`.
    BrandOtherSuffix,
    /// A hyphen-separated token of the registrable label is a keyword: `okx-login.com`.
    BrandToken,
    /// A keyword is inside a longer token of the registrable label: `secureokx.com`.
    BrandEmbedded,
    /// A keyword is (inside) a subdomain label: `okx.evil.io`, `login-okx.evil.io`.
    BrandInSubdomain,
    /// A token is within the keyword's edit-distance tolerance: `binanse.com`.
    Typo,
    /// A token is one edit beyond the tolerance of a long keyword.
    NearTypo,
    /// A label mixes scripts (UTS #39 single-script test fails).
    MixedScript,
    /// A non-ASCII label whose skeleton is plain ASCII: it imitates an ASCII name.
    AsciiLookalike,
}

impl Rule {
    /// The rule's stable id (`brand-token`, `homoglyph`, ...).
    pub fn id(self) -> &'static str {
        match self {
            Rule::Allowlist => "allowlist",
            Rule::OfficialDomain => "official-domain",
            Rule::Blocklist => "blocklist",
            Rule::UserinfoBrand => "userinfo-brand",
            Rule::UserinfoHost => "userinfo-host",
            Rule::OfficialDomainInSubdomain => "official-domain-in-subdomain",
            Rule::Homoglyph => "homoglyph",
            Rule::BrandObfuscated => "brand-obfuscated",
            Rule::BrandOtherSuffix => "brand-other-suffix",
            Rule::BrandToken => "brand-token",
            Rule::BrandEmbedded => "brand-embedded",
            Rule::BrandInSubdomain => "brand-in-subdomain",
            Rule::Typo => "typo",
            Rule::NearTypo => "near-typo",
            Rule::MixedScript => "mixed-script",
            Rule::AsciiLookalike => "ascii-lookalike",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// One rule that fired, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The rule.
    pub rule: Rule,
    /// The level this reason alone gives.
    pub level: RiskLevel,
    /// The protected brand involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// What matched: the keyword, the official domain or the list entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched: Option<String>,
    /// The part of the host examined (a label or token, Unicode).
    pub part: String,
    /// Edit distance, for typo rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance: Option<u32>,
    /// Why the level was raised one step (a lure word, shared hosting), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_by: Option<String>,
    /// A sentence for people.
    pub message: String,
}

/// The result of [`DomainChecker::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainVerdict {
    /// The host as DNS sees it (lowercase, punycode).
    pub host: String,
    /// The host as a user sees it.
    pub unicode: String,
    /// Its registrable domain, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registrable: Option<String>,
    /// The highest level among the reasons.
    pub level: RiskLevel,
    /// Every rule that fired, highest level first.
    pub reasons: Vec<Reason>,
}

impl DomainVerdict {
    /// The brand of the strongest brand-related reason.
    pub fn brand(&self) -> Option<&str> {
        self.reasons.iter().find_map(|r| r.brand.as_deref())
    }
}

/// Thresholds and word lists of the look-alike rules. `Default` is the documented policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DomainPolicy {
    /// Words phishing hosts add to a brand (`login`, `wallet`, `airdrop`, ...). A brand token
    /// next to one is raised a level; a generic keyword needs one to count at all.
    pub lure_words: Vec<String>,
    /// Keywords at least this long tolerate 1 edit (shorter ones: only an inserted or swapped
    /// letter).
    pub typo1_min_len: usize,
    /// Keywords at least this long tolerate 2 edits.
    pub typo2_min_len: usize,
    /// Top-level domains that count like a lure word.
    pub abused_tlds: Vec<String>,
    /// A keyword at least this long makes any token containing it `high`, whatever surrounds it.
    pub embed_any_min_len: usize,
    /// Whether one edit beyond the tolerance (for keywords of `near_typo_min_len` or more) is
    /// reported as `medium`.
    pub near_typo: bool,
    /// Minimum keyword length for the near-typo rule.
    pub near_typo_min_len: usize,
}

/// The default lure words.
pub const DEFAULT_LURE_WORDS: &[&str] = &[
    "2fa",
    "access",
    "account",
    "accounts",
    "activate",
    "airdrop",
    "airdrops",
    "alert",
    "app",
    "apps",
    "approve",
    "assets",
    "auth",
    "authorize",
    "bonus",
    "bridge",
    "check",
    "claim",
    "claims",
    "connect",
    "defi",
    "deposit",
    "desk",
    "dapp",
    "drop",
    "earn",
    "event",
    "events",
    "exchange",
    "free",
    "gift",
    "gifts",
    "giveaway",
    "global",
    "help",
    "helpdesk",
    "id",
    "invest",
    "kyc",
    "live",
    "login",
    "logon",
    "members",
    "migrate",
    "migration",
    "mint",
    "nft",
    "official",
    "online",
    "pay",
    "portal",
    "presale",
    "pro",
    "promo",
    "protect",
    "recover",
    "recovery",
    "refund",
    "register",
    "restore",
    "revoke",
    "reward",
    "rewards",
    "secure",
    "security",
    "service",
    "signin",
    "signup",
    "stake",
    "staking",
    "support",
    "swap",
    "sync",
    "team",
    "token",
    "unlock",
    "update",
    "upgrade",
    "validate",
    "verify",
    "verification",
    "vip",
    "vault",
    "wallet",
    "wallets",
    "web",
    "web3",
    "withdraw",
    // Giveaway and doubling scams: the promise, the coin.
    "btc",
    "double",
    "doubling",
    "elon",
    "eth",
    "give",
    "giveaways",
    "giving",
    "prize",
    "send",
    "vote",
    "whitelist",
    "win",
    "x2",
    // Trading and money words of investment and mining scams.
    "bank",
    "capital",
    "card",
    "cash",
    "dex",
    "fund",
    "funds",
    "loan",
    "market",
    "markets",
    "miner",
    "mining",
    "trade",
    "trader",
    "trading",
    "usdt",
    // Coin tickers and chain names that giveaway and doubling scams name beside a brand
    // (`ethereum-usdc`, `crypto-bnb`), as `btc`, `eth` and `usdt` above; tickers that are
    // ordinary English words (`link`, `dot`, `near`, `ton`, `atom`) are left out.
    "avax",
    "bitcoin",
    "bnb",
    "busd",
    "doge",
    "dogecoin",
    "ltc",
    "matic",
    "shib",
    "sol",
    "solana",
    "tether",
    "tron",
    "trx",
    "usdc",
    "xrp",
    // Regions and country codes phishing kits localise with.
    "africa",
    "arab",
    "asia",
    "au",
    "br",
    "brasil",
    "brazil",
    "ca",
    "de",
    "es",
    "eu",
    "europe",
    "fr",
    "hk",
    "in",
    "india",
    "indonesia",
    "it",
    "japan",
    "jp",
    "korea",
    "kr",
    "latam",
    "ng",
    "nigeria",
    "ph",
    "ru",
    "sg",
    "th",
    "tr",
    "turkey",
    "uk",
    "us",
    "vn",
    "vietnam",
];

/// Lure words learned from real phishing: the English words that hosts of MetaMask's
/// eth-phishing-detect blocklist (tuning part of `tests/fixtures/metamask_feed.tsv`) put beside
/// a protected brand's name at least three times and that no allowlisted host of that part
/// uses, printed by `crates/guard/quality/learn_lures.py` (which documents the rule). Part of
/// the default lure words.
pub const LEARNED_LURE_WORDS: &[&str] = &[
    "air", "back", "big", "cashback", "chain", "client", "coins", "download", "gives", "hardware",
    "holders", "join", "log", "logins", "mail", "medium", "payment", "protocol", "receive",
    "restores", "safe", "sign", "tokens", "view", "vintage",
];

/// Top-level domains with the highest phishing and abuse rates in public reports (Spamhaus
/// "most abused TLDs", Interisle phishing landscape); a brand on one of them is raised a level.
pub const DEFAULT_ABUSED_TLDS: &[&str] = &[
    "bond", "buzz", "cfd", "click", "club", "cyou", "fun", "gq", "icu", "live", "lol", "monster",
    "online", "quest", "rest", "sbs", "shop", "site", "space", "store", "tk", "top", "vip", "work",
    "xyz",
];

impl Default for DomainPolicy {
    fn default() -> Self {
        DomainPolicy {
            lure_words: DEFAULT_LURE_WORDS
                .iter()
                .chain(LEARNED_LURE_WORDS)
                .map(|w| (*w).to_owned())
                .collect(),
            abused_tlds: DEFAULT_ABUSED_TLDS
                .iter()
                .map(|w| (*w).to_owned())
                .collect(),
            typo1_min_len: 5,
            typo2_min_len: 10,
            embed_any_min_len: 8,
            near_typo: true,
            near_typo_min_len: 5,
        }
    }
}

/// Where in the host a label sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    Registrable,
    Subdomain,
}

/// What surrounds a keyword inside a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rest {
    /// Nothing: the token is the keyword.
    None,
    /// Only lure words and digits (`login`, `2024`, `securelogin`).
    Lure,
    /// Single letters (`okxs`).
    Filler,
    /// Anything else (`opensearch` around `opensea`).
    Other,
}

/// Domain risk checks: allowlist, blocklist and look-alike rules against protected brands.
///
/// Build once (compiles keyword automata), share across threads, call [`DomainChecker::check`]
/// per host. Lists can be changed in place ([`DomainChecker::allowlist_mut`],
/// [`DomainChecker::blocklist_mut`]).
#[derive(Debug, Clone)]
pub struct DomainChecker {
    brands: Vec<Brand>,
    keywords: Vec<Keyword>,
    exact: HashMap<String, Vec<usize>>,
    skeleton_exact: HashMap<String, Vec<usize>>,
    ac_raw: AhoCorasick,
    ac_skel: AhoCorasick,
    /// Lure words of three or more letters, to find a token's core (`binnancewallet`).
    ac_lure: AhoCorasick,
    /// Keyword ids by keyword length, for the typo rules.
    by_len: Vec<Vec<usize>>,
    official: DomainList,
    /// (official host, brand) for the subdomain rule.
    official_hosts: Vec<(String, usize)>,
    allow: DomainList,
    block: DomainList,
    lures: HashSet<String>,
    /// Lure words of six letters or more, for misspelt lure words.
    long_lures: Vec<String>,
    abused_tlds: HashSet<String>,
    policy: DomainPolicy,
    ascii_skeleton: Vec<String>,
    /// Whether the learned word model decides ordinary-word brands joined to other words.
    word_model: bool,
}

/// Lowercase UTS #39 skeleton.
pub(crate) fn skeleton_lower(s: &str) -> String {
    unicode_security::skeleton(s)
        .flat_map(char::to_lowercase)
        .collect()
}

/// Combining diacritical marks (the skeleton is NFD, so accents are separate characters).
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// UTS #39 maps some look-alikes of lowercase letters to small capitals, kra or tone six
/// (`т` → `ᴛ`, `κ` → `ĸ`, `ь` → `ƅ`), and leaves a few hooked letters alone; at the size a
/// host name is shown they read as the plain letter.
fn small_capital(c: char) -> char {
    match c {
        'ƅ' => 'b',
        'ƈ' => 'c',
        'ʝ' => 'j',
        'ҳ' => 'x',
        'ⱳ' => 'w',
        'ᴀ' => 'a',
        'ʙ' => 'b',
        'ᴄ' => 'c',
        'ᴅ' => 'd',
        'ᴇ' => 'e',
        'ɢ' => 'g',
        'ʜ' => 'h',
        'ɪ' => 'i',
        'ᴊ' => 'j',
        'ᴋ' | 'ĸ' => 'k',
        'ʟ' => 'l',
        'ᴍ' => 'm',
        'ɴ' => 'n',
        'ᴏ' => 'o',
        'ᴘ' => 'p',
        'ʀ' => 'r',
        'ꜱ' => 's',
        'ᴛ' => 't',
        'ᴜ' => 'u',
        'ᴠ' => 'v',
        'ᴡ' => 'w',
        'ʏ' => 'y',
        'ᴢ' => 'z',
        c => c,
    }
}

/// What brand matching compares: the lowercase UTS #39 skeleton without accents and with small
/// capitals read as letters, so that `bіnance` (Cyrillic і), `0kx`, `binänce`, `οκx` and
/// `bitgeт` all fold to plain ASCII brand names.
pub(crate) fn brand_fold(s: &str) -> String {
    let f: String = unicode_security::skeleton(s)
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(small_capital)
        .collect();
    fold_vv(f)
}

/// UTS #39 has no prototype for `w` written as two `v` (`myethervvallet`, `unisvvap`), a
/// spelling phishing hosts use as often as `rn` for `m`: read it as `w`.
fn fold_vv(s: String) -> String {
    if s.contains("vv") {
        s.replace("vv", "w")
    } else {
        s
    }
}

/// What the typo rules compare for a token written with look-alike characters: each
/// character folded on its own, with the UTS #39 prototypes that stand for one letter by two
/// (`rn` for `m`, `cl` for `d`, `vv` for `w`) read back as that letter, marks that are not
/// letters or digits (`l·edger`) dropped, and a letter UTS #39 does not fold (`ȴ`, `ꞅ`) kept
/// as `?`, one substitution away from any letter. For ASCII: `vv` read as `w`, `rn` at the
/// start as `m`, and a digit between letters read as the letter it imitates (`wa11et`); `None`
/// when that changes nothing.
fn typo_fold(tok: &str) -> Option<String> {
    // Most tokens have nothing to fold: decide that without allocating.
    if tok.is_ascii()
        && !tok.starts_with("rn")
        && !tok.contains("vv")
        && !tok.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut out = String::with_capacity(tok.len());
    if tok.is_ascii() {
        let b = tok.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            let letter = |j: usize| b.get(j).is_some_and(|x| x.is_ascii_lowercase());
            // A run of digits between letters (`wa11et`, `c0inbase`), not digits at an end.
            let between = c.is_ascii_digit() && {
                let l = b[..i].iter().rposition(|x| !x.is_ascii_digit());
                let r = b[i..]
                    .iter()
                    .position(|x| !x.is_ascii_digit())
                    .map(|r| r + i);
                l.is_some_and(letter) && r.is_some_and(letter)
            };
            out.push(match (between, c) {
                (true, b'0') => 'o',
                (true, b'1') => 'l',
                (true, b'3') => 'e',
                (true, b'4') => 'a',
                (true, b'5') => 's',
                _ => c as char,
            });
        }
        // No English word starts with `rn`: at the start it is `m` (`rnyetherwallet`).
        let out = match out.strip_prefix("rn") {
            Some(rest) => format!("m{rest}"),
            None => out,
        };
        let out = fold_vv(out);
        return (out != tok).then_some(out);
    }
    for c in tok.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        if !c.is_alphanumeric() {
            continue;
        }
        let f = brand_fold(c.encode_utf8(&mut [0; 4]));
        match f.as_str() {
            "rn" => out.push('m'),
            "cl" => out.push('d'),
            f if f.is_ascii() && f.len() == 1 => out.push_str(f),
            _ => out.push('?'),
        }
    }
    Some(fold_vv(out))
}

impl DomainChecker {
    /// Compiles brands and policy. Fails on a keyword shorter than 3 characters or an official
    /// domain without a registrable domain.
    pub fn new(brands: Vec<Brand>, policy: DomainPolicy) -> Result<DomainChecker, GuardError> {
        if policy.typo1_min_len < 3 || policy.typo2_min_len <= policy.typo1_min_len {
            return Err(GuardError::Config {
                why: "typo thresholds must satisfy 3 ≤ typo1_min_len < typo2_min_len".into(),
            });
        }
        super::brands::check_distinct(&brands)?;
        let ascii_skeleton: Vec<String> = (0u8..128)
            .map(|b| brand_fold(&char::from(b).to_string()))
            .collect();
        let mut keywords: Vec<Keyword> = Vec::new();
        let mut official = DomainList::new();
        let mut official_hosts = Vec::new();
        for (bi, b) in brands.iter().enumerate() {
            if b.name.trim().is_empty() {
                return Err(GuardError::Config {
                    why: "a brand has an empty name".into(),
                });
            }
            let generic: HashSet<String> = b
                .generic
                .iter()
                .map(|k| validate_keyword(k))
                .collect::<Result<_, _>>()?;
            let compound: HashSet<String> = b
                .compound
                .iter()
                .map(|k| validate_keyword(k))
                .collect::<Result<_, _>>()?;
            let mut texts: Vec<String> = Vec::new();
            for d in &b.domains {
                let (host, label) = official_host(d)?;
                official.insert(&DomainEntry {
                    host: host.clone(),
                    category: crate::Category::Phishing,
                    source: b.name.clone(),
                    date: None,
                })?;
                official_hosts.push((host, bi));
                if let Some(k) = label.and_then(|l| validate_keyword(&l).ok()) {
                    texts.push(k);
                }
            }
            for d in &b.alternates {
                let (host, _) = official_host(d)?;
                official.insert(&DomainEntry {
                    host: host.clone(),
                    category: crate::Category::Phishing,
                    source: b.name.clone(),
                    date: None,
                })?;
                official_hosts.push((host, bi));
            }
            for k in b.keywords.iter().chain(b.generic.iter()) {
                texts.push(validate_keyword(k)?);
            }
            texts.sort();
            texts.dedup();
            for text in texts {
                if keywords.iter().any(|k| k.text == text) {
                    continue; // first brand wins a shared keyword
                }
                keywords.push(Keyword {
                    mask: letter_mask(&text),
                    skeleton: brand_fold(&text),
                    generic: generic.contains(&text),
                    compound: compound.contains(&text),
                    text,
                    brand: bi,
                });
            }
        }
        let mut exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut skeleton_exact: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_len: Vec<Vec<usize>> = vec![Vec::new(); 64];
        for (i, k) in keywords.iter().enumerate() {
            exact.entry(k.text.clone()).or_default().push(i);
            skeleton_exact
                .entry(k.skeleton.clone())
                .or_default()
                .push(i);
            by_len[k.text.len()].push(i);
        }
        let build = |pats: Vec<&str>| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(pats)
                .map_err(|e| GuardError::Config {
                    why: format!("keyword automaton: {e}"),
                })
        };
        let ac_raw = build(keywords.iter().map(|k| k.text.as_str()).collect())?;
        let ac_skel = build(keywords.iter().map(|k| k.skeleton.as_str()).collect())?;
        let mut lures: HashSet<String> = policy
            .lure_words
            .iter()
            .map(|w| w.trim().to_ascii_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        // A lure verb's `-ing` and `-ion` forms that drop or change its last letters
        // (`validation`, `updating`, `connection`): the same lure.
        let derived: Vec<String> = lures
            .iter()
            .flat_map(|w| lure_forms(w))
            .filter(|w| !lures.contains(w))
            .collect();
        lures.extend(derived.iter().cloned());
        let mut long_lures: Vec<String> = lures.iter().filter(|w| w.len() >= 6).cloned().collect();
        long_lures.sort();
        let abused_tlds = policy
            .abused_tlds
            .iter()
            .map(|w| w.trim().trim_start_matches('.').to_ascii_lowercase())
            .collect();
        let mut lure_pats: Vec<&str> = policy
            .lure_words
            .iter()
            .map(|w| w.trim())
            .chain(derived.iter().map(String::as_str))
            .filter(|w| w.len() > 2 && w.is_ascii())
            .collect();
        lure_pats.sort_by_key(|w| std::cmp::Reverse(w.len()));
        let ac_lure = build(lure_pats)?;
        Ok(DomainChecker {
            ac_lure,
            brands,
            keywords,
            exact,
            skeleton_exact,
            ac_raw,
            ac_skel,
            by_len,
            official,
            official_hosts,
            allow: DomainList::new(),
            block: DomainList::new(),
            lures,
            long_lures,
            abused_tlds,
            policy,
            ascii_skeleton,
            word_model: true,
        })
    }

    /// Turns the learned word model on (the default) or off. The model decides only what the
    /// rules leave at `medium` for a brand whose name is an ordinary word joined to a word that
    /// is no lure word (`crypto-mult.io`): off, those stay `medium` (`docs/threat-intel.md`
    /// §3.8.1).
    pub fn with_word_model(mut self, on: bool) -> DomainChecker {
        self.word_model = on;
        self
    }

    /// Whether the learned word model is on.
    pub fn word_model(&self) -> bool {
        self.word_model
    }

    /// The default brands and policy.
    pub fn with_defaults() -> DomainChecker {
        DomainChecker::new(super::brands::default_brands(), DomainPolicy::default())
            .expect("default brands are valid")
    }

    /// The protected brands.
    pub fn brands(&self) -> &[Brand] {
        &self.brands
    }

    /// The policy.
    pub fn policy(&self) -> &DomainPolicy {
        &self.policy
    }

    /// The allowlist (label-suffix semantics).
    pub fn allowlist(&self) -> &DomainList {
        &self.allow
    }

    /// The allowlist, to change.
    pub fn allowlist_mut(&mut self) -> &mut DomainList {
        &mut self.allow
    }

    /// The blocklist (label-suffix semantics).
    pub fn blocklist(&self) -> &DomainList {
        &self.block
    }

    /// The blocklist, to change.
    pub fn blocklist_mut(&mut self) -> &mut DomainList {
        &mut self.block
    }

    /// Checks a host name or URL.
    pub fn check(&self, input: &str) -> Result<DomainVerdict, GuardError> {
        let host = Host::parse(input)?;
        Ok(self.check_host(&host))
    }

    /// Checks an already parsed host.
    pub fn check_host(&self, host: &Host) -> DomainVerdict {
        let mut out = Findings::default();
        self.evaluate(host, &mut out);
        let mut reasons = out.reasons;
        reasons.sort_by(|a, b| b.level.cmp(&a.level).then(a.rule.cmp(&b.rule)));
        DomainVerdict {
            host: host.ascii().to_owned(),
            unicode: host.unicode().to_owned(),
            registrable: host.registrable().map(str::to_owned),
            level: reasons.first().map_or(RiskLevel::None, |r| r.level),
            reasons,
        }
    }

    fn evaluate(&self, host: &Host, out: &mut Findings) {
        if let Some(m) = self.allow.find(host) {
            out.push(Reason {
                rule: Rule::Allowlist,
                level: RiskLevel::None,
                brand: None,
                matched: Some(m.entry.to_owned()),
                part: host.unicode().to_owned(),
                distance: None,
                escalated_by: None,
                message: format!("allowlisted: `{}` (source {})", m.entry, m.source),
            });
            return;
        }
        if let Some(m) = self.official.find(host) {
            out.push(Reason {
                rule: Rule::OfficialDomain,
                level: RiskLevel::None,
                brand: Some(m.source.to_owned()),
                matched: Some(m.entry.to_owned()),
                part: host.unicode().to_owned(),
                distance: None,
                escalated_by: None,
                message: format!("official domain of {}: `{}`", m.source, m.entry),
            });
            return;
        }
        if let Some(m) = self.block.find(host) {
            out.push(Reason {
                rule: Rule::Blocklist,
                level: RiskLevel::VeryHigh,
                brand: None,
                matched: Some(m.entry.to_owned()),
                part: host.unicode().to_owned(),
                distance: None,
                escalated_by: None,
                message: format!(
                    "blocklisted {}: `{}` (source {}{})",
                    m.category,
                    m.entry,
                    m.source,
                    m.date.map(|d| format!(", {d}")).unwrap_or_default()
                ),
            });
            return;
        }
        if let Some(ui) = host.userinfo() {
            self.userinfo_rules(ui, out);
        }
        if host.is_ip() {
            return;
        }
        let ctx = self.context(host);
        if let Some(label) = host.registrable_label() {
            self.label_rules(label, Pos::Registrable, &ctx, out);
        }
        let mut any_sub = false;
        for label in host.subdomain_labels() {
            any_sub = true;
            self.label_rules(label, Pos::Subdomain, &ctx, out);
        }
        // A suffix of two labels or more (`com.se`, `us.com`) can continue an official host
        // into another registrable domain: `kraken.com.se`.
        if any_sub || host.suffix().contains('.') {
            self.official_in_subdomain(host, out);
        }
        if any_sub {
            self.split_by_dot(host, out);
        }
    }

    /// A distinctive name of eight letters or more split by a dot (`my.etherwallet.com.de`,
    /// `meta.maskweb.app`, `my.ether-wallet.co`): a subdomain label ends with the name's first
    /// part and the next label (hyphens dropped) starts with the rest. Very high when the two
    /// pieces are the name exactly, high when the second goes on (`maskweb`).
    fn split_by_dot(&self, host: &Host, out: &mut Findings) {
        let labels: Vec<&str> = host
            .subdomain_labels()
            .chain(host.registrable_label())
            .collect();
        for pair in labels.windows(2) {
            let a = pair[0].rsplit(['-', '_']).next().unwrap_or("");
            // The next label with its hyphens dropped (`my.ether-wallet.co`).
            let b: String = pair[1]
                .chars()
                .filter(|c| !matches!(c, '-' | '_'))
                .collect();
            let b = b.as_str();
            if a.len() < 2 || b.is_empty() || !a.is_ascii() || !b.is_ascii() {
                continue;
            }
            for k in &self.keywords {
                let len = k.text.len();
                if k.generic
                    || len < self.policy.embed_any_min_len
                    || a.len() >= len
                    || !k.text.starts_with(a)
                    || !b.starts_with(&k.text[a.len()..])
                {
                    continue;
                }
                let exact = b.len() == len - a.len();
                // A word that only starts like the rest of the name is that word
                // (`coin.basement.org`).
                if !exact && is_word(b) {
                    continue;
                }
                let shown = format!("{a}.{b}");
                out.push(Reason {
                    rule: Rule::BrandObfuscated,
                    level: if exact {
                        RiskLevel::VeryHigh
                    } else {
                        RiskLevel::High
                    },
                    brand: Some(self.brand_name(k)),
                    matched: Some(k.text.clone()),
                    message: format!(
                        "`{shown}` is the {} name `{}` split by a dot",
                        self.brand_name(k),
                        k.text
                    ),
                    part: shown,
                    distance: None,
                    escalated_by: None,
                });
                break;
            }
        }
    }

    fn is_lure(&self, s: &str) -> bool {
        self.lures.contains(s)
    }

    fn context<'h>(&self, host: &'h Host) -> Ctx<'h> {
        let tld = host.ascii().rsplit('.').next().unwrap_or("");
        Ctx {
            host,
            lure: std::cell::OnceCell::new(),
            shared_hosting: host.on_shared_hosting().then(|| host.suffix().to_owned()),
            abused_tld: self.abused_tlds.contains(tld).then(|| tld.to_owned()),
        }
    }

    /// The registrable label's first lure token, computed only when a brand rule asks. Lure
    /// words in subdomain labels do not count for the registrable label: `www.`, `wallet.` or
    /// `accounts.` in front of a site is how sites name their own parts.
    fn find_lure(&self, host: &Host) -> Option<String> {
        let label = host.registrable_label()?;
        label
            .split(['-', '_'])
            .find(|tok| self.token_is_lure(tok))
            .map(str::to_owned)
    }

    /// A whole token that is a lure word or a run of lure words and digits (not digits alone).
    /// As whole tokens (never glued to a word) three more kinds count: a two-letter lure word
    /// (a region code: `okx-us`), a `www` written into the registrable label (`www-kraken.com`,
    /// `vww-kraken.com`: real sites put `www.` in front, not inside their name) and a
    /// top-level-domain word standing beside the name (`kraken-com.com`, `ethereum-org.net`).
    fn token_is_lure(&self, tok: &str) -> bool {
        if tok.is_empty() || tok.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        (tok.len() == 2 && self.is_lure(tok))
            || is_www_like(tok)
            || TLD_WORDS.contains(&tok)
            || self.part_is_lure(tok)
    }

    /// A lure token strong enough to make a generic word count: region codes (`us`, `hk`) are
    /// not (`hkcrypto`, `crypto-us` are ordinary company names).
    fn token_is_strong_lure(&self, tok: &str) -> bool {
        tok.len() > 2 && self.token_is_lure(tok)
    }

    /// The signal that raises a brand reason one level, if any: the host is on shared hosting,
    /// another token of the same label (or, for a subdomain label, of the registrable label)
    /// is a lure word, or the TLD is an abused one. `lure_spent`: a lure word already made the
    /// level (a generic word), so it cannot raise it again.
    ///
    /// `hosting`: whether shared hosting counts. It does not for near misses two edits away
    /// (`cat-facts.herokuapp.com` is not Gate): hosted sites are many and their names
    /// ordinary words, so only a lure word or an abused TLD raises those.
    ///
    /// `sub_lures`: whether lure labels elsewhere in the subdomain part count. They do for a
    /// brand's name written in a subdomain (`login.binance.evil.io`), not for a near spelling
    /// of it: `app.finance.yahoo.com` is a site naming its own parts.
    fn signal(
        &self,
        lc: &LabelCtx<'_, '_>,
        part: &str,
        lure_spent: bool,
        hosting: bool,
        sub_lures: bool,
    ) -> Option<String> {
        if let Some(h) = lc.ctx.shared_hosting.as_ref().filter(|_| hosting) {
            return Some(format!("shared hosting `{h}`"));
        }
        if let Some(g) = lc.glued.borrow().as_ref() {
            return Some(format!("lure word `{g}` joined to it"));
        }
        // A near miss (`hosting` false) is raised by lure words of three letters or more only:
        // a region code (`atc.us.es`, `okz-uk`) is how real names are localised.
        let counts = |t: &str| hosting || self.token_is_strong_lure(t);
        if !lure_spent {
            if let Some(t) = lc
                .tokens
                .iter()
                .find(|t| **t != part && self.token_is_lure(t) && counts(t))
            {
                return Some(format!("lure word `{t}`"));
            }
            if lc.pos == Pos::Subdomain {
                if let Some(t) = lc.ctx.lure(self).filter(|t| counts(t)) {
                    return Some(format!("lure word `{t}`"));
                }
                // A brand in a subdomain of someone else's site is already a trick; a lure
                // label beside it (`login.binance.evil.io`) is the phishing page's own name.
                if let Some(t) = lc
                    .ctx
                    .host
                    .subdomain_labels()
                    .flat_map(|l| l.split(['-', '_']))
                    .filter(|_| sub_lures)
                    .find(|t| *t != part && !is_www_like(t) && self.token_is_lure(t) && counts(t))
                {
                    return Some(format!("lure word `{t}`"));
                }
            }
        }
        lc.ctx
            .abused_tld
            .as_ref()
            .map(|t| format!("abused TLD `.{t}`"))
    }

    fn skeleton(&self, s: &str) -> String {
        if s.is_ascii() {
            fold_vv(
                s.bytes()
                    .map(|b| self.ascii_skeleton[b as usize].as_str())
                    .collect(),
            )
        } else {
            brand_fold(s)
        }
    }

    /// Whether `part` (around a keyword, or a whole token) is empty, digits, or a run of lure
    /// words and digits. Lure words of three or more letters count here, also inflected
    /// (`logins`, `claimed`, `winner`, `doubler`, `promos`: a plural, agent noun or verb form of
    /// a lure is the same lure), and so does `www` (`wwwkraken`). Two-letter words (region
    /// codes) count only as a whole token ([`Self::token_is_lure`]): glued to a word
    /// (`hkcrypto`, `decrypto`) they are ordinary spelling.
    fn part_is_lure(&self, part: &str) -> bool {
        let b = part.as_bytes();
        let n = b.len();
        if n == 0 {
            return true;
        }
        splits(part, |i, ok| {
            for j in i + 1..=n.min(i + 16) {
                // Two characters count glued only with a digit in them (`x2ethereum`): a
                // two-letter lure is a region code, spelling when glued to a word.
                let short_ok = j - i > 2 || (j - i == 2 && b[i..j].iter().any(u8::is_ascii_digit));
                if short_ok
                    && part.is_char_boundary(i)
                    && part.is_char_boundary(j)
                    && (self.is_lure(&part[i..j]) || part[i..j] == *"www")
                {
                    ok[j] = true;
                    inflect(b, j, ok);
                }
            }
        })
    }

    /// Whether `part` ends with a lure word of five letters or more and has other letters
    /// before it, no English word running across the lure word's start (`prevent` around
    /// `event`).
    fn ends_with_lure(&self, part: &str) -> bool {
        let n = part.len();
        part.is_ascii()
            && (5..n).any(|len| {
                let s = n - len;
                self.is_lure(&part[s..])
                    && !(s.saturating_sub(8)..s).any(|i| n - i <= 8 && is_word(&part[i..]))
            })
    }

    /// Whether `part` starts with a lure word of five letters or more and has other letters
    /// after it, no English word running across the lure word's end.
    fn starts_with_lure(&self, part: &str) -> bool {
        let n = part.len();
        part.is_ascii()
            && (5..n).any(|e| {
                self.is_lure(&part[..e]) && !(e + 1..=n.min(8)).any(|j| is_word(&part[..j]))
            })
    }

    /// Whether `part` splits into version tags (`v` and a number) and lure words of three
    /// letters or more, with two tags or a tag and a lure word (`v1v2`, `v2claim`).
    fn versions_and_lures(&self, part: &str) -> bool {
        let b = part.as_bytes();
        let n = b.len();
        if !part.is_ascii() || n < 4 {
            return false;
        }
        // best[i]: (tags, lure words) of a split of part[..i], most pieces first.
        let mut best: Vec<Option<(u8, u8)>> = vec![None; n + 1];
        best[0] = Some((0, 0));
        for i in 0..n {
            let Some((t, l)) = best[i] else {
                continue;
            };
            let mut put = |j: usize, v: (u8, u8)| {
                if best[j].is_none_or(|o| o.0 + o.1 < v.0 + v.1) {
                    best[j] = Some(v);
                }
            };
            if b[i] == b'v' && i + 1 < n && b[i + 1].is_ascii_digit() {
                let mut j = i + 1;
                while j < n && b[j].is_ascii_digit() {
                    j += 1;
                }
                put(j, (t + 1, l));
            }
            for j in i + 3..=n.min(i + 16) {
                if self.is_lure(&part[i..j]) {
                    put(j, (t, l + 1));
                }
            }
        }
        best[n].is_some_and(|(t, l)| t >= 2 || (t >= 1 && l >= 1))
    }

    /// Whether `part` is empty or splits into English words and lure words of three letters
    /// or more, and digits (`balance`, `newgiveaway`, `share24`).
    fn part_is_words(&self, part: &str) -> bool {
        let n = part.len();
        if !part.is_ascii() {
            return false;
        }
        splits(part, |i, ok| {
            for j in i + 3..=n.min(i + 16) {
                let w = &part[i..j];
                if is_word(w) || self.is_lure(w) {
                    ok[j] = true;
                }
            }
        })
    }

    fn rest(&self, before: &str, after: &str) -> Rest {
        // At most one letter, digits aside (`a701` of `openseaa701`).
        let stray = |p: &str| p.bytes().filter(|b| !b.is_ascii_digit()).count() <= 1;
        // Lure words with a letter among them, not digits alone.
        let word_lure = |p: &str| self.part_is_lure(p) && p.bytes().any(|b| !b.is_ascii_digit());
        if before.is_empty() && after.is_empty() {
            Rest::None
        } else if self.part_is_lure(before) && self.part_is_lure(after) {
            Rest::Lure
        } else if (word_lure(before) && stray(after)) || (stray(before) && word_lure(after)) {
            // A lure word on one side and a stray letter on the other (`loginkrakenn`,
            // `bonusbitfinexc`): the doubled or slipped letter does not hide the lure.
            Rest::Lure
        } else if (before.is_empty()
            && after.len() >= 4
            && after.as_bytes()[0].is_ascii_lowercase()
            && word_lure(&after[1..]))
            || (after.is_empty()
                && before.len() >= 4
                && before.as_bytes()[before.len() - 1].is_ascii_lowercase()
                && word_lure(&before[..before.len() - 1]))
        {
            // A letter joining the name to a lure word (`cryptoxcash`, `geminixfund`,
            // `cryptonback`): the lure word is there, behind one letter.
            Rest::Lure
        } else if stray(before) && stray(after) {
            Rest::Filler
        } else {
            Rest::Other
        }
    }

    fn brand_name(&self, k: &Keyword) -> String {
        self.brands[k.brand].name.clone()
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &self,
        out: &mut Findings,
        lc: &LabelCtx<'_, '_>,
        rule: Rule,
        base: RiskLevel,
        k: &Keyword,
        part: &str,
        distance: Option<u32>,
        lure_spent: bool,
        message: String,
    ) {
        if base == RiskLevel::None {
            return;
        }
        let mut level = base;
        let mut escalated_by = None;
        // Raise one level (medium to high, high to very high) by a signal that did not
        // already make the level.
        if base < RiskLevel::VeryHigh
            && let Some(by) = self.signal(
                lc,
                part,
                lure_spent,
                rule != Rule::NearTypo,
                !matches!(rule, Rule::Typo | Rule::NearTypo),
            )
        {
            level = if base == RiskLevel::High {
                RiskLevel::VeryHigh
            } else {
                RiskLevel::High
            };
            escalated_by = Some(by);
        }
        let mut message = message;
        // Undecided by the rules: an ordinary-word brand joined to a word that is no lure word
        // (not an English word containing the name: `cryptogram` is that word), nothing but an
        // abused TLD, if anything, about the host raising it. The learned word model decides,
        // and says why: it raises a caution whose words score like phishing hosts', and keeps
        // an abused TLD from raising one whose words score as far the other way, like
        // allowlisted names' (`buycrypto.work`).
        let undecided = base == RiskLevel::Medium
            && self.word_model
            && k.generic
            && matches!(
                rule,
                Rule::BrandToken
                    | Rule::BrandEmbedded
                    | Rule::BrandOtherSuffix
                    | Rule::BrandInSubdomain
            )
            && (part == k.text || !is_word(part));
        let by_tld = escalated_by
            .as_deref()
            .is_some_and(|b| b.starts_with("abused TLD"));
        let score = || super::word_model::score(&lc.tokens, &k.text);
        if undecided && (level == RiskLevel::Medium || by_tld) {
            let s = score();
            if level == RiskLevel::Medium && s.raises() {
                level = RiskLevel::High;
                escalated_by = Some(s.explain());
            } else if by_tld && s.vetoes() {
                level = RiskLevel::Medium;
                message = format!(
                    "{message}; {} not counted: {}",
                    escalated_by.take().unwrap_or_default(),
                    s.explain()
                );
            }
        }
        // What an abused TLD alone does not raise either: a near miss of a name made of ordinary
        // words (`metalmark.xyz`, `peansea.store`: other compounds of words), and an
        // ordinary-word name behind two or three letters and nothing else (`bccrypto.club`,
        // `trcrypto.live`: initials or a short word before a word are how companies name
        // themselves). The word model may still raise the latter, as any undecided name.
        let initials = || {
            part.len() >= k.text.len() + 2
                && part.len() <= k.text.len() + 3
                && part.ends_with(k.text.as_str())
                && part.bytes().all(|c| c.is_ascii_lowercase())
        };
        let tld_only = escalated_by
            .as_deref()
            .is_some_and(|b| b.starts_with("abused TLD"));
        if tld_only
            && ((rule == Rule::NearTypo && k.compound)
                || (k.generic && rule == Rule::BrandEmbedded && initials()))
        {
            level = base;
            message = format!(
                "{message}; {} not counted: {}",
                escalated_by.take().unwrap_or_default(),
                if rule == Rule::NearTypo {
                    "a near miss of a name made of words is often another compound of words"
                } else {
                    "two or three letters before an ordinary word are a company's initials as often as a lure"
                }
            );
            if undecided {
                let s = score();
                if s.raises() {
                    level = RiskLevel::High;
                    escalated_by = Some(s.explain());
                }
            }
        }
        out.push(Reason {
            rule,
            level,
            brand: Some(self.brand_name(k)),
            matched: Some(k.text.clone()),
            part: part.to_owned(),
            distance,
            escalated_by,
            message,
        });
    }

    fn label_rules(&self, label_ascii: &str, pos: Pos, ctx: &Ctx<'_>, out: &mut Findings) {
        let uni = label_to_unicode(label_ascii);
        if !uni.is_ascii() {
            self.script_rules(&uni, out);
        }
        let tokens: Vec<&str> = uni.split(['-', '_']).filter(|t| !t.is_empty()).collect();
        let lc = LabelCtx {
            ctx,
            tokens: tokens.clone(),
            pos,
            glued: std::cell::RefCell::new(None),
            my: std::cell::Cell::new(false),
            near_only: std::cell::RefCell::new(Vec::new()),
        };
        let single = tokens.len() == 1;
        let mut matched: HashSet<usize> = HashSet::new();
        let sub = pos == Pos::Subdomain;
        for tok in &tokens {
            if tok.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let skel = self.skeleton(tok);
            // 1. Exact keyword token.
            if let Some(ids) = self.exact.get(*tok) {
                for &i in ids {
                    let k = &self.keywords[i];
                    matched.insert(i);
                    let (rule, base, msg) = if sub {
                        (
                            Rule::BrandInSubdomain,
                            self.generic_level(k, &lc, RiskLevel::High),
                            format!(
                                "subdomain label uses the {} name `{}`",
                                self.brand_name(k),
                                k.text
                            ),
                        )
                    } else if single {
                        (
                            Rule::BrandOtherSuffix,
                            self.generic_level(k, &lc, RiskLevel::High),
                            format!(
                                "`{}` is {}'s name on a domain {} does not use",
                                k.text,
                                self.brand_name(k),
                                self.brand_name(k)
                            ),
                        )
                    } else {
                        (
                            Rule::BrandToken,
                            self.generic_level(k, &lc, RiskLevel::High),
                            format!(
                                "label contains the {} name `{}` as a word",
                                self.brand_name(k),
                                k.text
                            ),
                        )
                    };
                    // An ordinary-word name beside a word with a number at its end
                    // (`kraken-send55`, `gemini-lander2`): a phishing batch's numbering; real
                    // names number the name or a product, not a word put beside the name.
                    let numbered = lc
                        .tokens
                        .iter()
                        .find(|t| **t != *tok && is_numbered_word(t))
                        .filter(|_| k.generic && base == RiskLevel::Medium);
                    let (base, msg) = match numbered {
                        Some(t) => (
                            RiskLevel::High,
                            format!("{msg}, beside the numbered word `{t}`"),
                        ),
                        None => (base, msg),
                    };
                    let spent = k.generic && base == RiskLevel::High && numbered.is_none();
                    // Say which lure word made an ordinary word count when it is misspelt.
                    let misspelt = if spent && !self.has_strong_lure(&lc) {
                        lc.tokens.iter().find_map(|t| self.misspelt_lure(t))
                    } else {
                        None
                    };
                    let msg = match misspelt {
                        Some((t, w)) => {
                            format!("{msg}, beside `{t}` (the lure word `{w}` misspelt)")
                        }
                        None => msg,
                    };
                    self.emit(out, &lc, rule, base, k, tok, None, spent, msg);
                }
            }
            // 2. Confusable with a keyword as a whole.
            if let Some(ids) = self.skeleton_exact.get(&skel) {
                for &i in ids {
                    let k = &self.keywords[i];
                    if matched.insert(i) {
                        let base = k.whole_name_level();
                        let msg = format!(
                            "`{tok}` is confusable with the {} name `{}` (UTS #39 skeleton `{}`)",
                            self.brand_name(k),
                            k.text,
                            k.skeleton
                        );
                        self.emit(out, &lc, Rule::Homoglyph, base, k, tok, None, false, msg);
                    }
                }
            }
            // 3. Keyword inside a longer token.
            for m in self.ac_raw.find_overlapping_iter(*tok) {
                let i = m.pattern().as_usize();
                if matched.contains(&i) {
                    continue;
                }
                let k = &self.keywords[i];
                if is_doubled_end(tok, &k.text) {
                    continue; // `krakenn`, `lledger`: a typo, for the typo rules
                }
                let rest = self.rest(&tok[..m.start()], &tok[m.end()..]);
                let at_edge = m.start() == 0 || m.end() == tok.len();
                let base =
                    self.embedded_level(k, rest, at_edge, || crosses_word(tok, m.start(), m.end()));
                // A name made of words, one letter short of the length where any embedding
                // counts (`uniswap`, `opensea`), joined to whole English words
                // (`uniswapbalance`, `newuniswap`): named like a service of the brand, as
                // longer names are. Not where a word runs across the name's edge
                // (`openseason`) or the rest is no word (`opensearch`, `uniswapex`).
                let base = if k.compound
                    && base == RiskLevel::Medium
                    && rest == Rest::Other
                    && k.text.len() + 1 == self.policy.embed_any_min_len
                    && self.part_is_words(&tok[..m.start()])
                    && self.part_is_words(&tok[m.end()..])
                    && !crosses_word(tok, m.start(), m.end())
                {
                    RiskLevel::High
                } else {
                    base
                };
                // A name made of words followed by version tags (`v2`) and lure words, two tags
                // or a tag and a lure word (`uniswapv1v2`, `uniswapv2claim`): a real service
                // names one version of its product (`uniswapv3book`), not a pair of them.
                let base = if k.compound
                    && base == RiskLevel::Medium
                    && rest == Rest::Other
                    && m.start() == 0
                    && self.versions_and_lures(&tok[m.end()..])
                {
                    RiskLevel::High
                } else {
                    base
                };
                // An English word that happens to contain the name (`crabby` around `rabby`)
                // is that word: a caution at most, unless the rest is lure words.
                let base = if rest != Rest::Lure && is_word(tok) {
                    base.min(RiskLevel::Medium)
                } else {
                    base
                };
                // An ordinary-word name with a stray letter and a number (`tgemini287`): real
                // names put a number after a name or a word, not after a slipped letter.
                let base = if k.generic && rest == Rest::Filler && digit_count(tok) >= 2 {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                // An ordinary-word name in a longer token that starts or ends with a lure word
                // of five letters or more (`kittycryptogangofficial`, `cryptobaseconnect`,
                // `mycryptoethwallet`): the lure is glued on with another word between.
                let base = if k.generic
                    && rest == Rest::Other
                    && (self.ends_with_lure(&tok[m.end()..])
                        || self.starts_with_lure(&tok[..m.start()]))
                {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                // An ordinary-word name joined to a word with a number at the token's end
                // (`cryptoclub247`, `gemininews35`), as beside a numbered word above.
                let numbered = k.generic
                    && (is_numbered_word(&tok[m.end()..])
                        || (m.start() >= 2
                            && tok[..m.start()].bytes().all(|b| b.is_ascii_lowercase())
                            && tok[m.end()..].bytes().all(|b| b.is_ascii_digit())
                            && m.end() < tok.len()));
                let base = if numbered {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                // An ordinary-word name behind a `my` misspelt by one letter put in
                // (`myrcrypto`, `meycrypto`): a misspelling of a `my…` wallet's name, not a
                // company's initials (`mrcrypto` changes a letter: another name).
                let base = if k.generic
                    && m.start() == 3
                    && is_misspelt_my(&tok[..3])
                    && tok[m.end()..].bytes().all(|b| b.is_ascii_digit())
                {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                // An ordinary-word name beside accented or look-alike letters that all read as
                // plain letters (`mẏcrypto`, `ḿycrypto`): the letters imitate a plain name.
                let base = if k.generic
                    && !tok.is_ascii()
                    && typo_fold(tok).is_some_and(|f| f.is_ascii() && !f.contains('?'))
                {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                if base > RiskLevel::None {
                    matched.insert(i);
                    let (rule, base) = if sub {
                        (Rule::BrandInSubdomain, base)
                    } else {
                        (Rule::BrandEmbedded, base)
                    };
                    let msg = format!(
                        "`{tok}` contains the {} name `{}`{}",
                        self.brand_name(k),
                        k.text,
                        match (rest, at_edge) {
                            (Rest::Lure, _) => " with lure words",
                            (Rest::Filler, _) => " with a stray letter",
                            (_, true) => " joined to another word",
                            _ => " inside another word",
                        }
                    );
                    let spent = k.generic && rest == Rest::Lure;
                    self.emit(out, &lc, rule, base, k, tok, None, spent, msg);
                }
            }
            // 4. Keyword inside the token only after confusable folding.
            if skel != *tok {
                for m in self.ac_skel.find_overlapping_iter(&skel) {
                    let i = m.pattern().as_usize();
                    if matched.contains(&i) {
                        continue;
                    }
                    let k = &self.keywords[i];
                    // The name is there in plain letters (`pphantom`): nothing is hidden, and
                    // the plain-text rules above (or the typo rule) decide.
                    if tok.contains(k.text.as_str()) {
                        continue;
                    }
                    let rest = self.rest(&skel[..m.start()], &skel[m.end()..]);
                    let at_edge = m.start() == 0 || m.end() == skel.len();
                    let base = match self.embedded_level(k, rest, at_edge, || false) {
                        RiskLevel::High if !k.generic => RiskLevel::VeryHigh,
                        // An ordinary word hidden behind accented or look-alike letters
                        // (`mycrỵpto`, `mycryptö`), or behind digits or `rn` for letters
                        // (`b0mbecrypt0`, `myethereurnwallet`): nobody writes a word so but
                        // to imitate.
                        l if l > RiskLevel::None => l.max(RiskLevel::High),
                        l => l,
                    };
                    if base > RiskLevel::None {
                        matched.insert(i);
                        let msg = format!(
                            "`{tok}` hides the {} name `{}` behind look-alike characters (skeleton `{skel}`)",
                            self.brand_name(k),
                            k.text
                        );
                        self.emit(
                            out,
                            &lc,
                            Rule::BrandObfuscated,
                            base,
                            k,
                            tok,
                            None,
                            k.generic && rest == Rest::Lure,
                            msg,
                        );
                    }
                }
            }
            // 5. Typos (of the folded form when the token is not ASCII: `bіnanse`), then of the
            // token's core without digits and lure words at its ends (`binnance24`,
            // `binnancewallet`).
            let lookalike = typo_fold(tok);
            let folded: &str = if tok.is_ascii() {
                tok
            } else if let Some(f) = lookalike.as_deref() {
                f
            } else {
                continue;
            };
            // Marks between letters (`l·edger`) dropped, the name itself: a homoglyph.
            if let Some(ids) = lookalike
                .as_deref()
                .filter(|_| !tok.is_ascii())
                .and_then(|f| self.exact.get(f))
            {
                for &i in ids {
                    let k = &self.keywords[i];
                    if matched.insert(i) {
                        let base = k.whole_name_level();
                        let msg = format!(
                            "`{tok}` is the {} name `{}` written with look-alike characters or marks",
                            self.brand_name(k),
                            k.text
                        );
                        self.emit(out, &lc, Rule::Homoglyph, base, k, tok, None, false, msg);
                    }
                }
            }
            // An ASCII token with `vv` or digits for letters, compared as the letters first (a
            // typo found there is stronger than a near miss of the raw spelling).
            if let Some(f) = lookalike.as_deref().filter(|_| tok.is_ascii()) {
                self.typo_rules(f, tok, &lc, &mut matched, out);
            }
            self.typo_rules(folded, tok, &lc, &mut matched, out);
            for c in self.cores(folded) {
                *lc.glued.borrow_mut() = c.glued.map(str::to_owned);
                lc.my.set(c.my);
                self.typo_rules(c.text, tok, &lc, &mut matched, out);
                lc.my.set(false);
                *lc.glued.borrow_mut() = None;
            }
            self.edge_typos(folded, &lc, &mut matched, out);
        }
        // 6. Keyword split by hyphens, alone or inside a longer label: `o-k-x`, `bi-nance`,
        // `meta-mask-wallet`. A weaker reason on one fragment (`nance` is two edits from
        // `binance`) does not stop it.
        if tokens.len() > 1 {
            let mut split_done: HashSet<usize> = HashSet::new();
            for start in 0..tokens.len() {
                for end in start + 2..=tokens.len().min(start + 4) {
                    let run = &tokens[start..end];
                    if run.iter().any(|t| t.bytes().all(|b| b.is_ascii_digit())) {
                        break;
                    }
                    let flat: String = run.concat();
                    let flat_skel = self.skeleton(&flat);
                    let shown = run.join("-");
                    for ids in [self.exact.get(&flat), self.skeleton_exact.get(&flat_skel)]
                        .into_iter()
                        .flatten()
                    {
                        for &i in ids {
                            let k = &self.keywords[i];
                            if !split_done.insert(i) {
                                continue;
                            }
                            matched.insert(i);
                            let base = k.whole_name_level();
                            let msg = format!(
                                "`{shown}` is the {} name `{}` split by hyphens",
                                self.brand_name(k),
                                k.text
                            );
                            self.emit(
                                out,
                                &lc,
                                Rule::BrandObfuscated,
                                base,
                                k,
                                &shown,
                                None,
                                false,
                                msg,
                            );
                        }
                    }
                    self.split_near(&flat, &shown, run, &lc, &mut matched, &mut split_done, out);
                }
            }
        }
    }

    /// A distinctive name of seven letters or more (compounds: eight) split by a hyphen and
    /// either misspelt by the tolerated edits (`myethre-wallet`, `b-nance`, `ether-wallet`) or
    /// continued past its end (`binan-ceh`, `trust-wallets`, `myether-walletcorp`): the
    /// hyphen hides the name from the whole-token rules.
    #[allow(clippy::too_many_arguments)]
    fn split_near(
        &self,
        flat: &str,
        shown: &str,
        run: &[&str],
        lc: &LabelCtx<'_, '_>,
        matched: &mut HashSet<usize>,
        split_done: &mut HashSet<usize>,
        out: &mut Findings,
    ) {
        if !flat.is_ascii() {
            return;
        }
        for (i, k) in self.keywords.iter().enumerate() {
            let len = k.text.len();
            let min = if k.compound {
                self.policy.embed_any_min_len
            } else {
                7
            };
            if k.generic
                || len < min
                || (matched.contains(&i) && !lc.near_only.borrow().contains(&i))
                || split_done.contains(&i)
                || flat.as_bytes()[0] != k.text.as_bytes()[0]
            {
                continue;
            }
            // The name starts the run and runs across a hyphen.
            let across = flat.starts_with(k.text.as_str())
                && run[0].len() < len
                && !run.iter().any(|t| t.contains(k.text.as_str()));
            let tol = self.tolerance(len);
            let d = if across || flat.len().abs_diff(len) > tol {
                0
            } else {
                strsim::osa_distance(flat, &k.text)
            };
            if !across && (d == 0 || d > tol || is_word(flat) || is_other_compound(flat, &k.text)) {
                continue;
            }
            split_done.insert(i);
            matched.insert(i);
            let (rule, msg) = if across {
                (
                    Rule::BrandObfuscated,
                    format!(
                        "`{shown}` begins with the {} name `{}` split by hyphens",
                        self.brand_name(k),
                        k.text
                    ),
                )
            } else {
                (
                    Rule::Typo,
                    format!(
                        "`{shown}` joined is {d} edit{} away from the {} name `{}`",
                        if d == 1 { "" } else { "s" },
                        self.brand_name(k),
                        k.text
                    ),
                )
            };
            let distance = (!across).then_some(d as u32);
            self.emit(
                out,
                lc,
                rule,
                RiskLevel::High,
                k,
                shown,
                distance,
                false,
                msg,
            );
        }
    }

    /// The token without digits and lure words at its ends, if that differs from the token
    /// and is long enough to be a brand's name with a typo, with the lure word cut off (a
    /// phishing signal of its own: `claimiox`, `binnancewallet`), and whether a possessive
    /// `my` was cut off its start (`myetereumwallet` → `etereum`).
    fn cores<'t>(&self, tok: &'t str) -> Vec<Core<'t>> {
        let mut out = Vec::new();
        if !tok.is_ascii() {
            return out;
        }
        let core = |text, glued, my| Core { text, glued, my };
        let t = tok.trim_matches(|c: char| c.is_ascii_digit());
        if t.len() >= 4 && t.len() < tok.len() {
            out.push(core(t, None, false));
        }
        // A `www` written into the name (`wwwmetmaskverification`): what follows it, and that
        // without its lure words too.
        let www = (t.len() > 6 && t.starts_with("www")).then(|| &t[3..]);
        if let Some(w) = www {
            out.push(core(w, Some(&t[..3]), false));
        }
        // A possessive `my` before a misspelt name (`myetereumwallet`, `mycryipto`): wallet
        // sites are named `my…` (`myetherwallet`, `mycrypto`), and so are their imitations.
        // A `my` misspelt by one letter put in (`meythereumwallet`, `myrcrypto`) is the same
        // possessive, misspelt like the name after it.
        let my = if t.len() > 6 && t.starts_with("my") {
            Some(&t[2..])
        } else {
            (t.len() > 7 && is_misspelt_my(&t[..3])).then(|| &t[3..])
        };
        if let Some(m) = my {
            out.push(core(m, None, true));
        }
        for (t, is_my) in [(Some(t), false), (www, false), (my, true)] {
            let Some(t) = t.filter(|t| t.len() > 5) else {
                continue;
            };
            // Lure words at the start or end: `binnancewallet` → `binnance`. Behind a lure word
            // of four letters or more, two letters are left too: one edit from a three-letter
            // name (`updatehx`, `connectox`), they are what the lure word is glued to.
            // Lure words at both ends (`connectledgelive` → `ledge`): what they wrap, five
            // letters or more.
            let (mut heads, mut tails) = (Vec::new(), Vec::new());
            for m in self.ac_lure.find_overlapping_iter(t) {
                let (a, b) = (m.start(), m.end());
                let min = if b - a >= 4 { 2 } else { 3 };
                if a == 0 && t.len() - b >= min {
                    out.push(core(&t[b..], Some(&t[..b]), is_my));
                    heads.push(b);
                }
                if b == t.len() && a >= min {
                    out.push(core(&t[..a], Some(&t[a..]), is_my));
                    tails.push(a);
                }
            }
            for &b in &heads {
                for &a in tails.iter().filter(|&&a| a >= b + 5) {
                    out.push(core(&t[b..a], Some(&t[..b]), is_my));
                }
            }
        }
        out
    }

    /// A distinctive name of seven letters or more misspelt by one edit at the start or the end
    /// of a longer token, the rest of it three letters or more (`binanctlabsinfo`,
    /// `bintrustwailet`, `metmaskslogi`): the window starts with the name's first letter and is
    /// no English word. Coined names of 7 letters, compounds of 8 (as for embeddings).
    fn edge_typos(
        &self,
        tok: &str,
        lc: &LabelCtx<'_, '_>,
        matched: &mut HashSet<usize>,
        out: &mut Findings,
    ) {
        let n = tok.len();
        if !tok.is_ascii() || n < 9 || lc.pos == Pos::Subdomain {
            return;
        }
        let brands: Vec<usize> = matched.iter().map(|&i| self.keywords[i].brand).collect();
        for (i, k) in self.keywords.iter().enumerate() {
            let len = k.text.len();
            let min = if k.compound {
                self.policy.embed_any_min_len
            } else {
                7
            };
            if k.generic || len < min || matched.contains(&i) || brands.contains(&k.brand) {
                continue;
            }
            let first = k.text.as_bytes()[0];
            let hit = (len - 1..=len + 1).find_map(|w| {
                if w + 3 > n {
                    return None;
                }
                [(0, w), (n - w, n)].into_iter().find_map(|(a, b)| {
                    let win = &tok[a..b];
                    let rest = if a == 0 { &tok[b..] } else { &tok[..a] };
                    let ok = win.as_bytes()[0] == first
                        && rest.bytes().filter(|c| !c.is_ascii_digit()).count() >= 3
                        && !win.contains(k.text.as_str())
                        && bag_distance(win, &k.text) <= 1
                        && !is_word(win)
                        && strsim::osa_distance(win, &k.text) == 1;
                    ok.then_some((win, rest))
                })
            });
            let Some((win, rest)) = hit else {
                continue;
            };
            matched.insert(i);
            let lure = self.part_is_lure(rest) && rest.bytes().any(|c| !c.is_ascii_digit());
            *lc.glued.borrow_mut() = lure.then(|| rest.to_owned());
            let msg = format!(
                "`{tok}` {} `{win}`, one edit from the {} name `{}`",
                if tok.starts_with(win) {
                    "starts with"
                } else {
                    "ends with"
                },
                self.brand_name(k),
                k.text
            );
            self.emit(
                out,
                lc,
                Rule::Typo,
                RiskLevel::High,
                k,
                tok,
                Some(1),
                false,
                msg,
            );
            *lc.glued.borrow_mut() = None;
        }
    }

    /// Level of a generic keyword given the lure words of its label and of the registrable
    /// label (distinctive keywords: `base`).
    fn generic_level(&self, k: &Keyword, lc: &LabelCtx<'_, '_>, base: RiskLevel) -> RiskLevel {
        if !k.generic {
            return base;
        }
        let strong =
            self.has_strong_lure(lc) || lc.tokens.iter().any(|t| self.misspelt_lure(t).is_some());
        if strong {
            RiskLevel::High
        } else {
            RiskLevel::Medium
        }
    }

    /// Whether the label, or the registrable label, has a lure word of three letters or more.
    fn has_strong_lure(&self, lc: &LabelCtx<'_, '_>) -> bool {
        lc.tokens.iter().any(|t| self.token_is_strong_lure(t))
            || lc
                .ctx
                .lure(self)
                .is_some_and(|t| self.token_is_strong_lure(t))
    }

    /// A token of six letters or more that is no English word and one edit from a lure word of
    /// six letters or more (`airdop`, `givaway`): phishing hosts misspell their lure words too.
    /// Returns the token and the lure word.
    fn misspelt_lure<'t>(&'t self, tok: &'t str) -> Option<(&'t str, &'t str)> {
        if tok.len() < 6
            || !tok.bytes().all(|c| c.is_ascii_lowercase())
            || is_word(tok)
            || self.is_lure(tok)
        {
            return None;
        }
        self.long_lures
            .iter()
            .find(|w| {
                w.len().abs_diff(tok.len()) <= 1
                    && bag_distance(w, tok) <= 1
                    && strsim::osa_distance(w, tok) == 1
            })
            .map(|w| (tok, w.as_str()))
    }

    /// Level of a keyword inside a token: `rest` is what surrounds it, `at_edge` whether it
    /// starts or ends the token.
    ///
    /// `crosses`: an English word runs across the name's edge (`compare` in `cryptocompare`,
    /// `search` in `opensearch`): the name is then part of another word, and its length alone
    /// does not make it high.
    /// (Computed only when the keyword's length would decide.)
    fn embedded_level(
        &self,
        k: &Keyword,
        rest: Rest,
        at_edge: bool,
        crosses: impl Fn() -> bool,
    ) -> RiskLevel {
        match (k.generic, rest) {
            (_, Rest::None) => RiskLevel::High,
            (true, Rest::Lure) => RiskLevel::High,
            // An ordinary word joined to another (`ledgernow`, `krakens`): a caution that
            // shared hosting, an abused TLD or a lure word elsewhere raises.
            (true, _) => RiskLevel::Medium,
            (false, Rest::Lure | Rest::Filler) => RiskLevel::High,
            (false, Rest::Other) if at_edge && !k.compound => RiskLevel::High,
            (false, Rest::Other) if k.text.len() >= self.policy.embed_any_min_len && !crosses() => {
                RiskLevel::High
            }
            (false, Rest::Other) => RiskLevel::Medium,
        }
    }

    fn tolerance(&self, len: usize) -> usize {
        if len >= self.policy.typo2_min_len {
            2
        } else if len >= self.policy.typo1_min_len {
            1
        } else {
            0
        }
    }

    /// Typo rules: `tok` is compared (ASCII, folded), `part` is what the reason shows.
    fn typo_rules(
        &self,
        tok: &str,
        part: &str,
        lc: &LabelCtx<'_, '_>,
        matched: &mut HashSet<usize>,
        out: &mut Findings,
    ) {
        let n = tok.len();
        let tok_mask = letter_mask(tok);
        let lo = n.saturating_sub(3).max(3);
        let hi = (n + 3).min(self.by_len.len() - 1);
        if lo > hi || self.token_is_lure(tok) {
            return;
        }
        // A token that is itself a protected name (`okx`) is that brand, not a typo of
        // another (`htx`).
        if n < self.by_len.len() && self.by_len[n].iter().any(|&i| self.keywords[i].text == tok) {
            return;
        }
        // A core left after cutting a glued lure word (`coin` of `coincheck`, `box` of
        // `dropbox`) is usually an ordinary word: only a real typo of a name counts there,
        // never a near miss two edits away.
        let core = lc.glued.borrow().is_some() || lc.my.get();
        // A brand already matched on this token (`crypto` for Crypto.com) is not matched again
        // by a weaker rule through another of its keywords (`cryptocom`).
        let near_only = lc.near_only.borrow().clone();
        let brands: Vec<usize> = matched
            .iter()
            .filter(|&&i| !self.keywords[i].generic && !near_only.contains(&i))
            .map(|&i| self.keywords[i].brand)
            .collect();
        for len in lo..=hi {
            for &i in &self.by_len[len] {
                // A near miss of the whole token may still be a real typo of its core.
                let upgrade = near_only.contains(&i);
                if (matched.contains(&i) && !upgrade) || brands.contains(&self.keywords[i].brand) {
                    continue;
                }
                let k = &self.keywords[i];
                let tol = self.tolerance(len);
                let near = self.policy.near_typo && len >= self.policy.near_typo_min_len;
                // Short names (3–4 letters): one edit of any kind is a caution; two only count
                // where the host gives a phishing signal.
                let short = tol == 0;
                let max = if near || short { tol + 1 } else { tol.max(1) };
                let max = if short { 2 } else { max };
                // Another brand already matched here (`0kx` is OKX by its homoglyph): only a
                // real typo of this one counts, never a near miss (`htx`).
                // Except a short name's spelling glued to a lure word of four letters or more
                // that keeps two of the name's letters and is no English word (`claimiox`,
                // `supportlxk`, `recoverypkxx`): a name of three letters has no word inside it
                // to be mistaken for (`box` of `dropbox` is a word; `ol`, `pk`, two letters,
                // are most two-letter strings and stay out).
                let short_core = short
                    && brands.is_empty()
                    && n >= 3
                    && lc.glued.borrow().as_ref().is_some_and(|g| g.len() >= 4)
                    && (tok_mask & k.mask).count_ones() >= 2
                    && !is_word(tok);
                let max = if (core && !short_core) || !brands.is_empty() {
                    max.min(tol.max(1))
                } else {
                    max
                };
                // Cheap lower bounds first: length difference, then letters one word lacks.
                let missing = (k.mask & !tok_mask)
                    .count_ones()
                    .max((tok_mask & !k.mask).count_ones());
                if n.abs_diff(len) > max
                    || missing as usize > max
                    || bag_distance(tok, &k.text) > max
                {
                    continue;
                }
                let d = strsim::osa_distance(tok, &k.text);
                // Two letters swapped beside another edit (`cryop`, `krank`, `tbget`: `crypto`
                // with `t` dropped and `p`, `o` swapped) is two slips, not three: the swap is
                // counted as one edit even where the other edit touches it (unrestricted
                // Damerau distance), for names of five letters or more. Computed only for the
                // few tokens just out of reach.
                let d = if d == max + 1 && len >= self.policy.near_typo_min_len {
                    strsim::damerau_levenshtein(tok, &k.text)
                } else {
                    d
                };
                if d == 0 || d > max || (upgrade && d > tol) {
                    continue;
                }
                // After a possessive `my`, a changed first letter is another name
                // (`mykrypto`), not a misspelt one.
                if lc.my.get()
                    && n == len
                    && tok.as_bytes()[0] != k.text.as_bytes()[0]
                    && tok.as_bytes()[1..] == k.text.as_bytes()[1..]
                {
                    continue;
                }
                // Another compound of real words (`metacash`, `openswap` beside `metamask`,
                // `opensea`): at most a caution, and no near miss at all.
                let other = is_other_compound(tok, &k.text);
                if other && d > tol {
                    continue;
                }
                // A keyword with a letter added at an end is an embedding (`hledger`), decided
                // by the embedding rules, unless the letter doubles its neighbour (`pphantom`).
                if tok.contains(k.text.as_str()) && !is_doubled_end(tok, &k.text) {
                    continue;
                }
                let sub = lc.pos == Pos::Subdomain;
                let typing = d == 1 && is_typing_slip(tok, &k.text);
                let (rule, base) = if short {
                    if d == 1 && typing && is_insert_or_swap(tok, &k.text) {
                        (
                            Rule::Typo,
                            if sub {
                                RiskLevel::Medium
                            } else {
                                RiskLevel::High
                            },
                        )
                    } else if d == 1 || (n.abs_diff(len) <= 1 && n >= 3) {
                        // `okz`, `htc`: real names are this close too; context decides.
                        if d == 2 && self.signal(lc, part, false, false, false).is_none() {
                            continue;
                        }
                        (Rule::NearTypo, RiskLevel::Medium)
                    } else {
                        continue;
                    }
                } else if d <= tol {
                    // A different first letter (`finance` / `binance`) is how real words
                    // differ from a name, not how people mistype it; so are edits no finger
                    // makes on names of up to 6 letters (`trevor` / `trezor`) — when the
                    // result is a word. A letter left out or a key nobody types by mistake
                    // that gives no word (`krken`, `bybt`, `tezor`) is a typosquat's spelling.
                    // A compound that shares a part with the name and ends in another word
                    // (`metamark`, `openset`, `ethercat`) is another name.
                    let word = is_word(tok);
                    let first = d == 1
                        && n == len
                        && tok.as_bytes()[0] != k.text.as_bytes()[0]
                        && tok.as_bytes()[1..] == k.text.as_bytes()[1..]
                        && word;
                    let untyped = d == 1 && len <= 6 && !typing && word;
                    // A number beside the spelling (`ledge997`, `crypt-27`): a word that sits
                    // one edit from a name is not numbered like a typosquat's batch. (Not for
                    // a first-letter change: `finance24` is a finance site.)
                    let numbered = !sub
                        && !first
                        && !other
                        && ((part.len() >= tok.len() + 2
                            && part.trim_matches(|c: char| c.is_ascii_digit()) == tok)
                            || lc
                                .tokens
                                .iter()
                                .any(|t| t.len() >= 2 && digit_count(t) == t.len()));
                    // A subdomain label one edit from a long name (`myetherwalet.heliohost.org`)
                    // is as deliberate as the registrable label: no site names its parts so.
                    let sub_short = sub && len < self.policy.embed_any_min_len;
                    let base = if (sub_short || first || untyped || other) && !numbered {
                        RiskLevel::Medium
                    } else {
                        RiskLevel::High
                    };
                    (Rule::Typo, base)
                } else if near && d == tol + 1 {
                    (Rule::NearTypo, RiskLevel::Medium)
                } else {
                    continue;
                };
                // A name written with look-alike characters or digits for letters (`ledgeꞅ`,
                // `myetherwa11et`) is deliberate however far the spelling strays: high. So is
                // a near miss of a name of five letters or more that no English word explains
                // put on shared hosting (`kucoiim.firebaseapp.com`): hosted projects are named
                // with words, typosquats with broken names.
                let deliberate =
                    (!part.is_ascii() || !part.contains(tok)) && len >= self.policy.typo1_min_len;
                let hosted_near = rule == Rule::NearTypo
                    && !short
                    && !core
                    && !sub
                    && lc.ctx.shared_hosting.is_some()
                    && !is_word(tok);
                // Three edits from a name of eleven letters or more, none of them cutting it
                // shorter (`myetherumwalet`), leave all of it standing: no real name is that
                // close by chance (`myetpwallet`, a shorter compound, is another name).
                let long_near = rule == Rule::NearTypo && len >= 11 && n + 1 >= len && !sub;
                // A near miss that keeps every letter of a name not made of words, in order,
                // with stray letters put in (`bilinance`, `trezzorr`, `lkralken`): the whole
                // name is still there to read, padded, and no English word explains it. (A
                // compound padded at its seam is another compound: `openbisea`.)
                let padded = rule == Rule::NearTypo
                    && !short
                    && !sub
                    && !k.compound
                    && n == len + d
                    && is_subsequence(&k.text, tok)
                    && !is_word(tok);
                let base = if deliberate || hosted_near || long_near || padded {
                    base.max(RiskLevel::High)
                } else {
                    base
                };
                matched.insert(i);
                if rule == Rule::NearTypo {
                    lc.near_only.borrow_mut().push(i);
                } else if upgrade {
                    lc.near_only.borrow_mut().retain(|&x| x != i);
                }
                let msg = format!(
                    "`{tok}` is {d} edit{} away from the {} name `{}`",
                    if d == 1 { "" } else { "s" },
                    self.brand_name(k),
                    k.text
                );
                self.emit(out, lc, rule, base, k, part, Some(d as u32), false, msg);
            }
        }
    }

    fn script_rules(&self, label: &str, out: &mut Findings) {
        if !label.is_single_script() {
            out.push(Reason {
                rule: Rule::MixedScript,
                level: RiskLevel::Medium,
                brand: None,
                matched: None,
                part: label.to_owned(),
                distance: None,
                escalated_by: None,
                message: format!(
                    "`{label}` mixes writing systems (UTS #39 single-script test fails)"
                ),
            });
        }
        let skel = skeleton_lower(label);
        if skel.is_ascii() {
            out.push(Reason {
                rule: Rule::AsciiLookalike,
                level: RiskLevel::Medium,
                brand: None,
                matched: Some(skel.clone()),
                part: label.to_owned(),
                distance: None,
                escalated_by: None,
                message: format!(
                    "`{label}` is made of characters that look like the ASCII name `{skel}`"
                ),
            });
        }
    }

    fn userinfo_rules(&self, ui: &str, out: &mut Findings) {
        let lower = ui.to_lowercase();
        let hit = self
            .official_hosts
            .iter()
            .find(|(h, _)| lower.contains(h.as_str()))
            .map(|(h, b)| (h.clone(), *b))
            .or_else(|| {
                self.ac_raw
                    .find_iter(&lower)
                    .map(|m| &self.keywords[m.pattern().as_usize()])
                    .find(|k| !k.generic)
                    .map(|k| (k.text.clone(), k.brand))
            });
        if let Some((matched, b)) = hit {
            out.push(Reason {
                rule: Rule::UserinfoBrand,
                level: RiskLevel::VeryHigh,
                brand: Some(self.brands[b].name.clone()),
                message: format!(
                    "the URL puts `{matched}` before an `@`: browsers treat it as a user name and go to the host after it"
                ),
                matched: Some(matched),
                part: ui.to_owned(),
                distance: None,
                escalated_by: None,
            });
        } else if lower.contains('.') {
            out.push(Reason {
                rule: Rule::UserinfoHost,
                level: RiskLevel::Medium,
                brand: None,
                matched: None,
                part: ui.to_owned(),
                distance: None,
                escalated_by: None,
                message: "the URL puts a host-like name before an `@`, hiding the real host".into(),
            });
        }
    }

    /// An official host shown at a label start but not being the site: `okx.com.evil.io`,
    /// `login.okx.com.evil.io`, `okx.com-login.site` (the registrable domain is `com-login.site`).
    fn official_in_subdomain(&self, host: &Host, out: &mut Findings) {
        let Some(reg) = host.registrable() else {
            return;
        };
        let ascii = host.ascii();
        let reg_start = ascii.len() - reg.len();
        for (h, b) in &self.official_hosts {
            let inside = ascii.match_indices(h.as_str()).any(|(i, _)| {
                let after = ascii.as_bytes().get(i + h.len()).copied();
                let label_start = i == 0 || ascii.as_bytes()[i - 1] == b'.';
                // Starts before the registrable domain and continues into another label, or
                // is the start of the registrable domain and continues into a longer public
                // suffix (`kraken.com.se`: the official `kraken.com` with `.se` added).
                // Digits glued to it (`ledger.com1628.support`) continue it the same way.
                label_start
                    && (i < reg_start && matches!(after, Some(b'.' | b'-' | b'0'..=b'9'))
                        || i == reg_start && after == Some(b'.'))
            });
            if inside {
                out.push(Reason {
                    rule: Rule::OfficialDomainInSubdomain,
                    level: RiskLevel::VeryHigh,
                    brand: Some(self.brands[*b].name.clone()),
                    matched: Some(h.clone()),
                    part: ascii[..reg_start.saturating_sub(1)].to_owned(),
                    distance: None,
                    escalated_by: None,
                    message: format!(
                        "{}'s domain `{h}` is only the start of the name here; the site is `{reg}`",
                        self.brands[*b].name
                    ),
                });
                return;
            }
        }
    }
}

/// Facts about the whole host the label rules use.
struct Ctx<'h> {
    host: &'h Host,
    /// First lure token of the registrable label; computed on first use.
    lure: std::cell::OnceCell<Option<String>>,
    /// The shared-hosting suffix, if the host is on one.
    shared_hosting: Option<String>,
    /// The TLD, if it is one of the abused ones.
    abused_tld: Option<String>,
}

impl Ctx<'_> {
    fn lure(&self, c: &DomainChecker) -> Option<&str> {
        self.lure.get_or_init(|| c.find_lure(self.host)).as_deref()
    }
}

/// One label being examined: its tokens and where it sits.
struct LabelCtx<'c, 'h> {
    ctx: &'c Ctx<'h>,
    tokens: Vec<&'c str>,
    pos: Pos,
    /// A lure word cut off the token whose core the typo rules are looking at.
    glued: std::cell::RefCell<Option<String>>,
    /// Whether a possessive `my` was cut off that core.
    my: std::cell::Cell<bool>,
    /// Keywords matched on this label only as a near miss: a core of the token may still
    /// match them as a real typo (`myeatherwalletr2` → `myeatherwalletr`).
    near_only: std::cell::RefCell<Vec<usize>>,
}

/// A token's core for the typo rules ([`DomainChecker::cores`]).
struct Core<'t> {
    text: &'t str,
    /// The lure word cut off it, if any.
    glued: Option<&'t str>,
    /// Whether a possessive `my` was cut off its start.
    my: bool,
}

#[derive(Default)]
struct Findings {
    reasons: Vec<Reason>,
}

impl Findings {
    /// One reason per rule and brand: the same near miss seen in a token and in its whole label
    /// (`okc` of `okc-claim`) is one finding, at the stronger of the two levels.
    fn push(&mut self, r: Reason) {
        match self.reasons.iter_mut().find(|x| {
            x.rule == r.rule && x.brand == r.brand && (x.brand.is_some() || x.matched == r.matched)
        }) {
            Some(x) if x.level < r.level => *x = r,
            Some(_) => {}
            None => self.reasons.push(r),
        }
    }
}

/// How many ASCII digits `s` has.
fn digit_count(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

/// Which of a–z, 0–9 occur in `s`.
pub(crate) fn letter_mask(s: &str) -> u64 {
    s.bytes().fold(0, |m, b| match b {
        b'a'..=b'z' => m | 1 << (b - b'a'),
        b'0'..=b'9' => m | 1 << (26 + b - b'0'),
        _ => m | 1 << 63,
    })
}

/// Lower bound of the edit distance: letters in one word missing from the other (multiset).
fn bag_distance(a: &str, b: &str) -> usize {
    let mut counts = [0i32; 128];
    for c in a.bytes() {
        counts[(c & 0x7f) as usize] += 1;
    }
    for c in b.bytes() {
        counts[(c & 0x7f) as usize] -= 1;
    }
    let (mut pos, mut neg) = (0i32, 0i32);
    for c in counts {
        if c > 0 {
            pos += c;
        } else {
            neg -= c;
        }
    }
    pos.max(neg) as usize
}

/// Whether an English word of `tok` runs across an edge of `tok[start..end]` with at least two
/// letters on each side of it (`compare` across `cryptocom|pare`; not `knew` across
/// `metamask|news`, which takes one letter of the name).
fn crosses_word(tok: &str, start: usize, end: usize) -> bool {
    if !tok.is_ascii() {
        return false;
    }
    let n = tok.len();
    let word = |a: usize, b: usize| b - a <= 8 && is_word(&tok[a..b]);
    let after = (start.max(end.saturating_sub(6))..end.saturating_sub(1))
        .any(|a| (end + 2..=n.min(a + 8)).any(|b| word(a, b)));
    let before = start >= 2
        && (start.saturating_sub(6)..=start - 2)
            .any(|a| (start + 2..=end.min(a + 8)).any(|b| word(a, b)));
    after || before
}

/// Whether `tok` is `kw` with its first or last letter doubled.
fn is_doubled_end(tok: &str, kw: &str) -> bool {
    let (t, k) = (tok.as_bytes(), kw.as_bytes());
    t.len() == k.len() + 1
        && ((t[1..] == *k && t[0] == k[0]) || (t[..k.len()] == *k && t[k.len()] == k[k.len() - 1]))
}

/// QWERTY neighbours of a lowercase letter.
fn keyboard_neighbours(c: u8) -> &'static [u8] {
    match c {
        b'q' => b"wa",
        b'w' => b"qeas",
        b'e' => b"wrsd",
        b'r' => b"etdf",
        b't' => b"ryfg",
        b'y' => b"tugh",
        b'u' => b"yihj",
        b'i' => b"uojk",
        b'o' => b"ipkl",
        b'p' => b"ol",
        b'a' => b"qwsz",
        b's' => b"awedxz",
        b'd' => b"serfcx",
        b'f' => b"drtgvc",
        b'g' => b"ftyhbv",
        b'h' => b"gyujnb",
        b'j' => b"huikmn",
        b'k' => b"jiolm",
        b'l' => b"kop",
        b'z' => b"asx",
        b'x' => b"zsdc",
        b'c' => b"xdfv",
        b'v' => b"cfgb",
        b'b' => b"vghn",
        b'n' => b"bhjm",
        b'm' => b"njk",
        _ => b"",
    }
}

/// Whether `tok` is one slip of the fingers from `kw` (distance 1 assumed): two adjacent
/// letters swapped, a letter doubled or one of a double dropped, or a letter replaced by, or
/// inserted next to, a key beside it. Other single edits (`trevor` / `trezor`) are how real
/// words differ from a name.
fn is_typing_slip(tok: &str, kw: &str) -> bool {
    let (t, k) = (tok.as_bytes(), kw.as_bytes());
    let near = |a: u8, b: u8| a == b || keyboard_neighbours(b).contains(&a);
    if t.len() == k.len() {
        let diff: Vec<usize> = (0..t.len()).filter(|&i| t[i] != k[i]).collect();
        match diff.as_slice() {
            [i] => near(t[*i], k[*i]),
            [i, j] => *j == i + 1 && t[*i] == k[*j] && t[*j] == k[*i],
            _ => false,
        }
    } else if t.len() == k.len() + 1 {
        // Inserted t[i]: typed next to a neighbour, or doubling one.
        (0..t.len()).any(|i| {
            t[..i] == k[..i]
                && t[i + 1..] == k[i..]
                && ((i > 0 && near(t[i], t[i - 1])) || (i + 1 < t.len() && near(t[i], t[i + 1])))
        })
    } else if t.len() + 1 == k.len() {
        // Dropped k[i]: one of a double.
        (0..k.len()).any(|i| {
            k[..i] == t[..i]
                && k[i + 1..] == t[i..]
                && ((i > 0 && k[i] == k[i - 1]) || (i + 1 < k.len() && k[i] == k[i + 1]))
        })
    } else {
        false
    }
}

/// Whether `t` is a word of two letters or more with a number at its end (`send55`,
/// `club247`, `lander2`; not `web3`, a lure word, decided as such).
fn is_numbered_word(t: &str) -> bool {
    let letters = t.bytes().take_while(u8::is_ascii_lowercase).count();
    letters >= 2 && letters < t.len() && t.bytes().skip(letters).all(|b| b.is_ascii_digit())
}

/// Whether `p` (three letters) is `my` with one letter put in after the `m` or after the `y`
/// (`mey`, `mmy`, `myr`), and no English word (`may`).
fn is_misspelt_my(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 3
        && b.iter().all(u8::is_ascii_lowercase)
        && b[0] == b'm'
        && (b[2] == b'y' || b[1] == b'y')
        && !is_word(p)
}

/// Whether the letters of `a` occur in `b` in the same order.
fn is_subsequence(a: &str, b: &str) -> bool {
    let mut it = b.bytes();
    a.bytes().all(|c| it.any(|x| x == c))
}

/// Whether `a` is `b` with one letter inserted, or with two adjacent letters swapped.
fn is_insert_or_swap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() == b.len() + 1 {
        (0..a.len()).any(|i| a[..i] == b[..i] && a[i + 1..] == b[i..])
    } else if a.len() == b.len() {
        let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        diff.len() == 2
            && diff[1] == diff[0] + 1
            && a[diff[0]] == b[diff[1]]
            && a[diff[1]] == b[diff[0]]
    } else {
        false
    }
}

/// Top-level-domain words that, as a token beside a brand's name, spell its official domain
/// into another name (`kraken-com.com`, `crypto-com.app`, `ethereum-org.net`).
const TLD_WORDS: &[&str] = &["com", "org", "net", "io"];

/// English inflections of a lure word that keep it a lure (`logins`, `claimed`, `rewarding`,
/// `doubler`, `promos`), marked in `ok` after a lure word ending at `j`: a plural or verb
/// ending, the same after a doubled final consonant (`winner`, `dropped`), and `r`/`rs`/`d`
/// after a final `e` (`doubler`, `updated`).
/// Whether `part` splits into runs of digits and pieces: `piece(i, ok)`, called for every `i`
/// that `part[..i]` reaches, sets `ok[j]` for each piece `part[i..j]` it accepts.
fn splits(part: &str, mut piece: impl FnMut(usize, &mut [bool])) -> bool {
    let b = part.as_bytes();
    let n = b.len();
    // ok[i]: part[..i] splits.
    let mut ok = vec![false; n + 1];
    ok[0] = true;
    for i in 0..n {
        if !ok[i] {
            continue;
        }
        let mut j = i;
        while j < n && b[j].is_ascii_digit() {
            j += 1;
            ok[j] = true;
        }
        piece(i, &mut ok);
    }
    ok[n]
}

fn inflect(b: &[u8], j: usize, ok: &mut [bool]) {
    const ENDINGS: &[&[u8]] = &[b"s", b"es", b"er", b"ers", b"ing", b"ed"];
    let rest = &b[j..];
    for e in ENDINGS {
        if rest.starts_with(e) {
            ok[j + e.len()] = true;
        }
        // A doubled final consonant: `win` → `winner`, `drop` → `dropped`.
        if e.len() > 1
            && j > 0
            && rest.first() == Some(&b[j - 1])
            && !b"aeiouy".contains(&b[j - 1])
            && rest[1..].starts_with(e)
        {
            ok[j + 1 + e.len()] = true;
        }
    }
    if j > 0 && b[j - 1] == b'e' {
        for e in [&b"r"[..], b"rs", b"d"] {
            if rest.starts_with(e) {
                ok[j + e.len()] = true;
            }
        }
    }
}

/// The forms of a lure verb that [`inflect`] cannot reach by adding an ending: a final `e`
/// dropped before `-ing` (`update` → `updating`, `secure` → `securing`), and the noun in `-ion`
/// of a verb in `-ate`, `-ect` or `-ize` (`validation`, `activation`, `connection`,
/// `protection`, `authorization`), with its plural. Lure words of five letters or more.
fn lure_forms(w: &str) -> Vec<String> {
    let mut out = Vec::new();
    if w.len() < 5 || !w.bytes().all(|c| c.is_ascii_lowercase()) {
        return out;
    }
    if let Some(stem) = w.strip_suffix('e') {
        out.push(format!("{stem}ing"));
        if stem.ends_with("at") {
            out.push(format!("{stem}ion"));
            out.push(format!("{stem}ions"));
        } else if stem.ends_with('z') {
            out.push(format!("{stem}ation"));
            out.push(format!("{stem}ations"));
        }
    } else if w.ends_with("ct") {
        out.push(format!("{w}ion"));
        out.push(format!("{w}ions"));
    }
    out
}

/// `www` as typed into a name, or one slip from it (`vww`, `wvww`, `swww`, `wwww`): at least
/// two `w` and otherwise `v`, with at most one other letter at an end; or `vwv` alone.
fn is_www_like(tok: &str) -> bool {
    let t = tok.as_bytes();
    if !(3..=5).contains(&t.len()) {
        return false;
    }
    let inner = |s: &[u8]| {
        s.len() >= 3
            && s.iter().all(|c| matches!(c, b'w' | b'v'))
            && s.iter().filter(|c| **c == b'w').count() >= 2
    };
    // Three letters alone, `v` around a `w` (`vwv-kraken`): `www` as a narrow font draws it.
    let narrow = t == b"vwv";
    narrow || inner(t) || inner(&t[1..]) || inner(&t[..t.len() - 1])
}

/// Whether `tok` is another compound sharing a part with the compound name `kw` rather than a
/// misspelling of it: `kw` splits into two words at some point, `tok` keeps one of them and
/// puts another word in place of the other (`metamark`, `openset`, `ethercat`, `everscan`
/// beside `metamask`, `opensea`, `etherscan`). The two differing words must not be one slip
/// apart: `pensea` (`open` with a letter left out) and `bitgte` stay typos.
fn is_other_compound(tok: &str, kw: &str) -> bool {
    if !tok.is_ascii() || tok.len() < 6 || kw.len() < 6 {
        return false;
    }
    let other_word = |t: &str, k: &str| {
        t != k && is_word(t) && is_word(k) && {
            let d = strsim::osa_distance(t, k);
            d >= 2 || (d == 1 && t.len() == k.len() && !is_typing_slip(t, k))
        }
    };
    let (t, k) = (tok.as_bytes(), kw.as_bytes());
    // The part kept must be a word of the name or its plural (`meta`, `sea`, `ethers`), not a
    // stub of it (`myetherwal` + `lat` is a typo of `myetherwallet`, not another compound).
    let part = |p: &str| is_word(p) || p.strip_suffix('s').is_some_and(is_word);
    (3..=kw.len() - 3).any(|i| {
        // Same first part `kw[..i]`, different second word.
        let head = t.len() > i + 2
            && t[..i] == k[..i]
            && part(&kw[..i])
            && other_word(&tok[i..], &kw[i..]);
        // Same last part `kw[i..]`, different first word.
        let m = k.len() - i;
        let tail = t.len() > m + 2
            && t[t.len() - m..] == k[i..]
            && part(&kw[i..])
            && other_word(&tok[..t.len() - m], &kw[..i]);
        head || tail
    })
}
