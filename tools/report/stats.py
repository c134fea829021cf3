"""Statistics for tools/report.py: summaries across seeds, McNemar's exact test, Holm's
correction, and the activation functions drawn in the figures. Standard library only."""

import math
from fractions import Fraction


def finite(x):
    """True for an int or float that is neither NaN nor infinite (bool excluded)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def mean(values):
    vals = [v for v in values if finite(v)]
    return sum(vals) / len(vals) if vals else None


def sample_std(values):
    """Sample standard deviation (n - 1); 0 for a single value, None for none."""
    vals = [v for v in values if finite(v)]
    if not vals:
        return None
    if len(vals) == 1:
        return 0.0
    m = sum(vals) / len(vals)
    return math.sqrt(sum((v - m) ** 2 for v in vals) / (len(vals) - 1))


def population_std(values):
    vals = [v for v in values if finite(v)]
    if not vals:
        return None
    m = sum(vals) / len(vals)
    return math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))


def coefficient_of_variation(values):
    """Population std / mean of the finite values; None with fewer than 2 values or mean 0."""
    vals = [v for v in values if finite(v)]
    if len(vals) < 2:
        return None
    m = sum(vals) / len(vals)
    if m == 0:
        return None
    return population_std(vals) / m


def mcnemar_exact(b, c):
    """Two-sided exact McNemar test on the discordant pairs b (A right, B wrong) and c (A wrong,
    B right): under H0 each discordant pair goes either way with probability 1/2, so
    p = min(1, 2 * P[X <= min(b, c)]) with X ~ Binomial(b + c, 1/2). p = 1 when b + c = 0.
    Computed exactly with integers (math.comb) and rounded to float once at the end."""
    if b < 0 or c < 0 or int(b) != b or int(c) != c:
        raise ValueError("mcnemar_exact: counts must be non-negative integers")
    b, c = int(b), int(c)
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return float(min(Fraction(1), Fraction(2 * tail, 2 ** n)))


def holm(pvalues):
    """Holm-Bonferroni adjusted p-values (same order as given); None entries stay None."""
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    m = len(idx)
    order = sorted(idx, key=lambda i: pvalues[i])
    adjusted = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def discordant(labels, pred_a, pred_b):
    """(b, c, n): b = A right and B wrong, c = A wrong and B right, over n examples."""
    b = c = 0
    for y, pa, pb in zip(labels, pred_a, pred_b):
        ra, rb = pa == y, pb == y
        if ra and not rb:
            b += 1
        elif rb and not ra:
            c += 1
    return b, c, len(labels)


# SiLU and its derivative, for the "bump" figure. Its minimum: silu'(x) = 0 at x = -1.27846...
SILU_MIN_X = -1.2784645428
SILU_MIN_Y = -0.2784645428  # silu(x*) = x* + 1: silu' = 0 means sigmoid(x*) = 1 + 1/x*


def sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def silu(x):
    return x * sigmoid(x)


def silu_derivative(x):
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


# Below these gate values the float32 activation is exactly 0 in the engine (core/math):
# sigmoid = 1 / (1 + exp(-x)) and exp(-x) overflows to +inf for -x > 88.72;
# gelu = x/2 (1 + erf(x / sqrt 2)) and erff rounds to -1 for x below about -5.6.
ZERO_BELOW = {"silu": -88.72, "gelu": -5.6}
GATE_ACTIVATION = {"swiglu": "silu", "geglu": "gelu", "swish": "silu", "gelu": "gelu"}
