"""Figures of tools/report.py (matplotlib, Agg backend). Every function takes the runs grouped
by variant ({ffn: [Run, ...]}, already ordered), draws one figure, writes it atomically and
returns a caption (or None when the data for it is missing)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .atomic_write import write_atomically  # noqa: E402
from .load import GATED, histogram, pool_histograms, variant_color  # noqa: E402
from .stats import (SILU_MIN_X, SILU_MIN_Y, finite, silu,  # noqa: E402
                          silu_derivative)

DPI = 130
plt.rcParams.update({
    "figure.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "legend.framealpha": 0.9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 12,
})


def save_figure(fig, path):
    """savefig into a temporary file beside `path`, then os.replace (atomic)."""
    try:
        write_atomically(path, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI,
                                                       bbox_inches="tight"))
    finally:
        plt.close(fig)


def _grid(n, max_cols=3, panel=(4.6, 3.4)):
    cols = min(n, max_cols)
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows),
                             squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _seed_label(runs):
    seeds = sorted(r.seed for r in runs)
    return "seed %d" % seeds[0] if len(seeds) == 1 else "%d seeds" % len(seeds)


def _band_note(by_variant):
    n = max(len(rs) for rs in by_variant.values())
    return "line: mean over seeds; band: min–max over seeds" if n > 1 else "single seed per variant"


# --- helpers over runs ----------------------------------------------------------------------

def _aggregate(series_per_run):
    """[[(x, y)], ...] per run -> xs, mean, lo, hi, counts over the runs that have each x."""
    by_x = {}
    for series in series_per_run:
        for x, y in series:
            if finite(y):
                by_x.setdefault(x, []).append(y)
    xs = sorted(by_x)
    mean = [sum(by_x[x]) / len(by_x[x]) for x in xs]
    lo = [min(by_x[x]) for x in xs]
    hi = [max(by_x[x]) for x in xs]
    n = [len(by_x[x]) for x in xs]
    return xs, mean, lo, hi, n


def _moving_average(series, window):
    if window <= 1 or len(series) < 3:
        return series
    half = window // 2
    out = []
    ys = [y for _, y in series]
    for i, (x, _) in enumerate(series):
        seg = [y for y in ys[max(0, i - half): i + half + 1] if finite(y)]
        out.append((x, sum(seg) / len(seg) if seg else float("nan")))
    return out


def _plot_mean_band(ax, xs, mean, lo, hi, color, label, marker=None, lw=1.8):
    ax.plot(xs, mean, color=color, lw=lw, label=label, marker=marker, ms=4)
    if any(a != b for a, b in zip(lo, hi)):
        ax.fill_between(xs, lo, hi, color=color, alpha=0.18, lw=0)


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


# --- 2. training loss -------------------------------------------------------------------------

def fig_loss(by_variant, path):
    have_steps = any(r.steps for rs in by_variant.values() for r in rs)
    ncols = 2 if have_steps else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6.2 * ncols, 4.2), squeeze=False)
    ax = axes[0][0]
    for v, rs in by_variant.items():
        c = variant_color(v, by_variant)
        xs, m, lo, hi, _ = _aggregate([r.epoch_values("train_loss") for r in rs])
        if xs:
            _plot_mean_band(ax, xs, m, lo, hi, c, None, marker="o")
        xs, m, lo, hi, _ = _aggregate([r.epoch_values("dev_loss") for r in rs])
        if xs:
            ax.plot(xs, m, color=c, lw=1.2, ls="--", marker="s", ms=3, alpha=0.9)
    ax.set_title("Loss per epoch")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss (nats)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    handles = [Line2D([], [], color=variant_color(v, by_variant), lw=2.5)
               for v in by_variant]
    labels = ["%s (%s)" % (v, _seed_label(rs)) for v, rs in by_variant.items()]
    handles += [Line2D([], [], color="0.3", lw=1.8, marker="o", ms=4),
                Line2D([], [], color="0.3", lw=1.2, ls="--", marker="s", ms=3)]
    labels += ["train: mean over the epoch's batches (dropout on)", "dev: after the epoch (eval mode)"]
    window_note = ""
    if have_steps:
        ax = axes[0][1]
        n_points = max(len(r.steps) for rs in by_variant.values() for r in rs)
        window = max(1, n_points // 25)
        if window % 2 == 0:
            window += 1
        log_every = None
        for v, rs in by_variant.items():
            series = [_moving_average([(s["step"], s.get("loss")) for s in r.steps], window)
                      for r in rs]
            xs, m, lo, hi, _ = _aggregate(series)
            if xs:
                _plot_mean_band(ax, xs, m, lo, hi, variant_color(v, by_variant), None, lw=1.4)
            for r in rs:
                le = r.config.get("log_every")
                if isinstance(le, int):
                    log_every = le
        _epoch_lines(ax, next(iter(by_variant.values()))[0])
        ax.set_title("Logged batch loss" + (" (every %d steps)" % log_every if log_every else ""))
        ax.set_xlabel("training step (dotted: epoch ends)")
        ax.set_ylabel("batch cross-entropy loss (nats)")
        if window > 1:
            window_note = ("; right: the training-batch loss logged every `log_every` steps, "
                           "moving average over %d logged points" % window)
            ax.text(0.99, 0.98, "moving average over %d logged points" % window,
                    transform=ax.transAxes, ha="right", va="top", fontsize=8, color="0.35")
        else:
            window_note = ("; right: the training-batch loss logged every `log_every` steps "
                           "(unsmoothed)")
    nv = len(by_variant)
    fig.legend(handles[:nv], labels[:nv], loc="lower center", ncol=min(nv, 5),
               bbox_to_anchor=(0.5, 0.045 + 0.04 * ((nv - 1) // 5)), frameon=False)
    fig.legend(handles[nv:], labels[nv:], loc="lower center", ncol=2,
               bbox_to_anchor=(0.5, -0.005), frameon=False)
    fig.suptitle("Training loss — " + _band_note(by_variant))
    fig.tight_layout(rect=(0, 0.11 + 0.04 * ((nv - 1) // 5), 1, 1))
    save_figure(fig, path)
    return ("Left: mean training loss of each epoch (solid) and dev loss (dashed)%s. %s."
            % (window_note, _band_note(by_variant).capitalize()))


def _epoch_lines(ax, run):
    """Dotted vertical lines at the ends of the run's epochs (but the last), in steps."""
    total = 0
    for e in run.epochs[:-1]:
        st = e.get("steps")
        if not isinstance(st, int) or st <= 0:
            return
        total += st
        ax.axvline(total + 0.5, color="0.5", lw=0.7, ls=":")


# --- 3. dev accuracy --------------------------------------------------------------------------

def fig_accuracy(by_variant, path, target):
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    ys_all = []
    for v, rs in by_variant.items():
        c = variant_color(v, by_variant)
        xs, m, lo, hi, _ = _aggregate([[(e, 100 * a) for e, a in r.epoch_values("dev_acc")]
                                       for r in rs])
        if xs:
            _plot_mean_band(ax, xs, m, lo, hi, c, "%s (%s)" % (v, _seed_label(rs)), marker="o")
            ys_all += lo + hi
        xs, m, _, _, _ = _aggregate([[(e, 100 * a) for e, a in r.epoch_values("train_acc")]
                                     for r in rs])
        if xs:
            ax.plot(xs, m, color=c, lw=1.0, ls=":", alpha=0.8)
            ys_all += m
    ax.axhline(100 * target, color="0.25", lw=1.0, ls="--")
    ax.axhline(50, color="0.6", lw=0.8, ls="-.")
    if ys_all:
        lo_y = min(min(ys_all), 50, 100 * target) - 2
        hi_y = max(max(ys_all), 100 * target) + 2
        ax.set_ylim(max(0, lo_y), min(100, hi_y))
    ax.text(ax.get_xlim()[1], 100 * target, "%g%% target " % (100 * target), va="bottom",
            ha="right", fontsize=8, color="0.25")
    ax.set_title("SST-2 dev accuracy per epoch — " + _band_note(by_variant))
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.3", lw=1.0, ls=":"))
    labels.append("train accuracy (mean, dropout on)")
    ax.legend(handles, labels, loc="best")
    fig.tight_layout()
    save_figure(fig, path)
    return ("Dev accuracy after each epoch (solid; %s) and training accuracy (dotted, mean). "
            "Dashed: the %g%% target of the summary table; dash-dotted: chance (50%%)."
            % (_band_note(by_variant), 100 * target))


# --- 4. gradient norms ------------------------------------------------------------------------

LAYER_STYLE = {
    "token_embedding": ("#1f77b4", "-"),
    "positions": ("#17becf", "-"),
    "attn": ("#ff7f0e", "-"),
    "ffn": ("#d62728", "-"),
    "norm1": ("#9467bd", "--"),
    "norm2": ("#8c564b", "--"),
    "final_norm": ("#e377c2", "--"),
    "head": ("#2ca02c", "-"),
}


def _layer_style(group, index):
    short = group.split(".")[-1]
    if short in LAYER_STYLE:
        color, ls = LAYER_STYLE[short]
    else:
        color, ls = plt.get_cmap("tab20")(index % 20), "-"
    # deeper encoder layers: same colour, thinner and dash-dotted
    layer = group.split(".")[1] if group.startswith("encoder.") else None
    if layer is not None and layer != "0":
        ls = (0, (3, 1, 1, 1)) if ls == "-" else ":"
    return color, ls


def fig_grad_norms(by_variant, path):
    if not any(r.steps for rs in by_variant.values() for r in rs):
        return None
    groups = []
    for rs in by_variant.values():
        for r in rs:
            for s in r.steps:
                lg = s.get("layer_grad_norms")
                if isinstance(lg, dict):
                    for g in lg:
                        if g not in groups:
                            groups.append(g)
    order = ["token_embedding", "positions"]
    groups.sort(key=lambda g: (order.index(g) if g in order else
                               (2 if g.startswith("encoder.") else 3 if g == "final_norm" else 4), g))
    fig, axes = _grid(len(by_variant), max_cols=3, panel=(5.0, 3.8))
    ymin, ymax = None, None
    for ax, (v, rs) in zip(axes, by_variant.items()):
        xs, m, lo, hi, _ = _aggregate([[(s["step"], s.get("grad_norm")) for s in r.steps] for r in rs])
        if xs:
            ax.plot(xs, m, color="black", lw=2.0, label="global", zorder=5)
            if any(a != b for a, b in zip(lo, hi)):
                ax.fill_between(xs, lo, hi, color="black", alpha=0.12, lw=0, zorder=4)
        for gi, g in enumerate(groups):
            series = [[(s["step"], (s.get("layer_grad_norms") or {}).get(g)) for s in r.steps]
                      for r in rs]
            gx, gm, _, _, _ = _aggregate(series)
            if gx:
                color, ls = _layer_style(g, gi)
                ax.plot(gx, gm, color=color, ls=ls, lw=1.1, label=g)
                pos = [y for y in gm if y > 0]
                if pos:
                    ymin = min(pos) if ymin is None else min(ymin, min(pos))
        if xs:
            pos = [y for y in hi if y > 0]
            if pos:
                ymax = max(pos) if ymax is None else max(ymax, max(pos))
        _epoch_lines(ax, rs[0])
        ax.set_yscale("log")
        ax.set_title("%s (%s)" % (v, _seed_label(rs)), color=variant_color(v, by_variant))
        ax.set_xlabel("training step (dotted: epoch ends)")
        ax.set_ylabel("L2 gradient norm (before clipping)")
    if ymin and ymax:
        for ax in axes:
            ax.set_ylim(ymin / 1.5, ymax * 1.5)
    handles = [Line2D([], [], color="black", lw=2.0)]
    labels = ["global"]
    for gi, g in enumerate(groups):
        color, ls = _layer_style(g, gi)
        handles.append(Line2D([], [], color=color, ls=ls, lw=1.1))
        labels.append(g)
    legend_cols = min(len(labels), 5 if len(axes) > 1 else 3)
    fig.legend(handles, labels, loc="lower center", ncol=legend_cols,
               bbox_to_anchor=(0.5, 0.0), frameon=False)
    fig.suptitle("Gradient-norm flow during training (logged steps; per-layer lines: mean over seeds)")
    legend_rows = int(math.ceil(len(labels) / float(legend_cols)))
    fig.tight_layout(rect=(0, (0.12 + 0.2 * legend_rows) / fig.get_size_inches()[1], 1, 1))
    save_figure(fig, path)
    return ("Global L2 norm of the gradient (black; mean over seeds, band min–max) and the norm "
            "of each parameter group (coloured, mean over seeds), at every logged step, before "
            "any clipping; shared log scale across panels.")


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


# --- benchmarks -------------------------------------------------------------------------------

def _bench_series(records):
    series = {}
    for r in records:
        key = (r.get("device", "?"), r.get("device_name", ""), r.get("threads", 0))
        series.setdefault(key, []).append(r)
    return series


def bench_series_label(key):
    device, name, threads = key
    thr = ("%d thread%s" % (threads, "" if threads == 1 else "s")) if device == "cpu" and threads \
        else ""
    parts = [device.upper() if device in ("cpu", "cuda") else device]
    if thr:
        parts.append(thr)
    label = " ".join(parts)
    if name:
        label += " — " + (name if len(name) <= 28 else name[:27] + "…")
    return label


def _bench_panels(records, height):
    """One panel per pass (forward, backward, then any other), and the series to draw in each,
    sorted: (fig, [(axis, pass)], [(colour, series key, records)])."""
    series = _bench_series(records)
    passes = [p for p in ("forward", "backward") if any(r["pass"] == p for r in records)]
    passes += sorted({r["pass"] for r in records} - set(passes))
    fig, axes = plt.subplots(1, len(passes), figsize=(6.0 * len(passes), height), squeeze=False)
    cmap = plt.get_cmap("tab10")
    lines = [(cmap(i % 10), key, recs)
             for i, (key, recs) in enumerate(sorted(series.items(), key=lambda kv: str(kv[0])))]
    return fig, list(zip(axes[0], passes)), lines


def fig_bench_speedup(records, path):
    fig, panels, lines = _bench_panels(records, 4.3)
    for ax, p in panels:
        for color, key, recs in lines:
            pts = sorted((r["elements"], r["speedup"]) for r in recs if r["pass"] == p)
            if pts:
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", ms=4, lw=1.6,
                        color=color, label=bench_series_label(key))
        ax.axhline(1.0, color="0.3", lw=0.9, ls="--")
        ax.set_xscale("log")
        ax.set_title("%s pass" % p)
        ax.set_xlabel("elements per input tensor (log scale)")
        ax.set_ylabel("speedup of fused (unfused ms / fused ms)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="best")
    fig.suptitle("SwiGLU: fused kernel vs silu-then-multiply (median times; above 1 = fused faster)")
    fig.tight_layout()
    save_figure(fig, path)
    return ("Speedup of the fused SwiGLU over the unfused `mul(silu(a), b)` (median of many runs), "
            "per tensor size, one line per device and thread count; dashed: no speedup.")


def fig_bench_bandwidth(records, path):
    if not any(finite(r.get("fused_gbps")) for r in records):
        return None
    fig, panels, lines = _bench_panels(records, 4.5)
    for ax, p in panels:
        for color, key, recs in lines:
            rs = sorted((r for r in recs if r["pass"] == p), key=lambda r: r["elements"])
            if not rs:
                continue
            for field, ls, marker in (("fused_gbps", "-", "o"), ("unfused_gbps", "--", "s"),
                                      ("copy_gbps", ":", None)):
                pts = [(r["elements"], r[field]) for r in rs if finite(r.get(field))]
                if pts:
                    ax.plot([x for x, _ in pts], [y for _, y in pts], color=color, ls=ls,
                            marker=marker, ms=4, lw=1.5 if field != "copy_gbps" else 1.2)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title("%s pass" % p)
        ax.set_xlabel("elements per input tensor (log scale)")
        ax.set_ylabel("effective bandwidth (GB/s, log scale)")
    keys = [key for _, key, _ in lines]
    handles = [Line2D([], [], color=color, lw=2.5) for color, _, _ in lines]
    labels = [bench_series_label(k) for k in keys]
    style_handles = [Line2D([], [], color="0.3", ls="-", marker="o", ms=4),
                     Line2D([], [], color="0.3", ls="--", marker="s", ms=4),
                     Line2D([], [], color="0.3", ls=":")]
    style_labels = ["fused", "unfused", "device copy (a.clone(): read + write)"]
    series_rows = int(math.ceil(len(keys) / 3.0))
    fig.legend(handles, labels, loc="lower center", ncol=min(3, len(keys)),
               bbox_to_anchor=(0.5, 0.25 / fig.get_size_inches()[1]), frameon=False)
    fig.legend(style_handles, style_labels, loc="lower center", ncol=3,
               bbox_to_anchor=(0.5, 0.0), frameon=False)
    fig.suptitle("SwiGLU effective bandwidth vs a plain copy (each path's own bytes / its time)")
    fig.tight_layout(rect=(0, (0.35 + 0.22 * series_rows) / fig.get_size_inches()[1], 1, 1))
    save_figure(fig, path)
    return ("Effective bandwidth of the fused and unfused paths (their own byte counts: forward "
            "12 vs 20 B/element, backward 20 vs 32 B/element) next to a device-to-device copy "
            "measured in the same run, which is the practical ceiling.")
