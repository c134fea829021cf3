"""Figures of distributions on the dev set (tools/report.py): the FFN's activation and block
outputs, the pre-activations, and the Swish bump. Each takes the runs grouped by variant, draws
one figure, writes it atomically and returns a caption (or None when the data is missing)."""

from .load import GATED, histogram, pool_histograms, variant_color
from .plots import _grid, _seed_label, plt, save_figure
from .stats import SILU_MIN_X, SILU_MIN_Y, finite, silu, silu_derivative


def _pooled_hist(runs, which, key):
    return pool_histograms([histogram(r.ffn_stats(which), key) for r in runs])


def _density(h):
    """(edges, densities) of a histogram: count / (total * bin width), so areas compare across
    variants (values outside the bins make the in-range area < 1)."""
    n = len(h["counts"])
    width = (h["hi"] - h["lo"]) / n
    edges = [h["lo"] + i * width for i in range(n + 1)]
    tot = h["total"] if h["total"] > 0 else 1
    return edges, [c / (tot * width) for c in h["counts"]]


def _extent(hists, pad=0.3):
    """x-range covering the occupied bins of all histograms."""
    lo, hi = None, None
    for h in hists:
        n = len(h["counts"])
        width = (h["hi"] - h["lo"]) / n
        nz = [i for i, c in enumerate(h["counts"]) if c > 0]
        if not nz:
            continue
        a, b = h["lo"] + nz[0] * width, h["lo"] + (nz[-1] + 1) * width
        if h["underflow"]:
            a = h["lo"]
        if h["overflow"]:
            b = h["hi"]
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None:
        return None
    return lo - pad, hi + pad


def _outside_note(h):
    parts = []
    if h["total"] > 0:
        if h["underflow"]:
            parts.append("%.2g%% < %g" % (100.0 * h["underflow"] / h["total"], h["lo"]))
        if h["overflow"]:
            parts.append("%.2g%% ≥ %g" % (100.0 * h["overflow"] / h["total"], h["hi"]))
    return (" [" + ", ".join(parts) + "]") if parts else ""


def _epoch_words(which, runs):
    eps = sorted({r.epoch_record(which)["epoch"] for r in runs})
    word = "best-dev-accuracy epoch" if which == "best" else "final epoch"
    return "%s (epoch %s)" % (word, ", ".join(str(e) for e in eps))


def _save_pooled(fig, path, title, by_variant, which):
    """Titles a figure of seeds-pooled distributions with the epoch shown and saves it; returns
    the epoch's words for the caption."""
    words = _epoch_words(which, [r for rs in by_variant.values() for r in rs])
    fig.suptitle("%s, %s; seeds pooled" % (title, words))
    fig.tight_layout()
    save_figure(fig, path)
    return words


# --- 1. FFN activation output and block output ------------------------------------------------


def fig_ffn_outputs(by_variant, path, which):
    panels = [("activation_output", "FFN activation output (what W_down reads)"),
              ("block_output", "FFN block output")]
    pooled = {k: {v: _pooled_hist(rs, which, k) for v, rs in by_variant.items()} for k, _ in panels}
    if not any(h for k in pooled for h in pooled[k].values()):
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for ax, (key, title) in zip(axes, panels):
        hs = [h for h in pooled[key].values() if h]
        for v, h in pooled[key].items():
            if not h:
                continue
            edges, dens = _density(h)
            ax.stairs(dens, edges, color=variant_color(v, by_variant), lw=1.6,
                      label=v + _outside_note(h))
        ax.set_yscale("log")
        ext = _extent(hs)
        if ext:
            ax.set_xlim(*ext)
        ax.set_title(title)
        ax.set_xlabel("value (bin width %.2g)" % ((hs[0]["hi"] - hs[0]["lo"]) / len(hs[0]["counts"]))
                      if hs else "value")
        ax.set_ylabel("density (fraction per unit, log scale)")
        ax.legend(loc="upper right")
    words = _save_pooled(fig, path, "FFN output distributions on the dev set", by_variant, which)
    return ("Distribution of the FFN's activation output (`act(W1 x)`, or `act(gate) * up` for "
            "gated variants: the input of the down projection) and of the FFN block's output, "
            "on the dev set at the %s, every element of every real token, seeds pooled. "
            "Log density over fixed 0.1-wide bins on [-8, 8); the share of values outside the bins "
            "is given in the legend when there is any." % words)


# --- 5. pre-activation distributions ---------------------------------------------------------

def fig_pre_activations(by_variant, path, which):
    pooled = {v: (_pooled_hist(rs, which, "pre_activation"), _pooled_hist(rs, which, "up"),
                  pool_histograms([histogram(r.ffn_stats_first(), "pre_activation") for r in rs])
                  if len(rs[0].epochs) > 1 else None)
              for v, rs in by_variant.items()}
    if not any(p[0] for p in pooled.values()):
        return None
    fig, axes = _grid(len(by_variant), max_cols=3, panel=(4.8, 3.6))
    hs_all = [h for p in pooled.values() for h in p if h]
    ext = _extent(hs_all)
    for ax, (v, rs) in zip(axes, by_variant.items()):
        pre, up, first = pooled[v]
        c = variant_color(v, by_variant)
        gated = v in GATED or any(r.get("model", "gated") is True for r in rs)
        if ext:
            ax.set_xlim(*ext)
        ax.axvspan(ext[0] if ext else -8, 0, color="0.92", zorder=0, lw=0)
        if pre:
            edges, dens = _density(pre)
            ax.stairs(dens, edges, color=c, fill=True, alpha=0.35, lw=0)
            ax.stairs(dens, edges, color=c, lw=1.5,
                      label=("gate pre-activation W_gate x" if gated else "pre-activation W1 x + b1")
                      + _outside_note(pre))
            neg = _negative_share(pre)
            if neg is not None:
                ax.text(0.02, 0.97, "%s < 0: %.1f%%" % ("gate" if gated else "pre", 100 * neg),
                        transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
                        bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="0.7"))
        if first:
            edges, dens = _density(first)
            ax.stairs(dens, edges, color=c, lw=0.9, ls=":", label="same, after epoch 1")
        if up:
            edges, dens = _density(up)
            ax.stairs(dens, edges, color="0.25", lw=1.2, ls="--", label="up branch W_up x"
                      + _outside_note(up))
        ax.axvline(0, color="0.3", lw=0.8)
        ax.set_title(v, color=c)
        ax.set_xlabel("pre-activation value (grey: negative side)")
        ax.set_ylabel("density (fraction per unit)")
        ax.legend(loc="upper right", fontsize=7.5)
    words = _save_pooled(fig, path, "Pre-activation distributions on the dev set", by_variant,
                         which)
    return ("Distribution of the activation's input, negatives included, at the %s (solid, "
            "filled) and after epoch 1 (dotted), seeds pooled; for gated variants the gate "
            "`W_gate x` (solid) and the up branch `W_up x` (dashed). The box gives the share of "
            "negative (gate) values in the final distribution." % words)


def _negative_share(h):
    """Share of values < 0 from the bins (exact when 0 is a bin edge, as with [-8, 8) / 160)."""
    if h["total"] <= 0:
        return None
    n = len(h["counts"])
    width = (h["hi"] - h["lo"]) / n
    k = (0.0 - h["lo"]) / width
    if abs(k - round(k)) > 1e-9:
        return None
    neg = sum(h["counts"][: int(round(k))]) + h["underflow"]
    return neg / h["total"]


# --- 6. the Swish bump ------------------------------------------------------------------------


def fig_swish_bump(by_variant, path, which):
    sources = [v for v in ("swiglu", "swish") if v in by_variant]
    if not sources:
        return None
    hists = {v: _pooled_hist(by_variant[v], which, "pre_activation") for v in sources}
    sources = [v for v in sources if hists[v]]
    if not sources:
        return None
    fig, ax = plt.subplots(figsize=(8.6, 5.0))
    ax2 = ax.twinx()
    ax2.grid(False)
    ax2.spines["right"].set_visible(True)
    lo_x, hi_x = -6.0, 4.0
    ax2.axvspan(-5.0, 0.0, color="#fff3cd", zorder=0, lw=0)
    ax.axvline(SILU_MIN_X, color="0.4", lw=0.8, ls=":")
    notes = []
    for i, v in enumerate(sources):
        h = hists[v]
        edges, dens = _density(h)
        keep = [(a, b, d) for a, b, d in zip(edges[:-1], edges[1:], dens) if b > lo_x and a < hi_x]
        e2 = [keep[0][0]] + [b for _, b, _ in keep]
        d2 = [d for _, _, d in keep]
        c = variant_color(v, by_variant)
        what = "SwiGLU gate W_gate x" if v == "swiglu" else "Swish pre-activation W1 x + b1"
        if i == 0:
            ax2.stairs(d2, e2, color=c, fill=True, alpha=0.30, lw=0, zorder=1)
        ax2.stairs(d2, e2, color=c, lw=1.4, ls="-" if i == 0 else "--",
                   label="%s, %s" % (what, _seed_label(by_variant[v])))
        fr = _bump_fractions(by_variant[v], which)
        if fr:
            notes.append("%-6s %5.1f%%  (left of min %.1f%%, right %.1f%%)"
                         % (v, 100 * fr[0], 100 * fr[1], 100 * fr[2]))
    xs = [lo_x + (hi_x - lo_x) * i / 400 for i in range(401)]
    ax.plot(xs, [silu(x) for x in xs], color="black", lw=2.0, label="silu(x) = x·σ(x)", zorder=5)
    ax.plot(xs, [silu_derivative(x) for x in xs], color="#7f7f7f", lw=1.5, ls="--",
            label="silu′(x)", zorder=5)
    ax.axhline(0, color="0.3", lw=0.7)
    ax.plot([SILU_MIN_X], [SILU_MIN_Y], marker="o", color="crimson", ms=7, zorder=6)
    ax.annotate("minimum\nx = %.4f\nsilu = %.4f" % (SILU_MIN_X, SILU_MIN_Y),
                xy=(SILU_MIN_X, SILU_MIN_Y), xytext=(-5.0, 0.45), fontsize=8.5, color="crimson",
                arrowprops=dict(arrowstyle="->", color="crimson", lw=1.0))
    ax.text(-2.5, -0.55, "bump region [-5, 0)", ha="center", fontsize=8.5, color="#8a6d00")
    ax.set_xlim(lo_x, hi_x)
    ax.set_ylim(-0.7, 4.2)
    ax.set_xlabel("x (activation input)")
    ax.set_ylabel("silu(x), silu′(x)")
    ax2.set_ylabel("density of measured values (fraction per unit)")
    ax2.set_ylim(0, None)
    ax.set_zorder(ax2.get_zorder() + 1)
    ax.patch.set_visible(False)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    if notes:
        ax.text(0.015, 0.70, "share of inputs in the bump\n" + "\n".join(notes),
                transform=ax.transAxes, ha="left", va="top", fontsize=8, family="monospace",
                bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="0.6"))
    any_runs = [r for v in sources for r in by_variant[v]]
    fig.suptitle("Swish's negative bump and where the measured inputs fall (%s, seeds pooled)"
                 % _epoch_words(which, any_runs), fontsize=11)
    fig.tight_layout()
    save_figure(fig, path)
    return ("SiLU and its derivative over [-6, 4] with the minimum marked, drawn over the "
            "distribution of the inputs SiLU sees on the dev set (%s; seeds pooled). Shaded: the "
            "bump region [-5, 0); the box gives the runner's `bump` fractions (mean over seeds) — "
            "the share of inputs in that region, split at the minimum (left: silu decreasing, its "
            "gradient is negative)." % ", ".join(sources))


def _bump_fractions(runs, which):
    vals = []
    for r in runs:
        b = (r.ffn_stats(which) or {}).get("bump")
        if isinstance(b, dict) and all(finite(b.get(k)) for k in ("fraction", "left_of_min",
                                                                   "right_of_min")):
            vals.append((b["fraction"], b["left_of_min"], b["right_of_min"]))
    if not vals:
        return None
    return tuple(sum(v[i] for v in vals) / len(vals) for i in range(3))
