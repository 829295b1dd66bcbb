//! Domain checks (lists, look-alike rules), host parsing and the list importers, data-driven
//! through `check(input, expect)`.

use custodia_guard::{
    Category, DomainChecker, DomainEntry, Host, ListMeta, import_domain_json, import_domain_lines,
    import_metamask_config,
};

/// Renders a verdict as `level: rule(brand) rule(brand) …`, strongest first.
fn render(c: &DomainChecker, input: &str) -> String {
    match c.check(input) {
        Ok(v) => {
            let rules: Vec<String> = v
                .reasons
                .iter()
                .map(|r| match &r.brand {
                    Some(b) => format!("{}({b})", r.rule),
                    None => r.rule.to_string(),
                })
                .collect();
            format!("{}: {}", v.level, rules.join(" "))
                .trim_end()
                .to_owned()
        }
        Err(e) => format!("error: {e}"),
    }
}

fn checker() -> DomainChecker {
    let mut c = DomainChecker::with_defaults();
    let entry = |host: &str, source: &str| DomainEntry {
        host: host.into(),
        category: Category::Phishing,
        source: source.into(),
        date: Some("2024-11-01".parse().unwrap()),
    };
    c.blocklist_mut()
        .insert(&entry("drainer-kit.xyz", "scamsniffer"))
        .unwrap();
    c.blocklist_mut()
        .insert(&entry("vote-okxpolls-640.pages.dev", "scamsniffer"))
        .unwrap();
    c.allowlist_mut()
        .insert(&entry("okx-ventures.example", "internal"))
        .unwrap();
    c
}

fn check(input: &str, expect: &str) {
    assert_eq!(render(&checker(), input), expect, "input: {input}");
}

#[test]
fn lists_have_label_suffix_semantics() {
    check("drainer-kit.xyz", "very-high: blocklist");
    check("claim.drainer-kit.xyz", "very-high: blocklist");
    check("https://a.b.drainer-kit.xyz:8443/x", "very-high: blocklist");
    check("notdrainer-kit.xyz", "none:");
    // A blocked page on shared hosting blocks that page only, never the platform.
    check("vote-okxpolls-640.pages.dev", "very-high: blocklist");
    check("pages.dev", "none:");
    check("my-blog.pages.dev", "none:");
    // Allowlist and official domains win over the look-alike rules, with subdomains.
    check("okx-ventures.example", "none: allowlist");
    check("www.okx.com", "none: official-domain(OKX)");
    check("metamask.github.io", "none: official-domain(MetaMask)");
    check("evil.github.io", "none:");
}

#[test]
fn brand_rules() {
    // Exact brand on another suffix; brand as a word; brand plus lure words.
    check("okx.co.uk", "high: brand-other-suffix(OKX)");
    check("okx.xyz", "very-high: brand-other-suffix(OKX)");
    check("okx-login.com", "very-high: brand-token(OKX)");
    check("okx-news.com", "high: brand-token(OKX)");
    check("secureokx.net", "high: brand-embedded(OKX)");
    check("okxwallet-support.com", "very-high: brand-embedded(OKX)");
    check("bybitasia.com", "high: brand-embedded(Bybit)");
    // Coined names count joined to any word; compound names only with lure words.
    check("binancelabs.net", "high: brand-embedded(Binance)");
    check("opensearch.org", "medium: brand-embedded(OpenSea)");
    check("openseawallet.org", "high: brand-embedded(OpenSea)");
    check("bookxcess.com", "medium: brand-embedded(OKX)");
    // Homoglyphs, digits, rn/m, accents, Greek and Cyrillic, punycode.
    check("0kx.com", "very-high: homoglyph(OKX)");
    check("rnetamask.io", "very-high: homoglyph(MetaMask)");
    check(
        "bіnance.com",
        "very-high: homoglyph(Binance) mixed-script ascii-lookalike",
    );
    check(
        "xn--bnance-pvf.com",
        "very-high: homoglyph(Binance) mixed-script ascii-lookalike",
    );
    check("binänce.com", "very-high: homoglyph(Binance)");
    check("bitgeт.com", "very-high: homoglyph(Bitget) mixed-script");
    check("0kx-airdrop.com", "very-high: homoglyph(OKX)");
    check("0kxairdrop.com", "very-high: brand-obfuscated(OKX)");
    check("o-k-x.com", "very-high: brand-obfuscated(OKX)");
    // Typos: one edit for 5–8 letters, two for 9+; short names only insert/swap.
    check("binanse.com", "high: typo(Binance)");
    check("bnance-support.com", "very-high: typo(Binance)");
    check("myetherwallte.com", "high: typo(MyEtherWallet)");
    check("etherscna.io", "high: typo(Etherscan)");
    check("oxk.com", "high: typo(OKX)");
    // One edit of a three-letter name is a caution (the issue's short-name shape); it blocks
    // only with a lure word, shared hosting or an abused TLD.
    check("okc.com", "medium: near-typo(OKX)");
    check("okc-claim.com", "high: near-typo(OKX)");
    check("pphantom.app", "high: typo(Phantom)");
    // One letter added to an ordinary-word name is a caution (the issue's `krakenx` shape).
    check("hledger.org", "medium: brand-embedded(Ledger)");
    check("coinbene.com", "medium: near-typo(Coinbase)");
    // Subdomain tricks and user-info tricks.
    check(
        "okx.com.secure-login.net",
        "very-high: official-domain-in-subdomain(OKX) brand-in-subdomain(OKX)",
    );
    check(
        "okx.com-verify.site",
        "very-high: official-domain-in-subdomain(OKX) brand-in-subdomain(OKX)",
    );
    check("okx.evil.io", "high: brand-in-subdomain(OKX)");
    check(
        "login.binance.evil.io",
        "very-high: brand-in-subdomain(Binance)",
    );
    check(
        "https://okx.com@evil.io/login",
        "very-high: userinfo-brand(OKX)",
    );
    check("https://bank.example@evil.io/", "medium: userinfo-host");
    // Shared hosting raises a brand page one level.
    check("okx-airdrop.pages.dev", "very-high: brand-token(OKX)");
    check("okx.vercel.app", "very-high: brand-other-suffix(OKX)");
}

#[test]
fn generic_words_need_a_lure() {
    check("ledger-cli.org", "medium: brand-token(Ledger)");
    check("ledger-live-update.com", "high: brand-token(Ledger)");
    check("ledger-wallet.pages.dev", "very-high: brand-token(Ledger)");
    // A generic name with letters or a word glued on (`phantomx`, `phantombuster`) is a caution
    // since the labelled set's one-added-letter shapes; it never blocks without a signal.
    check("phantomjs.org", "medium: brand-embedded(Phantom)");
    check("phantombuster.com", "medium: brand-embedded(Phantom)");
    check("kraken.io", "medium: brand-other-suffix(Kraken)");
    check("kraken.top", "high: brand-other-suffix(Kraken)");
    // A generic name glued to a word is a caution, never a block without a signal: real
    // words (`gateway`) pay that price so that `gatebonus` is seen.
    check("gateway.com", "medium: brand-embedded(Gate)");
    check("crypto.news", "medium: brand-other-suffix(Crypto.com)");
    check("cryptocompare.com", "medium: brand-embedded(Crypto.com)");
}

#[test]
fn scripts_and_legit_idn() {
    check("münchen.de", "none:");
    check("президент.рф", "none:");
    check("日本語.jp", "none:");
    check("xn--80ak6aa92e.com", "medium: ascii-lookalike");
    check("pаypal.com", "medium: mixed-script ascii-lookalike");
    check("192.168.0.1", "none:");
    check("[::1]:8080", "none:");
}

#[test]
fn host_parsing() {
    let h = |s: &str| match Host::parse(s) {
        Ok(h) => format!(
            "{} | {} | reg={} | suffix={} shared={} | sub={:?} | ui={:?}",
            h.ascii(),
            h.unicode(),
            h.registrable().unwrap_or("-"),
            h.suffix(),
            h.on_shared_hosting(),
            h.subdomain_labels().collect::<Vec<_>>(),
            h.userinfo()
        ),
        Err(e) => format!("error: {e}"),
    };
    let cases = [
        (
            "HTTPS://User:Pw@WWW.Okx.COM.:443/path?q#f",
            "www.okx.com | www.okx.com | reg=okx.com | suffix=com shared=false | sub=[\"www\"] | ui=Some(\"User:Pw\")",
        ),
        (
            "a.b.okx.co.uk",
            "a.b.okx.co.uk | a.b.okx.co.uk | reg=okx.co.uk | suffix=co.uk shared=false | sub=[\"a\", \"b\"] | ui=None",
        ),
        (
            "x.vote-1.pages.dev",
            "x.vote-1.pages.dev | x.vote-1.pages.dev | reg=vote-1.pages.dev | suffix=pages.dev shared=true | sub=[\"x\"] | ui=None",
        ),
        (
            "ＯＫＸ．ｃｏｍ",
            "okx.com | okx.com | reg=okx.com | suffix=com shared=false | sub=[] | ui=None",
        ),
        (
            "bіnance.com",
            "xn--bnance-pvf.com | bіnance.com | reg=xn--bnance-pvf.com | suffix=com shared=false | sub=[] | ui=None",
        ),
        (
            "okx.com\\@evil.io",
            "okx.com | okx.com | reg=okx.com | suffix=com shared=false | sub=[] | ui=None",
        ),
        ("", "error: invalid host ``: empty"),
        (
            "https:///x",
            "error: invalid host `https:///x`: no host name",
        ),
        (
            "a..b.com",
            "error: invalid host `a..b.com`: empty label (`..`)",
        ),
        (
            "exa mple.com",
            "error: invalid host `exa mple.com`: not a valid internationalised domain name (UTS #46 processing failed)",
        ),
        (
            "okx.com:80x",
            "error: invalid host `okx.com:80x`: invalid port",
        ),
        (
            "1.2.3",
            "error: invalid host `1.2.3`: numeric top-level label (not a domain, not an IPv4)",
        ),
    ];
    for (input, expect) in cases {
        assert_eq!(h(input), expect, "input: {input}");
    }
    assert!(Host::parse(&"a".repeat(64)).is_err());
    assert!(Host::parse(&format!("{}.com", "a.".repeat(130))).is_err());
}

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn meta(source: &str) -> ListMeta {
    ListMeta::new(source, Category::Phishing, None).unwrap()
}

#[test]
fn metamask_v2_config() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/metamask_config_v2.json")).unwrap();
    let lists = import_metamask_config(&text, &meta("metamask")).unwrap();
    assert_eq!(lists.len(), 1);
    let l = &lists[0];
    assert_eq!(
        (l.name.as_str(), l.version.as_str(), l.tolerance),
        ("legacy", "2", 2)
    );
    let hosts = |i: &custodia_guard::Import<DomainEntry>| -> Vec<String> {
        i.entries.iter().map(|e| e.host.clone()).collect()
    };
    assert_eq!(hosts(&l.fuzzy), ["metamask.io", "myetherwallet.com"]);
    assert_eq!(
        hosts(&l.allow),
        ["metamask-community.io", "docs.example-wallet.org"]
    );
    assert_eq!(
        hosts(&l.block),
        [
            "metamask-restore.io",
            "drainer-kit.xyz",
            "vote-okxpolls-640.pages.dev"
        ]
    );
    assert_eq!(l.block.entries[0].source, "metamask:legacy@2");
    assert_eq!(l.block.duplicates, 1);
    let rejected: Vec<String> = l.block.rejected.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        rejected,
        [
            "entry #3: rejected entry `pages.dev`: is a public suffix (or has no registrable domain); listing it would cover every site under it",
            "entry #4: rejected entry `com`: is a public suffix (or has no registrable domain); listing it would cover every site under it",
            "entry #5: invalid host `bad host.com`: not a valid internationalised domain name (UTS #46 processing failed)",
            "entry #6: rejected entry `17`: expected a host string, got a number",
        ]
    );
}

#[test]
fn metamask_config_array() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/metamask_config_list.json")).unwrap();
    let lists = import_metamask_config(&text, &meta("mm")).unwrap();
    let summary: Vec<String> = lists
        .iter()
        .map(|l| {
            format!(
                "{}@{} tol={} allow={:?} block={:?} fuzzy={:?}",
                l.name,
                l.version,
                l.tolerance,
                l.allow.entries.iter().map(|e| &e.host).collect::<Vec<_>>(),
                l.block.entries.iter().map(|e| &e.host).collect::<Vec<_>>(),
                l.fuzzy.entries.iter().map(|e| &e.host).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "MetaMask@1 tol=2 allow=[\"metamask.zendesk.com\"] block=[\"metamask-support.live\", \"xn--metamsk-en4c.io\"] fuzzy=[\"metamask.io\"]",
            "custodia@2024.11.20 tol=3 allow=[] block=[\"okx-airdrop.pages.dev\", \"okx-login.com\"] fuzzy=[]",
        ]
    );
    // Loaded into a checker, in precedence order.
    let mut c = DomainChecker::with_defaults();
    for l in &lists {
        c.allowlist_mut().extend(&l.allow.entries).unwrap();
        c.blocklist_mut().extend(&l.block.entries).unwrap();
    }
    assert_eq!(render(&c, "www.okx-login.com"), "very-high: blocklist");
    let v = c.check("metamask-support.live").unwrap();
    assert!(
        v.reasons[0].message.contains("source mm:MetaMask@1"),
        "{}",
        v.reasons[0].message
    );
    for (bad, why) in [
        (
            "[{\"version\":1}]",
            "cannot read MetaMask config at configuration #0: `name` must be a non-empty string",
        ),
        (
            "[{\"name\":\"a\"}]",
            "cannot read MetaMask config at configuration #0: `version` must be a number or a non-empty string",
        ),
        (
            "[{\"name\":\"a\",\"version\":1,\"tolerance\":2}]",
            "cannot read MetaMask config at configuration #0: `tolerance` given without `fuzzylist`",
        ),
        (
            "{\"blacklist\":\"x\"}",
            "cannot read MetaMask config at top level: `blacklist` must be an array, got a string",
        ),
        (
            "7",
            "cannot read MetaMask config at top level: expected an object (v2) or an array of configurations, got a number",
        ),
    ] {
        assert_eq!(
            import_metamask_config(bad, &meta("m"))
                .unwrap_err()
                .to_string(),
            why
        );
    }
}

#[test]
fn plain_host_lists_and_json_arrays() {
    let text = std::fs::read_to_string(format!("{FIXTURES}/phishing_hosts.txt")).unwrap();
    let i = import_domain_lines(&text, &meta("openphish"));
    let got: Vec<String> = i
        .entries
        .iter()
        .map(|e| e.host.clone())
        .chain(i.rejected.iter().map(|r| format!("! {r}")))
        .collect();
    assert_eq!(
        got,
        [
            "okx-verify.top",
            "binance-claim.site",
            "coinbase-wallet-restore.app",
            "www.bybit-airdrop.online",
            "xn--bnance-pvf.com",
            "! line 8: rejected entry `github.io`: is a public suffix (or has no registrable domain); listing it would cover every site under it",
            "! line 9: invalid host `https://`: no host name",
            "! line 10: invalid host `ex ample.com`: not a valid internationalised domain name (UTS #46 processing failed)",
        ]
    );
    assert_eq!(i.entries.len(), 5);
    let j = import_domain_json(
        r#"["a-scam.io", "A-SCAM.io", null, "ok.pages.dev"]"#,
        &meta("ss"),
    )
    .unwrap();
    assert_eq!(j.entries.len(), 2);
    assert_eq!(j.duplicates, 1);
    assert_eq!(j.rejected.len(), 1);
    assert!(import_domain_json("{}", &meta("ss")).is_err());
}

#[test]
fn list_entries_keep_the_host_that_resolves() {
    // A feed URL with user info lists the host after `@`: that is the phishing site.
    let i = import_domain_lines("http://okx.com@binance-claim.site/\n", &meta("x"));
    assert_eq!(i.entries[0].host, "binance-claim.site");
}

#[test]
fn reasons_explain_themselves() {
    let v = checker().check("bnance-support.com").unwrap();
    let r = &v.reasons[0];
    assert_eq!(r.distance, Some(1));
    assert_eq!(r.escalated_by.as_deref(), Some("lure word `support`"));
    assert_eq!(
        r.message,
        "`bnance` is 1 edit away from the Binance name `binance`"
    );
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["level"], "very-high");
    assert_eq!(json["reasons"][0]["rule"], "typo");
}

/// The level alone (the rules named are checked above; these pairs are about where a host lands).
fn level(input: &str) -> custodia_guard::RiskLevel {
    checker().check(input).unwrap().level
}

fn alert(input: &str) {
    assert!(
        level(input).is_alert(),
        "{input}: {}",
        render(&checker(), input)
    );
}

fn no_alert(input: &str) {
    assert!(
        !level(input).is_alert(),
        "{input}: {}",
        render(&checker(), input)
    );
}

#[test]
fn inflected_lure_words_are_lures() {
    // A plural, agent noun or verb form of a lure word is the lure.
    alert("kraken-logins.com");
    alert("ethereum-doubler.com");
    alert("gemini-winners.net");
    alert("krakens-logins-fi.com");
    // Twins: words that only start like a lure are not.
    no_alert("kraken-logic.com");
    no_alert("ethereum-doubt.com");
    no_alert("gemini-window.net");
}

#[test]
fn region_codes_glued_to_a_generic_word_are_spelling() {
    // Glued two-letter region codes are not lure words (`hkcrypto` is a company name) ...
    no_alert("hkcrypto.com");
    no_alert("decrypto.net");
    // ... while a glued lure word of three letters or more still is.
    alert("cryptoclaim.net");
    alert("hkcrypto-airdrop.com");
}

#[test]
fn www_written_into_the_registrable_label() {
    alert("www-kraken.com");
    alert("vww-kraken.com");
    alert("wwwkraken.com");
    check("www-okx.com", "very-high: brand-token(OKX)");
    // Twins: `www.` in front of a site (a subdomain) raises nothing, and `wow` is a word.
    no_alert("www.ledger-cli.org");
    no_alert("www.gemini.edu");
    no_alert("wow-kraken.com");
}

#[test]
fn tld_words_beside_a_name() {
    alert("kraken-com.com");
    alert("ethereum-org.net");
    alert("crypto-com.app");
    // Twins: a word starting like a TLD word does not count.
    no_alert("kraken-comics.com");
    no_alert("ethereum-organ.net");
}

#[test]
fn official_host_continued_into_a_longer_suffix() {
    let r = render(&checker(), "kraken.com.se");
    assert!(
        r.starts_with("very-high: official-domain-in-subdomain(Kraken)"),
        "{r}"
    );
    alert("binance.us.com");
    // Twins: the official host itself and the brand's name alone on a two-label suffix.
    check("www.kraken.com", "none: official-domain(Kraken)");
    no_alert("kraken.co.se");
}

#[test]
fn coin_tickers_beside_a_generic_name() {
    alert("ethereum-usdc.com");
    alert("crypto-bnb.org");
    alert("solana-gemini.com");
    no_alert("ethereum-usage.com");
    no_alert("crypto-bonbon.org");
}

#[test]
fn letters_left_out_giving_no_word_are_typos() {
    // A letter left out of a name of up to six letters: a typosquat when no word results.
    alert("krken.com");
    alert("bybt.io");
    alert("tezor.com");
    alert("gemni409.net");
    // A first letter changed by a neighbouring key, no word: a typo.
    alert("jraken.com");
    // Twins: the same edits that give a word or a name are how real names differ.
    no_alert("crypt.com");
    no_alert("leger.org");
    no_alert("trevor.com");
    no_alert("finance.com");
}

#[test]
fn other_compounds_of_real_words_are_not_typos() {
    no_alert("metamark.com");
    no_alert("openset.io");
    no_alert("ethercat.org");
    no_alert("everscan.io");
    no_alert("metacash.online");
    // Twins: slips inside one part of the compound stay typos.
    alert("metamsak.com");
    alert("etherscn.org");
    alert("opnsea.io");
    alert("metamaks.online");
}

#[test]
fn english_words_containing_a_name_are_a_caution() {
    no_alert("crabby.com");
    assert_eq!(level("crabby.com"), custodia_guard::RiskLevel::Medium);
    // Twins: the same name with a stray letter or a lure word.
    alert("xrabby.com");
    alert("crabby-wallet.com");
}

#[test]
fn typos_in_subdomains_are_not_raised_by_lure_labels() {
    no_alert("app.finance.yahoo.com");
    no_alert("login.finance.example.com");
    // Twins: the name itself in a subdomain beside a lure label is.
    alert("app.binance.yahoo.com");
    alert("login.binance.example.com");
}

#[test]
fn double_v_and_digits_between_letters_read_as_letters() {
    // `vv` for `w`: the name itself is a homoglyph, a slip beside it a typo.
    assert_eq!(
        level("myethervvallet.com"),
        custodia_guard::RiskLevel::VeryHigh
    );
    alert("unisvvap.io");
    alert("myethervvalet.io");
    // Digits inside the name, `rn` for `m` at the start.
    alert("myetherwa11et.com");
    alert("rnyetherwaliet.com");
    // Twins: the same letters that spell nothing near a name, digits at an end.
    no_alert("vvvvideo.com");
    no_alert("savvy.com");
    no_alert("learn2code.com");
    no_alert("rnli.org");
}

#[test]
fn lookalike_characters_around_a_near_miss_are_deliberate() {
    // A letter UTS #39 does not fold, or a mark between letters, in a brand's name.
    alert("xn--ledge-6o3s.com"); // ledgeꞅ
    alert("xn--ledger-bla.com"); // l·edger
    alert("xn--myetherwalet-0fb.com"); // myetherwaílet
    // Twins: an ASCII near miss of a short ordinary word, a real IDN name.
    no_alert("ledge.com");
    no_alert("xn--mnchen-3ya.de"); // münchen
}

#[test]
fn near_misses_on_shared_hosting_that_make_no_word() {
    alert("kucoiim.firebaseapp.com");
    alert("rabub.netlify.app");
    // Twins: an English word there is a hosted project's name; off hosting the near miss
    // stays a caution.
    no_alert("hobby.netlify.app");
    no_alert("kucoiim.com");
    assert_eq!(level("kucoiim.com"), custodia_guard::RiskLevel::Medium);
}

#[test]
fn long_names_three_edits_away_and_first_letters_that_make_no_word() {
    alert("myetherumwalet.com");
    alert("lyetherwallet.com");
    // Twins: a first-letter change that gives a word, three edits from a short name.
    no_alert("finance.com");
    no_alert("tremor.io");
}

#[test]
fn compound_names_joined_to_any_word_unless_a_word_crosses_the_edge() {
    alert("coinbasegrant.com");
    alert("metamasknews.com");
    // Twins: an English word running across the name's edge makes it part of another word.
    no_alert("cryptocompare.com");
    no_alert("opensearch.org");
}

#[test]
fn official_host_continued_by_digits() {
    assert_eq!(
        level("ledger.com1628.support"),
        custodia_guard::RiskLevel::VeryHigh
    );
    // Twin: the official host itself, with a numbered subdomain.
    no_alert("support1628.ledger.com");
}

#[test]
fn lure_words_learned_from_real_phishing() {
    alert("ethereum-payment.com");
    alert("crypto-payment.com");
    // Twins: the same brands beside words the feed's phishing hosts do not use.
    no_alert("ethereum-magicians.org");
    no_alert("crypto-research.com");
}

#[test]
fn a_stray_letter_beside_a_lure_compound() {
    alert("loginkrakenn.com");
    alert("bonusbitfinexc.com");
    alert("openseaa701.net");
    alert("x2ethereum.com");
    // Twins: an ordinary word beside the generic name, a region code glued to it.
    no_alert("krakennews.com");
    no_alert("hkethereum.com");
}

#[test]
fn typo_behind_a_www_written_into_the_name() {
    alert("wwwmetmaskverification.me");
    // Twin: a `www` before an ordinary word.
    no_alert("wwwmetrics.com");
}

#[test]
fn learned_word_model_decides_ordinary_word_brands_beside_other_words() {
    use custodia_guard::RiskLevel;
    let v = DomainChecker::with_defaults()
        .check("get-ethereum.tech")
        .unwrap();
    assert_eq!(v.level, RiskLevel::High, "{v:?}");
    let why = v.reasons[0].escalated_by.as_deref().unwrap_or_default();
    assert!(
        why.contains("learned word model") && why.contains("word `get`"),
        "{why}"
    );
    // Twins: with the model off the rules leave it a caution; with it on, company names beside
    // the same kind of brand stay below the blocking level.
    let off = DomainChecker::with_defaults().with_word_model(false);
    assert!(!off.word_model());
    assert_eq!(
        off.check("get-ethereum.tech").unwrap().level,
        RiskLevel::Medium
    );
    no_alert("cryptocompare.com");
    no_alert("ledgerinsights.com");
    no_alert("kraken-comics.com");
}

#[test]
fn a_number_beside_a_mistyped_or_padded_ordinary_word_name() {
    alert("ledge415.com");
    alert("leger-33.net");
    alert("kgemini33.net");
    // Twins: the same spellings without a number stay a caution, and a first-letter change
    // with a number is still a word's site.
    no_alert("ledge.com");
    no_alert("kgemini.net");
    no_alert("finance24.com");
}

#[test]
fn learned_word_model_keeps_an_abused_tld_from_raising_allowlist_like_names() {
    use custodia_guard::RiskLevel;
    let v = DomainChecker::with_defaults()
        .check("cryptokittens.club")
        .unwrap();
    assert_eq!(v.level, RiskLevel::Medium, "{v:?}");
    let r = &v.reasons[0];
    assert!(r.escalated_by.is_none(), "{r:?}");
    assert!(
        r.message.contains("abused TLD `.club` not counted")
            && r.message.contains("like allowlisted names'"),
        "{}",
        r.message
    );
    // Twins: with the model off the abused TLD raises it, and a word the model does not know
    // leaves the abused TLD its say.
    let off = DomainChecker::with_defaults().with_word_model(false);
    assert_eq!(
        off.check("cryptokittens.club").unwrap().level,
        RiskLevel::High
    );
    alert("ledger-now.site");
}

#[test]
fn misspelt_names_after_a_possessive_my() {
    // `my` + a misspelt name (+ a lure word): wallet sites are named `my…`, and so are their
    // imitations.
    assert_eq!(
        level("myetereumwallet.com"),
        custodia_guard::RiskLevel::VeryHigh
    );
    alert("mycryipto.com");
    alert("mythereumwallet.com");
    // Twins: a changed first letter after `my` is another name, and a word one unusual edit
    // from a name stays a word.
    no_alert("mykrypto.io");
    no_alert("mytrevor.com");
    no_alert("myledge.com");
}

#[test]
fn misspelt_long_names_at_either_end_of_a_longer_token() {
    alert("binanctlabsinfo.com");
    alert("bintrustwailet.com");
    alert("metmaskslogi.com");
    // Twins: two letters beyond the window are an ending (`etherscape`, `etherscams`), and a
    // window without the name's first letter is another word (`harvestfinance`).
    no_alert("etherscape.io");
    no_alert("etherscams.io");
    no_alert("harvestfinance.app");
}

#[test]
fn a_cores_typo_outranks_the_whole_tokens_near_miss() {
    alert("myeatherwalletr2.example-hosting.org");
    // Twin: a near miss with no core to read stays a caution.
    no_alert("coinbene.com");
}

#[test]
fn what_an_abused_tld_alone_does_not_raise() {
    // Near misses of names made of words: other compounds of words.
    no_alert("metalmark.xyz");
    no_alert("peansea.store");
    // Two or three letters before an ordinary word: a company's initials.
    no_alert("bccrypto.club");
    no_alert("trcrypto.live");
    no_alert("buyledger.site");
    // Twins: a coined name's near miss, and one letter before an ordinary word, still rise.
    alert("bnit.click");
    alert("xethereum.site");
}

#[test]
fn region_codes_do_not_raise_near_misses() {
    no_alert("atc.us.es");
    // Twin: a lure word of three letters or more does.
    alert("okz-login.com");
}

#[test]
fn two_edits_only_for_names_of_ten_letters_or_more() {
    no_alert("etherean.com");
    no_alert("therascan.info");
    // Twins: one edit from the nine-letter name, two from a thirteen-letter one.
    alert("etherskan.io");
    alert("myetherwaiiet.com");
}

#[test]
fn long_names_misspelt_in_a_subdomain() {
    alert("myetherwalet.heliohost.org");
    // Twin: a name under eight letters misspelt in a subdomain stays a caution.
    no_alert("login.binanse.example.com");
}

#[test]
fn names_split_by_a_hyphen_or_a_dot() {
    assert_eq!(
        level("myethre-wallet.com"),
        custodia_guard::RiskLevel::VeryHigh
    );
    alert("b-nance.com");
    alert("trust-wallets.info");
    assert_eq!(
        level("my.etherwallet.com.de"),
        custodia_guard::RiskLevel::VeryHigh
    );
    alert("meta.maskweb.app");
    alert("my.ether-wallet.co");
    // Twins: another compound of words split by a hyphen, and a word that only starts like
    // the rest of the name.
    no_alert("meta-musk.com");
    no_alert("coin.basement.org");
}

#[test]
fn two_letters_behind_a_glued_lure_word() {
    alert("updatehx.com");
    alert("connectox.com");
    // Twins: two letters two edits from the name, a lure word of three letters.
    no_alert("securetv.com");
    no_alert("payok.com");
}

#[test]
fn ordinary_word_names_behind_look_alike_letters() {
    alert("xn--mycrpto-y2a.com"); // mycrýpto
    alert("xn--mcrypto-5i4c.com"); // mẏcrypto
    // Twins: the same name in plain letters stays a caution, and an IDN with no brand in it.
    no_alert("mycrypto.com");
    no_alert("xn--mnchen-3ya.de");
}

#[test]
fn misspelt_lure_words_make_an_ordinary_word_count() {
    alert("ethereum-airdop.com");
    alert("ethereum-givaway.com");
    let v = checker().check("ethereum-airdop.com").unwrap();
    assert!(
        v.reasons[0].message.contains("`airdrop` misspelt"),
        "{}",
        v.reasons[0].message
    );
    // Twins: an English word one edit from a lure word is that word.
    no_alert("ethereum-reword.com");
    no_alert("kraken-logjn.com");
}

#[test]
fn a_swap_beside_another_edit_counts_as_two_edits() {
    // `krank` is `kraken` with `e` dropped and `n`, `k` swapped: two slips, a near miss that a
    // lure word raises.
    alert("krank-official.live");
    alert("cryop-login.com");
    // Twins: the same spelling alone is a caution, never blocked; a word that far from a name
    // stays unflagged.
    check("krank.org", "medium: near-typo(Kraken)");
    no_alert("crank-login.com");
}

#[test]
fn typo_wrapped_in_two_glued_lure_words() {
    alert("connectledgelive.com");
    // Twin: a word two edits from the name between lure words is that word.
    no_alert("securehedgelive.com");
}

#[test]
fn ing_and_ion_forms_of_lure_verbs() {
    alert("validationopensea.com");
    alert("ledger-updating.com");
    alert("ethereum-connection.net");
    // Twin: a word that only ends like such a form (`station`) is no lure word (the rules alone
    // leave it a caution; the learned word model, which reads letters, decides it).
    let rules = DomainChecker::with_defaults().with_word_model(false);
    assert_eq!(
        rules.check("ledger-station.com").unwrap().level,
        custodia_guard::RiskLevel::Medium
    );
}

#[test]
fn a_near_miss_that_keeps_the_name_padded() {
    alert("bilinance.org");
    alert("trezzorr.io");
    alert("lkralken.com");
    // Twins: a compound padded at its seam is another compound, and a near miss that drops a
    // letter of the name is a caution.
    no_alert("openbisea.com");
    no_alert("bitmex.com");
}

#[test]
fn a_misspelt_possessive_my() {
    alert("myrcrypto.com");
    alert("meythereumwallet.com");
    // Twins: a changed letter is another name (`mrcrypto`), and an English word is that word.
    no_alert("mrcrypto.com");
    no_alert("maycrypto.com");
}

#[test]
fn an_ordinary_word_name_beside_a_numbered_word() {
    alert("kraken-send55.com");
    alert("cryptoclub247.com");
    alert("gemini-lander2.blogspot.com");
    // Twins: a version (one letter and a number) and a word without a number stay cautions.
    no_alert("gemini-v2.com");
    no_alert("kraken-comics.com");
}

#[test]
fn a_seven_letter_compound_name_joined_to_whole_words() {
    alert("uniswapbalance.com");
    alert("newuniswap.com");
    alert("uniswapnewgiveaway.com");
    // Twins: a word across the name's edge, and a rest that is no word.
    no_alert("openseason.com");
    no_alert("opensearch.org");
    no_alert("uniswapex.io");
}

#[test]
fn ordinary_word_names_behind_digits_or_rn() {
    alert("b0mbecrypt0.com");
    alert("myethereurnwallet.com");
    // Twin: the same shape in plain letters stays a caution.
    no_alert("mycryptoshop.com");
}

#[test]
fn a_long_lure_word_at_a_tokens_edge() {
    alert("kittycryptogangofficial.com");
    alert("cryptobaseconnect.com");
    // Twin: a word that ends like a lure word (`prevent`, `event`) is that word.
    no_alert("cryptoprevent.com");
}

#[test]
fn official_alternates_of_etherscan_and_uniswap() {
    check("etherscan.com", "none: official-domain(Etherscan)");
    check("app.uniswap.eth", "none: official-domain(Uniswap)");
    // Twin: the same names on other suffixes are still look-alikes.
    alert("etherscan.co");
    alert("uniswap.ens");
}

#[test]
fn a_short_names_two_edit_spelling_behind_a_long_lure_word() {
    alert("verifyxko.com");
    alert("supportiox.net");
    alert("oxiwallet.com");
    // Twins: an English word behind the lure word, a lure word of three letters, a spelling
    // that keeps one of the name's letters, and two letters.
    no_alert("dropbox.com");
    no_alert("appiox.com");
    no_alert("verifyiix.com");
    no_alert("claimpk.com");
}

#[test]
fn a_compound_name_with_two_versions_or_a_version_and_a_lure_word() {
    alert("uniswapv1v2.app");
    alert("uniswapv2claim.com");
    alert("openseav2v3.io");
    // Twins: one version and an English word (a service of the brand's product names one
    // version: `uniswapv3book.com` is real).
    no_alert("uniswapv3book.com");
    no_alert("openseav2docs.com");
}

#[test]
fn a_letter_joining_the_name_to_a_lure_word() {
    alert("cryptoxbonus.com");
    alert("ledgerzclaim.com");
    alert("loginqkraken.com");
    // Twins: an English word after the name, a letter alone, and a letter joining two words
    // that are no lure words.
    no_alert("cryptoxfan.com");
    no_alert("krakens.com");
    no_alert("ledgerxbook.com");
}

#[test]
fn a_second_factor_and_a_narrow_www_are_lures() {
    alert("gemini-2fa.com");
    alert("vwv-kraken.com");
    // Twins: the ordinary-word name alone with a number, and `v` letters with no `w`.
    no_alert("gemini-2.com");
    no_alert("vvv-kraken.com");
}
