#!/usr/bin/env python3
"""Builds custodia-guard's large labelled domain set (tests/fixtures/labelled_domains.tsv).

usage: python3 crates/guard/quality/labelled_set.py [OUT.tsv]

Every row is `split  label  shape  brand  domain`:
- `split`: `tune` (the rules were shaped on it) or `holdout` (generated with other seeds and
  other word lists; measured, never looked at case by case while changing rules);
- `label`: `phish` (must reach the blocking level, `high` or above), `caution` (an impersonation
  shape that cannot be told from real names without more context: must reach `medium`) or
  `legit` (must stay below `high`);
- `shape`: which impersonation shape or which class of legitimate name;
- `brand`: the brand a phishing row imitates (the brand a legitimate row neighbours, if any).

Sources (all reachable through ordinary package clients; none is fetched at test time):
1. Debian `wamerican` (/usr/share/dict/words): English words one or two edits from a brand, or
   containing a generic brand word: legitimate "near-words" (`finance`, `hobby`, `cryptogram`).
2. Debian `publicsuffix` (/usr/share/publicsuffix/public_suffix_list.dat): the organisations of
   the private section name their own web sites in comments (`// Amazon : https://...`): real,
   legitimate organisations' domains.
3. `tests/fixtures/domain_quality.json` (the earlier, hand-collected set): its legitimate sites.
4. Hand-collected below, with the reason each is there: real companies whose names are one or
   two edits from a brand (`bitgo.com`, `htc.com`), brand-owned alternate domains, and
   company domains with a region code beside a generic word.
5. The TLD mix of real phishing hosts: eth-phishing-detect 1.2.0's blocklist (npm), counted
   once and written below as weights, so generated look-alikes sit on the TLDs attackers use.
The phishing rows are generated from the brands' names by seeded generators: one shape per
weakness the issue lists, plus the classic shapes (homoglyphs, punycode, typos, brand + word,
subdomain tricks, shared hosting, TLD swaps).
"""
import hashlib, json, os, random, re, sys, unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")

# (brand, keyword, official domain, kind): kind is coined | compound | generic.
TARGETS = [
    ("OKX", "okx", "okx.com", "coined"),
    ("Binance", "binance", "binance.com", "coined"),
    ("Coinbase", "coinbase", "coinbase.com", "compound"),
    ("Kraken", "kraken", "kraken.com", "generic"),
    ("Bybit", "bybit", "bybit.com", "coined"),
    ("KuCoin", "kucoin", "kucoin.com", "coined"),
    ("Bitget", "bitget", "bitget.com", "coined"),
    ("Gate", "gateio", "gate.io", "coined"),
    ("HTX", "htx", "htx.com", "coined"),
    ("HTX", "huobi", "huobi.com", "coined"),
    ("MEXC", "mexc", "mexc.com", "coined"),
    ("Bitfinex", "bitfinex", "bitfinex.com", "coined"),
    ("Crypto.com", "crypto", "crypto.com", "generic"),
    ("Gemini", "gemini", "gemini.com", "generic"),
    ("MetaMask", "metamask", "metamask.io", "compound"),
    ("Trust Wallet", "trustwallet", "trustwallet.com", "compound"),
    ("Phantom", "phantom", "phantom.app", "generic"),
    ("Ledger", "ledger", "ledger.com", "generic"),
    ("Trezor", "trezor", "trezor.io", "coined"),
    ("Rabby", "rabby", "rabby.io", "coined"),
    ("Exodus", "exodus", "exodus.com", "generic"),
    ("Uniswap", "uniswap", "uniswap.org", "compound"),
    ("OpenSea", "opensea", "opensea.io", "compound"),
    ("Etherscan", "etherscan", "etherscan.io", "compound"),
    ("MyEtherWallet", "myetherwallet", "myetherwallet.com", "compound"),
    ("Ethereum", "ethereum", "ethereum.org", "generic"),
]
GENERIC = [t for t in TARGETS if t[3] == "generic"]
LONG = [t for t in TARGETS if len(t[1]) >= 6]
FIVE = [t for t in TARGETS if len(t[1]) in (5, 6)]
SHORT = [t for t in TARGETS if len(t[1]) <= 4]

# Words phishing kits put beside a brand. The tune and holdout lists share no word.
LURES_TUNE = ["login", "wallet", "airdrop", "claim", "support", "secure", "verify", "app",
              "connect", "reward", "bonus", "official", "web3", "restore", "unlock", "staking",
              "gift", "promo", "update", "auth", "kyc", "portal", "help", "recovery", "nft"]
LURES_HOLD = ["signin", "account", "rewards", "drop", "sync", "events", "validate", "migrate",
              "refund", "presale", "mint", "swap", "bridge", "vault", "protect", "defi",
              "giveaway", "security", "upgrade", "deposit", "withdraw", "access", "activate"]
# Campaign words outside any lure list (what the issue saw missed): scam promises and coins.
SCAM_TUNE = ["give", "double", "btc", "eth", "x2", "bonus", "prize", "win", "free", "elon",
             "whitelist", "vote", "giving", "send", "usdt"]
SCAM_HOLD = ["winner", "doubler", "triple", "gifts", "giveaways", "getfree", "halving", "musk",
             "promos", "lucky", "jackpot", "usdc", "sol", "bnb", "payout"]
# Neutral words (neither lure nor scam) joined to generic brands on shared hosting or abused
# TLDs: the context, not the word, gives them away.
NEUTRAL_TUNE = ["now", "hub", "info", "net", "zone", "page", "site", "go", "my", "the"]
NEUTRAL_HOLD = ["center", "base", "point", "link", "home", "plus", "one", "today", "land", "box"]

# TLD weights of eth-phishing-detect 1.2.0's blocklist (counted from its config.json).
PHISH_TLDS = [("com", 42), ("net", 6), ("org", 5), ("io", 6), ("app", 3), ("xyz", 5),
              ("co", 3), ("online", 3), ("site", 3), ("info", 3), ("live", 2), ("pro", 2),
              ("top", 2), ("us", 1), ("cc", 1), ("club", 1), ("vip", 1), ("finance", 1),
              ("network", 1), ("ltd", 1), ("link", 1), ("tech", 1), ("ru", 1), ("me", 1)]
ABUSED = ["xyz", "top", "site", "online", "live", "vip", "club", "icu", "shop", "buzz", "sbs",
          "cfd", "click", "fun", "space", "store", "work", "quest", "bond", "rest", "lol"]
FREE_HOSTS = ["pages.dev", "vercel.app", "netlify.app", "web.app", "firebaseapp.com",
              "github.io", "workers.dev", "herokuapp.com", "onrender.com", "surge.sh",
              "webflow.io", "wixsite.com", "blogspot.com", "gitbook.io", "azurewebsites.net",
              "replit.app", "r2.dev", "framer.website"]
EVIL_BASES = ["secure-login.net", "auth-verify.io", "account-center.com", "web3-portal.xyz",
              "wallet-sync.app", "kdj3k.top", "claim-now.site", "mx-support.online",
              "tx-validate.cc", "zz9host.com", "cdn-static.info", "my-dapp.link"]
LEGIT_TLDS = [("com", 60), ("org", 10), ("net", 10), ("io", 5), ("co", 3), ("de", 3),
              ("fr", 2), ("co.uk", 2), ("app", 2), ("dev", 2), ("ca", 1)]

# Real companies and projects whose names are one or two edits from a brand, or contain a
# brand's word; each is the company's own site (hand-collected; the reason is the neighbour).
NEIGHBOURS = [
    ("OKX", ["okta.com", "ok.ru", "oki.com", "okq8.se", "box.com", "ox.ac.uk", "okcupid.com",
             "ikea.com", "oxo.com"]),
    ("HTX", ["htc.com", "htmx.org", "http.cat", "hertz.com"]),
    ("MEXC", ["memx.com", "mec.ca", "mexx.com", "amex.com"]),
    ("Binance", ["finance.yahoo.com", "binarytree.com"]),
    ("Bitget", ["bitgo.com", "budget.com"]),
    ("Kraken", ["krakend.io", "kraken.io", "krakenjs.com", "krakow.pl"]),
    ("Gemini", ["gemini.google.com", "gemini.edu", "deming.org"]),
    ("Ledger", ["ledgerx.com", "ledger-cli.org", "hledger.org", "ledgerinsights.com"]),
    ("Phantom", ["phantombuster.com", "phantomjs.org"]),
    ("Exodus", ["exodusbooks.com", "exodus-privacy.eu.org"]),
    ("Rabby", ["rabbit.tech", "rabbitmq.com"]),
    ("Coinbase", ["coinbene.com"]),
    ("Uniswap", ["unisat.io", "uniswapv3book.com"]),
    ("OpenSea", ["opensearch.org", "opensecrets.org", "openseadragon.github.io", "openscad.org"]),
    ("Etherscan", ["otterscan.io", "etherchain.org"]),
    ("MetaMask", ["metamap.com", "metamath.org"]),
    ("Crypto.com", ["cryptography.io", "cryptopals.com", "cryptomator.org", "cryptpad.fr",
                    "cryptocompare.com", "cryptoslate.com", "decrypt.co"]),
    ("Ethereum", ["ethereum.stackexchange.com", "ethers.org"]),
    ("Gate", ["gatech.edu", "colgate.com", "gatesnotes.com", "seagate.com", "navigate.com"]),
]
# The brands' other primary domains (as configured in crates/guard/src/domain/brands.rs): never a
# look-alike, so a generated row that lands on one (`binance.org` from the TLD swap) is dropped.
OTHER_OFFICIAL = ["okex.com", "binance.us", "binance.org", "binance.net", "gate.com", "huobi.com",
                  "phantom.com", "metamask.github.io", "metamask.zendesk.com", "bybit.eu",
                  "bybitglobal.com", "huobi.pro", "okx.cab", "crypto.org", "metamask.app.link"]
# Brand-owned alternate domains (each an official site of the brand, checked by hand).
ALTERNATES = [
    ("Binance", ["binance.vision", "binance.cloud", "binance.charity", "binancefuture.com",
                 "bnbchain.org"]),
    ("OKX", ["okx.cab", "okcoin.com"]),
    ("Kraken", ["krakenfx.com"]),
    ("Coinbase", ["coinbase.cloud", "base.org"]),
    ("Ledger", ["ledgerwallet.com"]),
    ("Exodus", ["exodus.io"]),
    ("Uniswap", ["uniswap.exchange", "uniswap.eth"]),
    ("Etherscan", ["etherscan.com"]),
    ("MyEtherWallet", ["mewwallet.com"]),
    ("Ethereum", ["ethereum.foundation"]),
    ("Crypto.com", ["crypto.org"]),
    ("MetaMask", ["metamask.app.link"]),
    ("Bybit", ["bybit.eu", "bybitglobal.com"]),
    ("HTX", ["huobi.pro"]),
]
PREFIXES = ["www", "wallet", "accounts", "app", "login", "api", "docs"]

HOMOGLYPHS = {
    "a": ["а", "α"], "b": ["Ь"], "c": ["с"], "d": ["ԁ"], "e": ["е", "ė"], "g": ["ɡ"],
    "h": ["һ"], "i": ["і", "ι", "1"], "j": ["ј"], "k": ["κ"], "l": ["ӏ", "1"],
    "m": ["rn", "ṃ"], "n": ["ո"], "o": ["о", "ο", "0"], "p": ["р", "ρ"], "q": ["ԛ"],
    "r": ["г"], "s": ["ѕ"], "t": ["т"], "u": ["υ", "ս"], "v": ["ν"], "w": ["ԝ", "vv"],
    "x": ["х"], "y": ["у"],
}
ACCENTED = {"a": "áàäâãå", "c": "ç", "e": "éèëê", "i": "íìïî", "n": "ñ", "o": "óöôõ",
            "u": "úüû", "y": "ýÿ", "s": "śš", "z": "ž", "k": "ķ", "t": "ţ", "g": "ğ", "l": "ĺ",
            "r": "ŕ"}
KEYS = {"q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
        "i": "uok", "o": "ipl", "p": "ol", "a": "qsz", "s": "adw", "d": "sfe", "f": "dgr",
        "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "ko", "z": "xa", "x": "zcs",
        "c": "xvd", "v": "cbf", "b": "vng", "n": "bmh", "m": "nj"}


def pick_w(rng, weighted):
    total = sum(w for _, w in weighted)
    x = rng.randrange(total)
    for v, w in weighted:
        if x < w:
            return v
        x -= w
    return weighted[-1][0]


def typo(rng, kw, op=None):
    c = list(kw)
    op = op or rng.choice(["insert", "delete", "swap", "replace"])
    n = len(c)
    if op == "insert":
        i = rng.randrange(n + 1)
        base = c[min(i, n - 1)]
        c.insert(i, base if rng.random() < 0.5 else rng.choice(KEYS.get(base, "e")))
    elif op == "delete":
        del c[rng.randrange(n)]
    elif op == "swap":
        cand = [i for i in range(n - 1) if c[i] != c[i + 1]]
        i = rng.choice(cand)
        c[i], c[i + 1] = c[i + 1], c[i]
    else:
        i = rng.randrange(n)
        c[i] = rng.choice(KEYS.get(c[i], "e"))
    return "".join(c)


def typo_n(rng, kw, n):
    out = kw
    while out == kw or len(out) < 2:
        out = kw
        for _ in range(n):
            out = typo(rng, out)
    return out


def homoglyph(rng, kw):
    pos = [i for i, ch in enumerate(kw) if ch in HOMOGLYPHS]
    i = rng.choice(pos)
    return kw[:i] + rng.choice(HOMOGLYPHS[kw[i]]) + kw[i + 1:]


def punycode(label):
    label = unicodedata.normalize("NFC", label.lower())
    if label.isascii():
        return label
    return "xn--" + label.encode("punycode").decode()


def accent(rng, kw):
    pos = [i for i, ch in enumerate(kw) if ch in ACCENTED]
    i = rng.choice(pos)
    return kw[:i] + rng.choice(ACCENTED[kw[i]]) + kw[i + 1:]


def split_hyphen(rng, kw, parts):
    cuts = sorted(rng.sample(range(1, len(kw)), parts - 1))
    pieces, last = [], 0
    for c in cuts + [len(kw)]:
        pieces.append(kw[last:c]); last = c
    return "-".join(pieces)


def phishing(seed, lures, scams, neutral):
    rng = random.Random(seed)
    tld = lambda: pick_w(rng, PHISH_TLDS)
    rows = []

    def add(label, shape, brand, domain):
        rows.append((label, shape, brand, domain))

    for i in range(260):  # homoglyphs (Unicode form, as shown in a message)
        b, kw, _, _ = TARGETS[i % len(TARGETS)]
        add("phish", "homoglyph", b, f"{homoglyph(rng, kw)}.{tld()}")
    for i in range(200):  # punycode: published in xn-- form
        b, kw, _, _ = TARGETS[(i * 7 + 3) % len(TARGETS)]
        lab = accent(rng, kw) if i % 2 == 0 or not any(c in ACCENTED for c in kw) else homoglyph(rng, kw)
        if not any(c in ACCENTED for c in kw) and lab.isascii():
            continue
        add("phish", "punycode", b, f"{punycode(lab)}.{tld()}")
    for i in range(360):  # one-edit typos of names of 5+ letters
        b, kw, _, _ = [t for t in TARGETS if len(t[1]) >= 5][i % 21]
        add("phish", "typo1", b, f"{typo_n(rng, kw, 1)}.{tld()}")
    for i in range(200):  # two-edit typos of 5-6-letter names, with the usual phishing context
        b, kw, _, _ = FIVE[i % len(FIVE)]
        t2 = typo_n(rng, kw, 2)
        form = i % 4
        dom = (f"{t2}-{rng.choice(lures)}.{tld()}" if form == 0 else
               f"{t2}.{rng.choice(ABUSED)}" if form == 1 else
               f"{t2}.{rng.choice(FREE_HOSTS)}" if form == 2 else
               f"{rng.choice(lures)}-{t2}.{tld()}")
        add("phish", "typo2-five", b, dom)
    for i in range(120):  # two-edit typos of 5-6-letter names alone: caution only
        b, kw, _, _ = FIVE[i % len(FIVE)]
        add("caution", "typo2-five-bare", b, f"{typo_n(rng, kw, 2)}.{tld()}")
    for i in range(200):  # one/two-edit typos of 3-4-letter names, with phishing context
        b, kw, _, _ = SHORT[i % len(SHORT)]
        t = typo_n(rng, kw, 1 + (i % 3 == 0))
        form = i % 4
        dom = (f"{t}-{rng.choice(lures)}.{tld()}" if form == 0 else
               f"{t}.{rng.choice(ABUSED)}" if form == 1 else
               f"{t}-{rng.choice(lures)}.{rng.choice(FREE_HOSTS)}" if form == 2 else
               f"{rng.choice(lures)}{t}.{tld()}")
        add("phish", "short-edit", b, dom)
    for i in range(300):  # hyphen splits, alone or inside a longer label
        b, kw, _, _ = LONG[i % len(LONG)]
        s = split_hyphen(rng, kw, 2 if i % 3 else 3)
        form = i % 4
        dom = (f"{s}.{tld()}" if form == 0 else
               f"{s}-{rng.choice(lures)}.{tld()}" if form == 1 else
               f"{rng.choice(lures)}-{s}.{tld()}" if form == 2 else
               f"{s}-{rng.choice(lures)}-{rng.randrange(1, 99)}.{tld()}")
        add("phish", "hyphen-split", b, dom)
    for i in range(300):  # brand joined to lure words, numbers
        b, kw, _, _ = TARGETS[(i * 3) % len(TARGETS)]
        w, w2, n = rng.choice(lures), rng.choice(lures), rng.randrange(1, 999)
        lab = [f"{kw}-{w}", f"{w}-{kw}", f"{kw}{w}", f"{w}{kw}", f"{kw}-{w}-{w2}",
               f"{w}-{kw}-{w2}", f"{kw}-{w}{n}", f"{kw}{w}{n}"][i % 8]
        add("phish", "brand-lure", b, f"{lab}.{tld()}")
    for i in range(200):  # generic-word brands with scam words outside the lure list
        b, kw, _, _ = GENERIC[i % len(GENERIC)]
        w = rng.choice(scams)
        lab = [f"{kw}-{w}", f"{w}-{kw}", f"{kw}{w}", f"{w}{kw}", f"{kw}-{w}{rng.randrange(1, 99)}"][i % 5]
        add("phish", "generic-scam-word", b, f"{lab}.{tld()}")
    for i in range(160):  # generic-word brands with a neutral word, on shared hosting / abused TLDs
        b, kw, _, _ = GENERIC[i % len(GENERIC)]
        w = rng.choice(neutral)
        lab = [f"{kw}-{w}", f"{kw}{w}", f"{w}-{kw}", f"{w}{kw}"][i % 4]
        dom = f"{lab}.{rng.choice(FREE_HOSTS)}" if i % 2 else f"{lab}.{rng.choice(ABUSED)}"
        add("phish", "generic-word-context", b, dom)
    for i in range(120):  # generic-word brands with one added letter (krakenn, lledger)
        b, kw, _, _ = GENERIC[i % len(GENERIC)]
        j = rng.randrange(len(kw) + 1)
        ch = kw[min(j, len(kw) - 1)] if i % 2 else rng.choice("sxzqwk")
        lab = kw[:j] + ch + kw[j:]
        dom = [f"{lab}.{tld()}", f"{lab}-{rng.choice(lures)}.{tld()}", f"{lab}.{rng.choice(ABUSED)}"][i % 3]
        add("phish", "generic-plus-letter", b, dom)
    for i in range(200):  # typo plus digits, typo inside a longer word
        b, kw, _, _ = LONG[i % len(LONG)]
        t = typo_n(rng, kw, 1)
        lab = [f"{t}{rng.randrange(1, 999)}", f"{t}{rng.choice(lures)}", f"{rng.choice(lures)}{t}",
               f"{t}-{rng.randrange(1, 99)}"][i % 4]
        add("phish", "typo-in-word", b, f"{lab}.{tld()}")
    for i in range(200):  # subdomain tricks
        b, kw, off, _ = TARGETS[(i * 11 + 1) % len(TARGETS)]
        evil, w = rng.choice(EVIL_BASES), rng.choice(lures)
        dom = [f"{off}.{evil}", f"www.{off}.{evil}", f"{w}.{off}.{evil}", f"{kw}.{evil}",
               f"{kw}-{w}.{evil}", f"{off.replace('.', '-')}.{evil}",
               f"{kw}.com-{w}.{tld()}"][i % 7]
        add("phish", "subdomain", b, dom)
    for i in range(200):  # shared hosting
        b, kw, _, _ = TARGETS[(i * 13 + 2) % len(TARGETS)]
        w, n = rng.choice(lures), rng.randrange(1, 9999)
        lab = [f"{kw}-{w}", f"{w}-{kw}", f"{kw}-{w}-{n}", f"{kw}{w}", f"{kw}{n}", kw][i % 6]
        add("phish", "free-hosting", b, f"{lab}.{rng.choice(FREE_HOSTS)}")
    for i in range(150):  # the brand's exact name on another TLD
        b, kw, off, kind = TARGETS[(i * 2 + 1) % len(TARGETS)]
        t = rng.choice(ABUSED) if kind == "generic" else pick_w(rng, PHISH_TLDS)
        if off.endswith("." + t):
            continue
        add("phish", "tld-swap", b, f"{kw}.{t}")
    return rows


def legit_rows():
    rows = []
    words = sorted({w.strip().lower() for w in open("/usr/share/dict/words")
                    if re.fullmatch(r"[a-z]{3,}", w.strip().lower())})
    rng = random.Random(0x6c65676974)

    def osa(a, b):
        n, m = len(a), len(b)
        d = [[0] * (m + 1) for _ in range(n + 1)]
        for i in range(n + 1): d[i][0] = i
        for j in range(m + 1): d[0][j] = j
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        return d[n][m]

    seen = set()
    for b, kw, _, kind in TARGETS:
        tol = 2 if len(kw) >= 5 else 1
        for w in words:
            if w in seen or abs(len(w) - len(kw)) > tol:
                if not (kind == "generic" and kw in w and w != kw):
                    continue
            near = 0 < osa(w, kw) <= tol
            contains = kind == "generic" and kw in w and w != kw
            if near or contains:
                seen.add(w)
                rows.append(("legit", "near-word", b, f"{w}.{pick_w(rng, LEGIT_TLDS)}"))
    # Organisations of the Public Suffix List's private section, by their own web sites.
    psl = open("/usr/share/publicsuffix/public_suffix_list.dat").read()
    private = psl[psl.index("===BEGIN PRIVATE DOMAINS==="):]
    orgs = set()
    for m in re.finditer(r"^// [^\n:]+ : https?://([a-z0-9.-]+)", private, re.M):
        h = m.group(1).strip(".").lower()
        if h.startswith("www."):
            h = h[4:]
        if "." in h:
            orgs.add(h)
    rows += [("legit", "organisation", "", h) for h in sorted(orgs)]
    earlier = json.load(open(os.path.join(FIXTURES, "domain_quality.json")))
    rows += [("legit", "earlier-" + c["category"], "", c["domain"])
             for c in earlier["cases"] if c["label"] == "legit"]
    for b, hosts in NEIGHBOURS:
        for h in hosts:
            rows.append(("legit", "neighbour", b, h))
            p = PREFIXES[len(h) % len(PREFIXES)]
            rows.append(("legit", "neighbour-prefixed", b, f"{p}.{h}"))
    for b, hosts in ALTERNATES:
        for h in hosts:
            rows.append(("legit", "official-alternate", b, h))
            rows.append(("legit", "official-alternate", b, f"{PREFIXES[len(h) % 3]}.{h}"))
    return rows


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(FIXTURES, "labelled_domains.tsv")
    tune = phishing(0x7475_6e65, LURES_TUNE, SCAM_TUNE, NEUTRAL_TUNE)
    hold = phishing(0x686f_6c64, LURES_HOLD, SCAM_HOLD, NEUTRAL_HOLD)
    official = ({t[2] for t in TARGETS} | {h for _, hs in ALTERNATES for h in hs}
                | set(OTHER_OFFICIAL))
    legit_hosts = set()
    rows, seen = [], set()
    for label, shape, brand, dom in legit_rows():
        key = dom.lower()
        if key in seen:
            continue
        seen.add(key); legit_hosts.add(key)
        split = "holdout" if hashlib.sha256(key.encode()).digest()[0] < 77 else "tune"
        rows.append((split, label, shape, brand, dom))
    for split, part in (("tune", tune), ("holdout", hold)):
        for label, shape, brand, dom in part:
            key = dom.lower()
            if key in seen or any(key == o or key.endswith("." + o) for o in official):
                continue
            seen.add(key)
            rows.append((split, label, shape, brand, dom))
    with open(out, "w", encoding="utf-8") as f:
        f.write("# generated by crates/guard/quality/labelled_set.py; do not edit by hand\n")
        f.write("split\tlabel\tshape\tbrand\tdomain\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    from collections import Counter
    print(out, len(rows), "rows", Counter((r[0], r[1]) for r in rows))


if __name__ == "__main__":
    main()
