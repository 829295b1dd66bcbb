#!/usr/bin/env python3
"""Trains custodia-guard's word model (crates/guard/src/domain/word_model.tsv).

usage: cargo test -p custodia-guard --test it labelled      # writes target/tmp/guard-*-verdicts.tsv
       python3 crates/guard/quality/learn_words.py [--dry-run]

What the model decides, and only that: a brand whose name is an ordinary word (`crypto`,
`ethereum`, `ledger`, ...) joined to a word that is no lure word, with no shared hosting, abused
TLD or lure word beside it (`crypto-mult.io`, `ethereumfond.com`, `cryptocompare.com`). The rules
leave such a name at `medium`: the same shape is a real company as often as a phishing host. The
model raises it to `high` when the words around the name look like phishing hosts' words, by
statistics of the tuning rows below. The same score, as far below zero as the threshold is above
it, keeps an abused TLD alone from raising such a name (`buycrypto.work`: the words look like
allowlisted names'); that side is not fitted separately (the threshold is mirrored), and the script
prints its effect on the tuning rows.

Training rows (read from the verdict files the quality test writes; **only rows of the `tune`
split are read**: the held-out rows of both sets are skipped before anything is parsed):
- the labelled set's (`labelled_domains.tsv`) and the real feed's (`metamask_feed.tsv`) tuning
  rows whose verdict is `medium` through such a reason (rule `brand-token`, `brand-embedded`,
  `brand-other-suffix` or `brand-in-subdomain` at `medium` on a generic keyword, the token not an
  English word of `words.txt` unless it is the keyword itself): the undecided rows, the only ones
  the model is ever applied to;
- class: phishing (`phish` rows) or legitimate (`legit` rows, the feed's allowlist among them).

Features of one row (`features` below; `DomainChecker::word_model_score` computes the same):
the label's tokens joined by `-`, every occurrence of the keyword replaced by `*`, digits by `0`,
framed as `^...$`; its character 5-grams (NGRAMS) and its word pieces (`w:` + the runs between
`*`, `-` and digits, two characters or more). Each feature counts once per row.

Model: naive Bayes log-likelihood ratios with add-one smoothing,
`w(f) = ln((p_f + 1) / (P + 2)) - ln((l_f + 1) / (L + 2))` (P, L: phishing and legitimate training
rows; p_f, l_f: those with the feature), kept for features seen in at least MIN_COUNT rows and
stored as integers in hundredths. A row's score is the sum over its features in the table.

Threshold: chosen on the tuning rows by 5-fold cross-validation (each row scored by a model
trained without its fold), as the one that maximises the gain below; the final table is trained
on all tuning rows. Each row raised to `high` counts its share of its set's target allowance:
a phishing row `+1 / (phishing rows of the set x allowed miss rate)` (labelled 3%, feed 5%), a
legitimate row `-1 / (legitimate rows x allowed false-positive rate)` (labelled 0.5%, feed 2%),
so one false positive on the feed costs as much as 9.4 phishing hosts found. A well-known site
(the labelled set's popular sites, Public Suffix List organisations and earlier sites) raised
rules a threshold out.
"""
import collections, math, os, random, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
TMP = os.path.join(ROOT, "target", "tmp")
WORDS = os.path.join(HERE, "..", "src", "domain", "words.txt")
BRANDS = os.path.join(HERE, "..", "src", "domain", "brands.rs")
OUT = os.path.join(HERE, "..", "src", "domain", "word_model.tsv")
SOURCES = [("labelled", "guard-labelled-verdicts.tsv"), ("feed", "guard-feed-verdicts.tsv")]
RULES = {"brand-token", "brand-embedded", "brand-other-suffix", "brand-in-subdomain"}
WELL_KNOWN = {"earlier-popular", "organisation", "earlier-sites"}
# (allowed miss rate, allowed false-positive rate) of each set's target.
ALLOWANCE = {"labelled": (0.03, 0.005), "feed": (0.05, 0.02)}
MIN_COUNT = 2
# Feature set: of character n-grams of length 3, 4, 5, (3, 4), (4, 5), (3, 4, 5), each with and
# without the TLD as a feature, 5-grams without the TLD had the best cross-validated gain among
# those that raise none of the unit tests' hand-written negative twins (`kraken-comics.com`,
# `ethereum-magicians.org`: shorter n-grams learn `-com` from `crypto-com.app`, and the TLD
# feature gives every `.com` a head start). The TLD is left to the abused-TLD rule.
NGRAMS = (5,)
FOLDS = 5
SEED = 20


def generic_keywords():
    src = open(BRANDS).read()
    return {k for block in re.findall(r"with_generic\(&\[([^\]]*)\]", src)
            for k in re.findall(r'"([a-z0-9]+)"', block)}


def words():
    return {w.strip() for w in open(WORDS) if w.strip() and not w.startswith("#")}


def is_word(ws, s):
    return 3 <= len(s) <= 8 and s in ws


def unicode_label(lab):
    if lab.startswith("xn--"):
        try:
            return lab.encode("ascii").decode("idna")
        except UnicodeError:
            return lab
    return lab


def tokens(label):
    return [t for t in re.split(r"[-_]", label) if t]


def features(toks, kw):
    s = "-".join(toks).replace(kw, "*")
    s = re.sub(r"[0-9]", "0", s)
    x = "^" + s + "$"
    out = set()
    for n in NGRAMS:
        out.update(x[i:i + n] for i in range(len(x) - n + 1))
    out.update("w:" + p for p in re.split(r"[*\-0]+", s) if len(p) >= 2)
    return out


def undecided(row, generic, ws):
    """The feature sets of a verdict's undecided generic reasons (one per reason)."""
    split, label, shape, brand, domain, registrable, level, reasons = row
    if level != "medium":
        return []
    labels = [unicode_label(l) for l in domain.split(".")]
    reg_n = registrable.count(".") + 1 if registrable else 1
    reg_label, subs = labels[-reg_n], labels[:-reg_n]
    out = []
    for r in reasons.split(" "):
        rule, lvl, matched, part = (r.split(":", 4) + ["", "", "", ""])[:4]
        if rule not in RULES or lvl != "medium" or matched not in generic:
            continue
        if part != matched and is_word(ws, part):
            continue
        if rule == "brand-in-subdomain":
            cands = [l for l in subs if part in tokens(l)]
            if not cands:
                continue
            toks = tokens(cands[0])
        else:
            toks = tokens(reg_label)
        out.append(features(toks, matched))
    return out


def tld_raised(row, generic, ws):
    """A `high` verdict made only by an abused TLD raising an undecided generic reason: the
    feature sets of those reasons, as if they had stayed `medium` (what the veto looks at)."""
    if row[6] != "high":
        return []
    rs = [(r.split(":", 4) + [""] * 5)[:5] for r in row[7].split(" ")]
    highs = [r for r in rs if r[1] == "high"]
    if not highs or not all(r[0] in RULES and r[2] in generic and r[4] == "abused" for r in highs):
        return []
    as_medium = row[:6] + ["medium", " ".join(f"{r[0]}:medium:{r[2]}:{r[3]}" for r in highs)]
    return undecided(as_medium, generic, ws)


def veto_report(table, threshold):
    generic, ws = generic_keywords(), words()
    kept = collections.Counter()
    for name, f in SOURCES:
        for line in open(os.path.join(TMP, f), encoding="utf-8"):
            if not line.startswith("tune\t"):
                continue
            row = line.rstrip("\n").split("\t")
            row += [""] * (8 - len(row))
            fss = tld_raised(row, generic, ws)
            if fss and max(sum(table.get(x, 0) for x in fs) for fs in fss) <= -threshold:
                kept[(name, row[1])] += 1
                print(f"  abused TLD not counted: {name} {row[1]} {row[4]}", file=sys.stderr)
    print(f"veto (score <= {-threshold:+d}) on the tuning rows: {dict(kept)}", file=sys.stderr)


def load():
    generic, ws = generic_keywords(), words()
    rows = []  # (set, label, shape, [feature sets])
    for name, f in SOURCES:
        path = os.path.join(TMP, f)
        for line in open(path, encoding="utf-8"):
            if not line.startswith("tune\t"):
                continue  # held-out rows are never read
            row = line.rstrip("\n").split("\t")
            row += [""] * (8 - len(row))
            fs = undecided(row, generic, ws)
            if fs:
                rows.append((name, row[1], row[2], fs))
    return rows


def train(rows):
    p, l = collections.Counter(), collections.Counter()
    np_, nl = 0, 0
    for _, label, _, fss in rows:
        seen = set().union(*fss)
        if label == "phish":
            np_ += 1
            p.update(seen)
        elif label == "legit":
            nl += 1
            l.update(seen)
    table = {}
    for f in set(p) | set(l):
        if p[f] + l[f] < MIN_COUNT:
            continue
        w = math.log((p[f] + 1) / (np_ + 2)) - math.log((l[f] + 1) / (nl + 2))
        table[f] = round(w * 100)
    return table, np_, nl


def score(table, fss):
    return max(sum(table.get(f, 0) for f in fs) for fs in fss)


def totals():
    """Phishing and legitimate rows of each set's tuning part (the targets' denominators)."""
    t = collections.defaultdict(lambda: [0, 0])
    for name, f in SOURCES:
        for line in open(os.path.join(TMP, f), encoding="utf-8"):
            if not line.startswith("tune\t"):
                continue
            label = line.split("\t")[1]
            if label == "phish":
                t[name][0] += 1
            elif label == "legit":
                t[name][1] += 1
    return t


def main():
    rows = [r for r in load() if r[1] in ("phish", "legit")]
    tot = totals()
    rng = random.Random(SEED)
    fold = [rng.randrange(FOLDS) for _ in rows]
    oof = [0] * len(rows)
    for k in range(FOLDS):
        table, _, _ = train([r for r, f in zip(rows, fold) if f != k])
        for i, r in enumerate(rows):
            if fold[i] == k:
                oof[i] = score(table, r[3])

    def gain(t):
        g = 0.0
        for r, s in zip(rows, oof):
            if s < t:
                continue
            miss, fp = ALLOWANCE[r[0]]
            P, L = tot[r[0]]
            if r[1] == "phish":
                g += 1 / (P * miss)
            elif r[2] in WELL_KNOWN:
                return float("-inf")
            else:
                g -= 1 / (L * fp)
        return g

    cands = sorted(set(oof))
    best = max(cands + [max(cands) + 1], key=lambda t: (gain(t), t))
    table, np_, nl = train(rows)
    print(f"training rows (tuning parts only): {np_} phishing, {nl} legitimate; "
          f"{len(table)} features", file=sys.stderr)
    for t in sorted({best - 200, best - 100, best - 50, best, best + 50, best + 100}):
        raised = collections.Counter()
        for r, s in zip(rows, oof):
            if s >= t:
                raised[(r[0], r[1])] += 1
        print(f"  threshold {t:+5d}: cross-validated gain {gain(t):+.3f}, raised {dict(raised)}",
              file=sys.stderr)
    print(f"chosen threshold {best:+d} (hundredths)", file=sys.stderr)
    veto_report(table, best)
    if "--dry-run" in sys.argv:
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# generated by crates/guard/quality/learn_words.py from the tuning rows of the labelled\n"
                "# set and the real feed; do not edit by hand. Naive Bayes log-likelihood ratios\n"
                "# (hundredths) of the features of an ordinary-word brand's label; see the script.\n"
                f"# training rows: {np_} phishing, {nl} legitimate; threshold chosen by 5-fold\n"
                "# cross-validation on the same rows.\n")
        f.write(f"threshold\t{best}\n")
        for k in sorted(table):
            f.write(f"{k}\t{table[k]}\n")


if __name__ == "__main__":
    main()
