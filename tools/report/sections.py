"""The sections of report.md: header, summary, FFN statistics, significance, resources,
definitions and the benchmark plots' section (tools/report.py puts them together)."""

import os
import sys

from .formatting import DASH, fmt_int, fmt_num, fmt_pm, md_table
from .eval_files import eval_stems, header_line, summary_columns
from .paired import paired_tables, paired_tests
from .measures import epochs_to_target, grad_norm_cv, negative_kept
from .stats import finite, mean
from .load import GATED, variant_sort_key

PROG = "report.py"

WARNINGS = []  # also listed under "Notes" in report.md


def warn(msg):
    WARNINGS.append(msg)
    sys.stderr.write("%s: warning: %s\n" % (PROG, msg))


# --- formatting -----------------------------------------------------------------------------

def seed_ranges(seeds):
    """[0, 1, 2, 3, 7] -> 'seeds 0-3, 7'; [4] -> 'seed 4'."""
    seeds = sorted(set(seeds))
    parts, i = [], 0
    while i < len(seeds):
        j = i
        while j + 1 < len(seeds) and seeds[j + 1] == seeds[j] + 1:
            j += 1
        parts.append(str(seeds[i]) if j == i else "%d-%d" % (seeds[i], seeds[j]))
        i = j + 1
    return ("seed " if len(seeds) == 1 else "seeds ") + ", ".join(parts)


def distinct(values):
    out = []
    for v in values:
        if v is not None and v not in out:
            out.append(v)
    return out


def join_distinct(values, empty="unknown"):
    d = distinct(values)
    return ", ".join(str(v) for v in d) if d else empty


# --- the report -------------------------------------------------------------------------------

def select_runs(runs, include_unfinished):
    """{ffn: [Run]} in canonical order: the finished runs of each variant (all of its runs when
    none finished, or with include_unfinished), and the runs left out."""
    grouped = {}
    for r in runs:
        grouped.setdefault(r.variant, []).append(r)
    selected, left_out, unfinished_variants = {}, [], []
    for v in sorted(grouped, key=variant_sort_key):
        rs = sorted(grouped[v], key=lambda r: r.seed)
        fin = [r for r in rs if r.status == "finished"]
        if include_unfinished or not fin:
            selected[v] = rs
            if not fin:
                unfinished_variants.append(v)
        else:
            selected[v] = fin
            left_out += [r for r in rs if r.status != "finished"]
    return selected, left_out, unfinished_variants


def header_section(by_variant, runs_dir, left_out, unfinished_variants, summary, notes):
    runs = [r for rs in by_variant.values() for r in rs]
    lines = ["# SST-2 FFN variants: report", ""]
    seeds = sorted({r.seed for r in runs})
    cfg_epochs = distinct(r.config.get("epochs") for r in runs)
    rec_epochs = distinct(len(r.epochs) for r in runs)
    devices = []
    for r in runs:
        d = "%s (%s%s)" % (r.get("device", default="?"), r.get("device_name", default="?"),
                           ", %d threads" % r.get("threads") if r.get("device") == "cpu"
                           and isinstance(r.get("threads"), int) else "")
        devices.append(d)
    info = [
        ("Runs", "%d run files from `%s`" % (len(runs), runs_dir)),
        ("Variants", ", ".join("%s (%s)" % (v, seed_ranges([r.seed for r in rs]))
                               for v, rs in by_variant.items())),
        ("Seeds", ", ".join(str(s) for s in seeds)),
        ("Epochs", "%s requested; %s recorded per run" % (join_distinct(cfg_epochs),
                                                           join_distinct(rec_epochs))),
        ("Device", join_distinct(devices)),
        ("Commit", "%s (%s build)" % (join_distinct(r.get("git_commit") for r in runs),
                                      join_distinct(r.get("build_type") for r in runs))),
        ("Data", "%s training / %s dev examples%s" % (
            join_distinct(r.get("data", "train_examples") for r in runs),
            join_distinct(r.get("data", "dev_examples") for r in runs),
            "" if join_distinct(r.config.get("limit") for r in runs) in ("-1", "unknown")
            else " (`--limit %s`)" % join_distinct(r.config.get("limit") for r in runs))),
    ]
    eval_line = header_line(by_variant, eval_stems(by_variant))
    if eval_line:
        info.append(eval_line)
    c = runs[0].config
    model = ("d_model %s, %s layer(s), %s heads, FFN hidden %s, max_len %s, %s-LN, %s positions, "
             "%s pooling, dropout %s" % (
                 c.get("d_model"), c.get("layers"), c.get("heads"),
                 ", ".join("%s %s" % (v, join_distinct(r.get("model", "ffn_hidden") for r in rs))
                           for v, rs in by_variant.items()),
                 c.get("max_len"), c.get("norm"), c.get("positions"), c.get("pooling"),
                 c.get("dropout")))
    info.append(("Model", model))
    info.append(("Training", "%s, lr %s, weight decay %s, batch %s, preset %s" % (
        c.get("optimizer"), c.get("lr"), c.get("weight_decay"), c.get("batch"), c.get("preset"))))
    for k, v in info:
        lines.append("- **%s:** %s" % (k, v))
    # Settings that differ between runs (other than the variant itself) make comparisons unfair.
    ignore = {"ffn", "seeds", "out", "quiet", "resume", "config", "threads", "eval_batch",
              "ffn_dim", "data_dir", "vocab"}
    differing = []
    keys = set()
    for r in runs:
        keys |= set(r.config)
    for k in sorted(keys - ignore):
        vals = distinct(repr(r.config.get(k)) for r in runs)
        if len(vals) > 1:
            differing.append("`%s` (%s)" % (k, ", ".join(vals)))
    if differing:
        notes.append("The runs differ in settings other than the FFN variant: " + ", ".join(differing)
                     + ". The header shows the first run's values.")
    if left_out:
        notes.append("Left out (not finished; the statistics use the finished runs of each variant, "
                     "like summary.json): " + ", ".join(
                         "%s (%s%s)" % (r.name, r.status, _failure_text(r)) for r in left_out) + ".")
    if unfinished_variants:
        notes.append("No finished run for %s: its row uses unfinished runs (marked \"unfinished\")."
                     % ", ".join(unfinished_variants))
    if summary is not None:
        listed = summary.get("runs") if isinstance(summary.get("runs"), list) else []
        names = {r.name for rs in by_variant.values() for r in rs} | {r.name for r in left_out}
        missing = [n for n in listed if isinstance(n, str) and n not in names]
        if missing:
            notes.append("summary.json lists run files that are missing or unusable here: "
                         + ", ".join(missing) + ".")
    return lines


def _failure_text(r):
    f = r.get("failure")
    if isinstance(f, dict):
        return ", at step %s of epoch %s: %s" % (f.get("step"), f.get("epoch"), f.get("message"))
    return ""


def summary_section(by_variant, target, which, unfinished_variants):
    header = ["variant", "runs", "best dev acc (%)", "final dev acc (%)",
              "epochs to %g%% dev" % (100 * target), "train loss, last epoch",
              "dev loss, last epoch", "grad-norm CV", "negatives kept",
              "ReLU dead units", "params total (FFN)", "steps/s"]
    eval_header, eval_cells = summary_columns(by_variant, eval_stems(by_variant))
    header[4:4] = eval_header
    rows = []
    cv_scopes = {}
    kept_methods = set()
    for v, rs in by_variant.items():
        reach = [epochs_to_target(r, target) for r in rs]
        got = [e for e in reach if e is not None]
        if not got:
            reach_s = "not reached"
        elif len(got) == len(rs):
            reach_s = ("%d" % got[0]) if len(got) == 1 else "%.1f (%s)" % (
                mean(got), ", ".join(str(e) for e in reach))
        else:
            reach_s = "%s; %d/%d seeds not reached" % (
                ", ".join(str(e) for e in got), len(rs) - len(got), len(rs))
        cvs = []
        for r in rs:
            cv, scope, n = grad_norm_cv(r)
            if cv is not None:
                cvs.append(cv)
                cv_scopes.setdefault(scope, []).append(n)
        kept = []
        for r in rs:
            k, how = negative_kept(r, which)
            if k is not None:
                kept.append(k)
                kept_methods.add("%s: %s" % (v, how))
        dead = [(r.ffn_stats(which) or {}).get("dead_unit_ratio") for r in rs]
        totals = distinct(r.get("params", "total") for r in rs)
        ffns = distinct(r.get("params", "ffn") for r in rs)
        params = "%s (%s)" % (" / ".join(fmt_int(t) for t in totals) or DASH,
                              " / ".join(fmt_int(t) for t in ffns) or DASH)
        rows.append([
            "**%s**" % v + (" (unfinished)" if v in unfinished_variants else ""), str(len(rs)),
            fmt_pm([r.best_dev_acc for r in rs], 100, 2),
            fmt_pm([r.final_dev_acc for r in rs], 100, 2),
            reach_s,
            fmt_pm([r.last_epoch.get("train_loss") for r in rs], 1, 4),
            fmt_pm([r.last_epoch.get("dev_loss") for r in rs], 1, 4),
            fmt_pm(cvs, 1, 3),
            fmt_pm(kept, 100, 1, "%"),
            fmt_pm(dead, 100, 1, "%") if rs[0].ffn == "relu" else DASH,
            params,
            fmt_pm([r.steps_per_s() for r in rs], 1, 1),
        ])
        rows[-1][4:4] = eval_cells[v]
    lines = ["## Summary", "",
             "Mean ± sample standard deviation over seeds (a single value for one seed). "
             "FFN statistics are taken at the %s epoch. Definitions are at the end." % which, "",
             md_table(header, rows)]
    return lines, cv_scopes, kept_methods


def ffn_stats_section(by_variant, which):
    header = ["variant", "pre-act. < 0", "act. output < 0", "negatives kept",
              "in bump [-5, 0)", "left of min", "right of min", "dead units (pre never > 0)",
              "pre-act. mean ± std", "act. output std", "block output std"]
    rows = []
    for v, rs in by_variant.items():
        stats = [r.ffn_stats(which) or {} for r in rs]

        def col(key, sub=None, scale=100.0, digits=1, suffix="%"):
            vals = [(s.get(key) or {}).get(sub) if sub else s.get(key) for s in stats]
            return fmt_pm([x if finite(x) else None for x in vals], scale, digits, suffix)

        pre_mean = [((s.get("pre_activation") or {}).get("mean")) for s in stats]
        pre_std = [((s.get("pre_activation") or {}).get("std")) for s in stats]
        kept = [negative_kept(r, which)[0] for r in rs]
        rows.append([
            "**%s**" % v, col("negative_fraction"), col("negative_kept_fraction"),
            fmt_pm(kept, 100, 1, "%"), col("bump", "fraction"), col("bump", "left_of_min"),
            col("bump", "right_of_min"), col("dead_unit_ratio"),
            "%s ± %s" % (fmt_num(mean(pre_mean), 3), fmt_num(mean(pre_std), 3)),
            fmt_num(mean([(s.get("activation_output") or {}).get("std") for s in stats]), 3),
            fmt_num(mean([(s.get("block_output") or {}).get("std") for s in stats]), 3),
        ])
    return ["### FFN statistics on the dev set (%s epoch)" % which, "",
            "First FFN layer, every element of every real token of the dev set, mean over seeds "
            "(± sample std for the fractions). For gated variants \"pre-act.\" is the gate "
            "`W_gate x`. Distribution columns give the mean over seeds of each run's mean and "
            "population std.", "",
            md_table(header, rows)]


def significance_section(by_variant, alpha):
    variants = list(by_variant)
    lines = ["## Paired significance: McNemar's exact test on dev predictions", ""]
    if len(variants) < 2:
        return lines + ["Only one variant: nothing to compare.", ""]
    lines += [
        "For each pair of variants A vs B and each seed both ran, the dev examples are paired: "
        "b = A right and B wrong, c = A wrong and B right. Under the null hypothesis (same error "
        "rate) each discordant example goes either way with probability 1/2, so the two-sided "
        "exact p = min(1, 2 · P[X ≤ min(b, c)]), X ~ Binomial(b + c, 1/2). **Per seed** uses the "
        "predictions of that seed's two runs; **pooled** adds b and c over the seeds and tests "
        "once (this treats the seeds' repeated passes over the same dev examples as independent, "
        "so it is a summary, not a strict test). Holm's correction is applied to the pooled "
        "p-values across all pairs; a difference is called significant when the Holm-adjusted "
        "p < %g. Predictions at the **final** epoch; the last table repeats the pooled test on "
        "the best-epoch predictions." % alpha, ""]
    results = paired_tests(by_variant, lambda r, which: r.predictions(which))
    lines += paired_tables(results, alpha, "dev examples", "dev",
                           "Pooled test on the predictions at each run's best-dev-accuracy epoch "
                           "(chosen on the same dev set, so optimistic):")
    return lines


def _scope_text(cv_scopes):
    if not cv_scopes:
        return "none (too few logged steps)"
    parts = []
    for scope, ns in sorted(cv_scopes.items()):
        lo, hi = min(ns), max(ns)
        parts.append("%s, %s logged steps per run" % (scope, lo if lo == hi else "%d–%d" % (lo, hi)))
    text = "; ".join(parts)
    if max(n for ns in cv_scopes.values() for n in ns) < 10:
        text += " (few points: a rough indication only)"
    return text


def resources_section(by_variant):
    header = ["variant", "device", "steps/s", "tokens/s", "training time (s)",
              "peak host RSS (MiB)", "peak device memory (MiB)"]
    rows = []
    for v, rs in by_variant.items():
        tok = [mean([t for _, t in r.epoch_values("tokens_per_s")]) for r in rs]
        dev_mem = [r.get("peak_memory", "device_bytes") for r in rs]
        rows.append([
            "**%s**" % v,
            join_distinct("%s%s" % (r.get("device", default="?"),
                                    ", %d threads" % r.get("threads") if r.get("device") == "cpu"
                                    and isinstance(r.get("threads"), int) else "") for r in rs),
            fmt_pm([r.steps_per_s() for r in rs], 1, 1),
            fmt_pm(tok, 1, 0),
            fmt_pm([r.get("timing", "train_s") for r in rs], 1, 1),
            fmt_pm([r.get("peak_memory", "host_rss_bytes") for r in rs], 1.0 / 2 ** 20, 0),
            fmt_pm(dev_mem, 1.0 / 2 ** 20, 0) if any(finite(x) and x > 0 for x in dev_mem)
            else DASH,
        ])
    return ["### Speed and memory", "",
            "Training throughput (evaluation excluded), mean ± sample std over seeds. Host RSS is "
            "the process's high-water mark so far, so later runs of one runner invocation include "
            "earlier ones.", "", md_table(header, rows, ["l", "l"] + ["r"] * 5)]


def definitions_section(target, which, cv_scopes, kept_methods):
    kept = "; ".join(sorted(kept_methods)) if kept_methods else "none computed"
    return [
        "## Definitions", "",
        "- **best / final dev acc**: the run's highest dev accuracy over its epochs "
        "(`best_dev_acc`) and its accuracy after the last epoch (`final_dev_acc`).",
        "- **epochs to %g%% dev**: the first epoch whose dev accuracy is ≥ %g%%, per seed "
        "(mean, then the per-seed values); \"not reached\" when no epoch got there."
        % (100 * target, 100 * target),
        "- **train / dev loss, last epoch**: the mean training-batch cross-entropy of the last "
        "epoch (dropout on) and the dev loss after it.",
        "- **grad-norm CV**: coefficient of variation (population std / mean) of the global "
        "gradient L2 norm over the logged steps (every `log_every` steps) after the first "
        "epoch — the first epoch's transient is left out; with a single epoch, its second half. "
        "Lower is steadier. Used here: %s." % _scope_text(cv_scopes),
        "- **negatives kept**: the fraction of negative pre-activations whose activation output "
        "is non-zero, i.e. negative inputs that still pass information (and gradient) on. For "
        "relu/swish/gelu it is measured: `negative_kept_fraction / negative_fraction` (these "
        "activations keep the sign, so an output < 0 is exactly a negative input mapped to a "
        "non-zero value; ReLU gives 0). For gated variants the output is `act(gate) · up`, whose "
        "sign also depends on `up`, so it is derived from the gate histogram instead: the "
        "negative gate values above the point where the float32 activation becomes exactly 0 "
        "(SiLU: below -88.7, where exp overflows — decided from the recorded minimum; GELU: "
        "below about -5.6, where erf rounds to -1 — counted at the 0.1 bin resolution). "
        "Source per variant: %s." % kept,
        "- **ReLU dead units**: `dead_unit_ratio`, the fraction of hidden units whose "
        "pre-activation is never > 0 on the whole dev set, at the %s epoch (shown for relu only; "
        "the FFN table has it for every variant)." % which,
        "- **params total (FFN)**: all trainable parameters (embeddings included), and the first "
        "FFN block's.",
        "- **steps/s**: training steps per second of training time (`timing.steps_per_s`), "
        "evaluation excluded.",
        "- **bump**: fraction of the SiLU inputs (gate for SwiGLU) in [-5, 0), split at the "
        "minimum x = -1.2785 of silu (left: silu decreasing).", ""]


def bench_section(kernel, steps, out_dir, figures):
    from .bench_plots import bench_series_label, fig_bench_bandwidth, fig_bench_speedup
    lines = ["## Kernel benchmark: fused vs unfused SwiGLU", ""]
    files = distinct(r["_file"] for r in kernel + steps)
    lines.append("From %s (`build/tools/bench_swiglu --json FILE`)." %
                 ", ".join("`%s`" % f for f in files))
    lines.append("")
    if kernel:
        for name, fn in (("bench_speedup.png", fig_bench_speedup),
                         ("bench_bandwidth.png", fig_bench_bandwidth)):
            cap = fn(kernel, os.path.join(out_dir, name))
            if cap:
                figures.append(name)
                lines += ["![%s](%s)" % (name, name), "", "*%s*" % cap, ""]
        header = ["device", "elements", "pass", "fused ms", "unfused ms", "speedup",
                  "fused GB/s", "unfused GB/s", "copy GB/s", "fused / copy"]
        rows = []
        for r in sorted(kernel, key=lambda r: (str(r["device"]), str(r["device_name"]),
                                               r["threads"], r["elements"],
                                               0 if r["pass"] == "forward" else 1)):
            rows.append([bench_series_label((r["device"], r["device_name"], r["threads"])),
                         fmt_int(r["elements"]), r["pass"], "%.4f" % r["fused_ms"],
                         "%.4f" % r["unfused_ms"], "%.2f×" % r["speedup"],
                         fmt_num(r.get("fused_gbps"), 1), fmt_num(r.get("unfused_gbps"), 1),
                         fmt_num(r.get("copy_gbps"), 1),
                         (fmt_num(100 * r["copy_fraction"], 0) + "%")
                         if finite(r.get("copy_fraction")) else DASH])
        lines += [md_table(header, rows, ["l", "r", "l"] + ["r"] * 7), ""]
    if steps:
        header = ["device", "threads", "ffn", "path", "batch × seq", "step ms", "steps/s"]
        rows = []
        for r in steps:
            rows.append([bench_series_label((r["device"], r["device_name"], 0)),
                         str(r.get("threads", DASH)), str(r["ffn"]),
                         ("fused" if r["fused"] else "unfused") if r["ffn"] in GATED else DASH,
                         "%s × %s" % (r.get("batch", "?"), r.get("seq_len", "?")),
                         "%.3f" % r["step_ms"],
                         fmt_num(r.get("steps_per_s") if finite(r.get("steps_per_s"))
                                 else 1000.0 / r["step_ms"], 1)])
        lines += ["One SST-2 training step (forward, backward, AdamW):", "",
                  md_table(header, rows, ["l", "r", "l", "l", "r", "r", "r"]), ""]
    return lines
