#!/usr/bin/env python3
"""What surface matching alone scores on TREC test250 with a pool of random train demonstrations.

The accuracy the built-in model's issue asks for (full-icl >= 0.55 with 80 demonstrations) is judged
against these: the label of the demonstration with the largest IDF-weighted word overlap (1-NN), a
5-NN vote weighted by that overlap, and the majority label among the demonstrations that share the
query's first two words (else its first word). No model, standard library only:

    python3 resources/models/knn_ceiling.py --data-dir ../shared/data
"""
import argparse
import collections
import csv
import math
import os
import random
import re

COARSE = ["ABBR", "ENTY", "DESC", "HUM", "LOC", "NUM"]  # test250-trec.csv's coarse_label ids


def words(text):
    return re.findall(r"\w+", text.lower())


def load(data_dir):
    train = []
    with open(os.path.join(data_dir, "trec", "train_5500.label"), encoding="latin-1") as f:
        for line in f:
            label, text = line.split(" ", 1)
            train.append((text.strip(), label.split(":")[0]))
    with open(os.path.join(data_dir, "splits", "test250-trec.csv"), newline="") as f:
        test = [(r["text"], COARSE[int(r["coarse_label"])]) for r in csv.DictReader(f)]
    return train, test


def accuracy(train, test, n, seed, rule):
    pool = random.Random(seed).sample(train, n)
    df = collections.Counter(w for t, _ in pool for w in set(words(t)))
    idf = {w: math.log((n + 1) / (c + 0.5)) for w, c in df.items()}
    right = 0
    for q, y in test:
        qw = set(words(q))
        scored = [(sum(idf.get(w, 0.0) for w in qw & set(words(t))), lab) for t, lab in pool]
        if rule == "1-nn":
            pred = max(scored)[1]
        elif rule == "5-nn":
            votes = collections.Counter()
            for s, lab in sorted(scored, reverse=True)[:5]:
                votes[lab] += s
            pred = votes.most_common(1)[0][0]
        else:  # first words
            head = words(q)[:2]
            votes = collections.Counter(lab for t, lab in pool if words(t)[:2] == head)
            if not votes:
                votes = collections.Counter(lab for t, lab in pool if words(t)[:1] == head[:1])
            pred = votes.most_common(1)[0][0] if votes else collections.Counter(l for _, l in pool).most_common(1)[0][0]
        right += pred == y
    return right / len(test)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--pools", default="80,320", help="pool sizes, comma-separated")
    ap.add_argument("--runs", type=int, default=4, help="seeded pools per size (seeds 0..runs-1)")
    args = ap.parse_args()
    train, test = load(args.data_dir)
    for n in (int(v) for v in args.pools.split(",")):
        for rule in ("1-nn", "5-nn", "first-words"):
            acc = sum(accuracy(train, test, n, s, rule) for s in range(args.runs)) / args.runs
            print(f"pool {n:4d}  {rule:12s} {acc:.3f}")


if __name__ == "__main__":
    main()
