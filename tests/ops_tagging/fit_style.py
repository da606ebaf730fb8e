#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Calibrates the style tagger: fits a multinomial logistic regression on the
# style features of the procedural evaluation set (seed 1) and prints the
# weights for core/ops/src/tag_style.cpp. Pure Python (no numpy needed).
#
#   ATELIER_STYLE_SEED=1 ATELIER_STYLE_DUMP=1 build/tests/ops_tagging/ops_tagging_tests \
#       --gtest_filter=Style.Conf* | grep ' got ' > /tmp/style_train.txt
#   python3 tests/ops_tagging/fit_style.py /tmp/style_train.txt
import math
import re
import sys

CLASSES = ["flat", "gradient", "photographic", "line_art", "textured"]
NAMES = ["flat", "smooth", "edge", "noise", "ent", "dom", "dol", "sat", "det", "dcv"]


def transform(v):
    # The same transform as StyleAnalysis (tag_style.cpp: style_inputs).
    flat, smooth, edge, noise, ent, dom, dol, sat, det, dcv = v
    return [flat, smooth, math.sqrt(edge), math.sqrt(noise), ent / 8, dom, dol, sat, math.sqrt(det), min(dcv, 3.0)]


def load(path):
    xs, ys = [], []
    pat = re.compile(r"(\w+)\s+\S+\s+got \w+\s+" + r"\s+".join(n + r" ([\d.]+)" for n in NAMES))
    for line in open(path):
        m = pat.search(line)
        if m:
            ys.append(CLASSES.index(m.group(1)))
            xs.append(transform([float(g) for g in m.groups()[1:]]))
    return xs, ys


def main():
    xs, ys = load(sys.argv[1])
    d = len(xs[0])
    mean = [sum(x[j] for x in xs) / len(xs) for j in range(d)]
    std = [max(1e-6, math.sqrt(sum((x[j] - mean[j]) ** 2 for x in xs) / len(xs))) for j in range(d)]
    zs = [[(x[j] - mean[j]) / std[j] for j in range(d)] for x in xs]
    k = len(CLASSES)
    w = [[0.0] * d for _ in range(k)]
    b = [0.0] * k
    lr, l2 = 0.5, 0.002
    for it in range(1500):
        gw = [[0.0] * d for _ in range(k)]
        gb = [0.0] * k
        for z, y in zip(zs, ys):
            logits = [b[c] + sum(w[c][j] * z[j] for j in range(d)) for c in range(k)]
            mx = max(logits)
            e = [math.exp(l - mx) for l in logits]
            s = sum(e)
            for c in range(k):
                g = e[c] / s - (1.0 if c == y else 0.0)
                gb[c] += g
                for j in range(d):
                    gw[c][j] += g * z[j]
        n = len(zs)
        for c in range(k):
            b[c] -= lr * gb[c] / n
            for j in range(d):
                w[c][j] -= lr * (gw[c][j] / n + l2 * w[c][j])
    correct = 0
    for z, y in zip(zs, ys):
        logits = [b[c] + sum(w[c][j] * z[j] for j in range(d)) for c in range(k)]
        correct += max(range(k), key=lambda c: logits[c]) == y
    print(f"// training accuracy {correct}/{len(zs)}")
    # Fold the standardisation into the weights.
    print("constexpr double kStyleWeights[kStyleCount][kStyleInputs] = {")
    for c in range(k):
        print("    {" + ", ".join(f"{w[c][j] / std[j]:.6g}" for j in range(d)) + "},  // " + CLASSES[c])
    print("};")
    print("constexpr double kStyleBias[kStyleCount] = {" +
          ", ".join(f"{b[c] - sum(w[c][j] * mean[j] / std[j] for j in range(d)):.6g}" for c in range(k)) + "};")


main()
