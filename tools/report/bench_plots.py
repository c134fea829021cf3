"""Figures of the kernel benchmark (bench_swiglu's records): the fused kernel's speedup and the
effective bandwidth of both paths next to a device copy (tools/report.py --bench)."""

import math

from matplotlib.lines import Line2D

from .plots import plt, save_figure
from .stats import finite


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
