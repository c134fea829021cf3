"""Figures of tools/report.py (matplotlib, Agg backend): the shared set-up and helpers, and the
training curves (loss, dev accuracy, gradient norms); distributions.py and bench_plots.py hold
the others. Every figure function takes the runs grouped by variant ({ffn: [Run, ...]}, already
ordered), draws one figure, writes it atomically and returns a caption (or None when the data
for it is missing)."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from .atomic_write import write_atomically  # noqa: E402
from .load import variant_color  # noqa: E402
from .stats import finite  # noqa: E402

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


