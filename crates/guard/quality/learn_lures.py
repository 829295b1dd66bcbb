#!/usr/bin/env python3
"""Learns lure words from the tuning part of the real feed (tests/fixtures/metamask_feed.tsv).

usage: python3 crates/guard/quality/learn_lures.py

Prints the words that phishing hosts of MetaMask's blocklist put beside a protected brand's
name, by this rule (which never reads the feed's held-out part or the labelled set's):
- every host of the feed's `tune` part is cut into pieces: labels left of the last one, split at
  `-`, `_` and digits, with the brands' keywords cut out; pieces of three letters or more count
  once per host;
- a piece is a learned lure word when it is an English word of the checker's word list
  (`crates/guard/src/domain/words.txt`; typos of brand names and hosting names are not words),
  occurs in at least MIN_PHISH phishing hosts and, inflected or not (`new`, `news`: the checker
  counts a lure word's plural and verb forms too), in no allowlisted host of the tuning part, and
  is not part of a brand's name (`mask`, `coin`, `ether`: those are the brand, not a lure), not
  within two edits of one (`leger` is Ledger misspelt), and not a label of a shared-hosting
  suffix of the Public Suffix List's private section (Debian `publicsuffix`: `github`,
  `medium`, `blogspot` name the host, not the lure; also inflected).
Words already in the default lure list are left out of the output. The output is pasted into
`LEARNED_LURE_WORDS` in crates/guard/src/domain/check.rs.
"""
import collections, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
FEED = os.path.join(HERE, "..", "tests", "fixtures", "metamask_feed.tsv")
WORDS = os.path.join(HERE, "..", "src", "domain", "words.txt")
CHECK = os.path.join(HERE, "..", "src", "domain", "check.rs")
MIN_PHISH = 3
KEYWORDS = ["okx", "okex", "binance", "coinbase", "kraken", "bybit", "kucoin", "bitget", "gateio",
            "htx", "huobi", "mexc", "bitfinex", "crypto", "cryptocom", "gemini", "metamask",
            "trustwallet", "phantom", "ledger", "trezor", "rabby", "exodus", "uniswap", "opensea",
            "etherscan", "myetherwallet", "ethereum"]


PSL = "/usr/share/publicsuffix/public_suffix_list.dat"


def osa(a, b):
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def hosting_labels():
    text = open(PSL, encoding="utf-8").read()
    private = text[text.index("===BEGIN PRIVATE DOMAINS==="):]
    return {lab for line in private.splitlines() if line and not line.startswith("//")
            for lab in line.strip().lstrip("*!.").split(".")}


def pieces(host):
    out = set()
    for label in host.split(".")[:-1]:
        for tok in re.split(r"[-_]", label):
            for k in sorted(KEYWORDS, key=len, reverse=True):
                tok = tok.replace(k, " ")
            out.update(p for p in re.split(r"[\d ]+", tok) if len(p) >= 3)
    return out


def main():
    words = {w.strip() for w in open(WORDS) if w.strip() and not w.startswith("#")}
    src = open(CHECK).read()
    block = src[src.index("pub const DEFAULT_LURE_WORDS"):src.index("pub const DEFAULT_ABUSED_TLDS")]
    block = block[:block.find("pub const LEARNED_LURE_WORDS")] if "pub const LEARNED_LURE_WORDS" in block else block
    known = set(re.findall(r'"([a-z0-9]+)"', block))
    phish, legit = collections.Counter(), collections.Counter()
    for line in open(FEED):
        f = line.rstrip("\n").split("\t")
        if line.startswith("#") or f[0] != "tune":
            continue
        (phish if f[1] == "phish" else legit).update(pieces(f[4]))
    hosting = hosting_labels()

    def forms(w):
        # The checker counts a lure word inflected too (`check.rs`, `inflect`): so does this rule.
        out = {w, w + "s", w + "es", w + "er", w + "ers", w + "ing", w + "ed"}
        if w.endswith("e"):
            out |= {w + "r", w + "rs", w + "d"}
        return out

    learned = sorted(w for w, n in phish.items()
                     if n >= MIN_PHISH and w in words and w not in known
                     and not any(legit[f] or f in hosting for f in forms(w))
                     and not any(w in k or osa(w, k) <= 2 for k in KEYWORDS))
    print(len(learned), "words:")
    print(" ".join(f"{w}({phish[w]})" for w in learned))


if __name__ == "__main__":
    main()
