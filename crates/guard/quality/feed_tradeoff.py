#!/usr/bin/env python3
"""What more feed recall would cost: the word model's cross-validated trade on the tuning rows.

usage: cargo test -p custodia-guard --test it labelled      # writes target/tmp/guard-*-verdicts.tsv
       python3 crates/guard/quality/feed_tradeoff.py

Reads only the `tune` rows of both verdict files (as learn_words.py does), takes the undecided
rows the word model decides (ordinary-word brand names beside other words, left at `medium` by
the rules), and scores each with a model trained without its fold (5 folds, learn_words.py's
features and naive Bayes), once as shipped and once with the brand keyword itself as one more
feature (`k:crypto`, `k:ethereum`). For each threshold it prints how many of those rows would be
raised to `high`: feed phishing, feed allowlisted, labelled-set phishing and legitimate. Read it
against the tuning parts' totals (the test prints them): the feed's recall needs +1 phishing row
per 0.036 points, and every legitimate row raised is a false positive. docs/threat-intel.md
§6.1 quotes the threshold where the feed's tuning recall would reach 95 %.
"""
import collections, os, random, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import learn_words as L  # noqa: E402


def rows():
    generic, ws = L.generic_keywords(), L.words()
    out = []
    for name, f in L.SOURCES:
        for line in open(os.path.join(L.TMP, f), encoding="utf-8"):
            if not line.startswith("tune\t"):
                continue  # held-out rows are never read
            row = line.rstrip("\n").split("\t")
            row += [""] * (8 - len(row))
            fss = L.undecided(row, generic, ws)
            if not fss or row[1] not in ("phish", "legit"):
                continue
            kws = [r.split(":")[2] for r in row[7].split(" ")
                   if r.count(":") >= 2 and r.split(":")[1] == "medium" and r.split(":")[2] in generic]
            out.append((name, row[1], row[2], fss, kws))
    return out


def cross_validated(rs, with_keyword):
    data = []
    for name, label, shape, fss, kws in rs:
        sets = [set(fs) | ({"k:" + kw} if with_keyword else set())
                for fs, kw in zip(fss, kws or ["?"] * len(fss))]
        data.append((name, label, shape, sets))
    rng = random.Random(L.SEED)
    fold = [rng.randrange(L.FOLDS) for _ in data]
    oof = [0] * len(data)
    for k in range(L.FOLDS):
        table, _, _ = L.train([r for r, f in zip(data, fold) if f != k])
        for i, r in enumerate(data):
            if fold[i] == k:
                oof[i] = L.score(table, r[3])
    return data, oof


def main():
    rs = rows()
    for with_keyword in (False, True):
        data, oof = cross_validated(rs, with_keyword)
        print("model as shipped" if not with_keyword else "with the keyword as a feature")
        for t in range(-100, 400, 25):
            c = collections.Counter((r[0], r[1]) for r, s in zip(data, oof) if s >= t)
            print(f"  threshold {t:+4d}: feed phishing {c[('feed', 'phish')]:3d}, allowlisted "
                  f"{c[('feed', 'legit')]:3d} | labelled phishing {c[('labelled', 'phish')]:2d}, "
                  f"legitimate {c[('labelled', 'legit')]:2d}")


if __name__ == "__main__":
    sys.exit(main())
