#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fits the blend of nsfwjs's drawn-versus-photo signal into the style tagger.

The statistical style confidences p (five classes) stay as they are except
photographic, which is multiplied by (1 - drawn)^w (drawn = drawing + hentai
from the moderation model, clamped to 1e-4..1-1e-4); then the five are
renormalised. One-sided on purpose: nsfwjs's "drawing" is strong evidence
against a photograph, but a low value is no evidence for one (it scores flat
shapes and line art as "neutral"). The script fits w >= 0 by maximum
likelihood on the calibration seed (L2 penalty 0.01) and evaluates the
shipped w (--w, default 1: the product of the two experts) on the held-out
seed. Pure Python.

  style_drawn_dump 1 > seed1.csv; style_drawn_dump 2 > seed2.csv
  fit_style_drawn.py seed1.csv seed2.csv
prints w and the confusion matrices (statistical only / blended) on the
held-out seed.
"""
import csv
import math
import sys

CLASSES = ["flat", "gradient", "photographic", "line_art", "textured"]


def load(path):
    rows = []
    for r in csv.DictReader(open(path)):
        p = [max(float(r[c]), 1e-12) for c in CLASSES]
        rows.append((CLASSES.index(r["truth"]), p, float(r["drawn"])))
    return rows


def blend(p, drawn, w, b):
    d = min(max(drawn, 1e-4), 1 - 1e-4)
    z = [math.log(x) for x in p]
    z[2] += w * math.log(1 - d)
    m = max(z)
    e = [math.exp(x - m) for x in z]
    s = sum(e)
    return [x / s for x in e]


def nll(rows, w, b):
    return -sum(math.log(max(blend(p, d, w, b)[t], 1e-300)) for t, p, d in rows) + 0.01 * (w * w + b * b)


def confusion(rows, w, b):
    m = [[0] * 5 for _ in range(5)]
    for t, p, d in rows:
        q = blend(p, d, w, b)
        m[t][q.index(max(q))] += 1
    return m


def show(title, m):
    n = sum(map(sum, m))
    ok = sum(m[i][i] for i in range(5))
    print(f"{title}: accuracy {ok}/{n} = {ok / n:.3f}")
    print("%-14s" % "" + "".join("%13s" % c for c in CLASSES))
    for i, c in enumerate(CLASSES):
        print("%-14s" % c + "".join("%13d" % x for x in m[i]))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--w=")]
    shipped = float(next((a[4:] for a in sys.argv[1:] if a.startswith("--w=")), "1"))
    train = load(args[0])
    _, w = min((nll(train, x / 20, 0), x / 20) for x in range(0, 81))
    print(f"fitted w = {w:.2f} (train NLL {nll(train, w, 0):.3f}; w=0 {nll(train, 0, 0):.3f}; "
          f"w={shipped} {nll(train, shipped, 0):.3f}); shipped w = {shipped}")
    show("train, statistical only", confusion(train, 0, 0))
    show(f"train, blended w={shipped}", confusion(train, shipped, 0))
    if len(args) > 1:
        test = load(args[1])
        print(f"held-out NLL blended {nll(test, shipped, 0):.3f}, statistical only {nll(test, 0, 0):.3f}")
        show("held out, statistical only", confusion(test, 0, 0))
        show(f"held out, blended w={shipped}", confusion(test, shipped, 0))
        for cls in range(5):
            ds = sorted(d for t, p, d in test if t == cls)
            print(f"  drawn on held-out {CLASSES[cls]:13s} median {ds[len(ds) // 2]:.3f} "
                  f"min {ds[0]:.3f} max {ds[-1]:.3f}")


if __name__ == "__main__":
    main()
