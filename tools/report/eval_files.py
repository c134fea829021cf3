"""The evaluation files of tools/report.py: what the runner measured on each `--eval-file`
(experiments/METRICS.md: `epochs[].eval.<stem>` and `eval_predictions.<stem>`), as summary-table
columns, a figure, McNemar tables and notes. Every function returns nothing to add when no run
has an evaluation file, so such reports stay as they were."""

from .formatting import fmt_pm
from .load import labelled_predictions
from .paired import paired_tables, paired_tests
from .stats import finite

WHICH_WORDS = {"best": "best-dev epoch", "final": "final epoch"}


# --- per-run values ---------------------------------------------------------------------------

def _eval_dict(epoch_record):
    e = epoch_record.get("eval")
    return e if isinstance(e, dict) else {}


def run_stems(run):
    """Stems of the evaluation files with a result in any epoch of the run, or predictions."""
    stems = set()
    for e in run.epochs:
        stems |= {k for k, v in _eval_dict(e).items() if isinstance(k, str) and finite(v)}
    preds = run.get("eval_predictions")
    if isinstance(preds, dict):
        stems |= {k for k, v in preds.items() if isinstance(k, str) and isinstance(v, dict)
                  and isinstance(v.get("labels"), list) and v["labels"]}
    return stems


def eval_acc(run, stem, which):
    """The accuracy on `stem` at the run's best-dev or final epoch, or None."""
    v = _eval_dict(run.epoch_record(which)).get(stem)
    return v if finite(v) else None


def eval_curve(run, stem):
    """[(epoch, accuracy)] over the epochs that evaluated `stem`."""
    return [(e["epoch"], _eval_dict(e)[stem]) for e in run.epochs
            if finite(_eval_dict(e).get(stem))]


def eval_predictions(run, stem, which):
    """(labels, predictions) on `stem` at the best-dev or final epoch, or None."""
    return labelled_predictions(run.get("eval_predictions", stem), which)


def eval_stems(by_variant):
    stems = set()
    for rs in by_variant.values():
        for r in rs:
            stems |= run_stems(r)
    return sorted(stems)


def _runs(by_variant):
    return [r for rs in by_variant.values() for r in rs]


def _run_list(runs):
    """'relu seeds 0, 1; swiglu seed 0'"""
    by = {}
    for r in runs:
        by.setdefault(r.variant, []).append(r.seed)
    parts = []
    for v, seeds in by.items():
        parts.append("%s seed%s %s" % (v, "s" if len(seeds) > 1 else "",
                                        ", ".join(str(s) for s in sorted(seeds))))
    return "; ".join(parts)


# --- report sections --------------------------------------------------------------------------

def header_line(by_variant, stems):
    """('Evaluation files', text) for the header, or None without evaluation files."""
    if not stems:
        return None
    runs = _runs(by_variant)
    parts = []
    for s in stems:
        sizes = sorted({r.get("data", "eval_examples", s) for r in runs
                        if finite(r.get("data", "eval_examples", s))})
        have = [r for r in runs if s in run_stems(r)]
        text = "`%s`" % s
        if sizes:
            text += " (%s examples)" % " / ".join("{:,}".format(int(n)) for n in sizes)
        if len(have) < len(runs):
            text += ", in %d of %d runs" % (len(have), len(runs))
        parts.append(text)
    return "Evaluation files", ", ".join(parts)


def coverage_notes(by_variant, stems):
    """Notes for each file that some runs (or some of their epochs) lack."""
    notes = []
    runs = _runs(by_variant)
    for s in stems:
        have = [r for r in runs if s in run_stems(r)]
        missing = [r for r in runs if s not in run_stems(r)]
        if missing:
            notes.append("Evaluation file `%s` is in %d of %d runs (not in %s); its summary "
                         "columns, curves and McNemar tables use the runs that have it."
                         % (s, len(have), len(runs), _run_list(missing)))
        for which in ("best", "final"):
            gaps = [r for r in have if eval_acc(r, s, which) is None]
            if gaps:
                notes.append("Evaluation file `%s` has no result at the %s of %s (that epoch did "
                             "not evaluate it, e.g. `--eval-file` changed on `--resume`)."
                             % (s, WHICH_WORDS[which], _run_list(gaps)))
    return notes


def summary_columns(by_variant, stems):
    """(headers, {variant: cells}) to add to the summary table after the dev accuracies."""
    headers, cells = [], {v: [] for v in by_variant}
    for s in stems:
        headers += ["%s acc, best-dev epoch (%%)" % s, "%s acc, final (%%)" % s]
        for v, rs in by_variant.items():
            for which in ("best", "final"):
                vals = [eval_acc(r, s, which) for r in rs]
                got = [x for x in vals if x is not None]
                text = fmt_pm(got, 100, 2)
                if got and len(got) < len(rs):
                    text += " (%d of %d seeds)" % (len(got), len(rs))
                cells[v].append(text)
    return headers, cells


def significance_section(by_variant, stems, alpha):
    """McNemar + Holm on each evaluation file's predictions, one table per file."""
    if not stems:
        return []
    lines = ["## Paired significance: McNemar's exact test on evaluation-file predictions", ""]
    if len(by_variant) < 2:
        return lines + ["Only one variant: nothing to compare.", ""]
    lines += [
        "The same test as on dev, on the examples of each `--eval-file` "
        "(`eval_predictions`): per seed, pooled over seeds, and Holm's correction across the "
        "pairs of variants, applied separately for each file and for each epoch choice; "
        "significant when the Holm-adjusted p < %g. Predictions at the **final** epoch; the "
        "second table of each file repeats the pooled test at each run's best-dev-accuracy "
        "epoch, which is chosen on dev, not on the file." % alpha, ""]
    for s in stems:
        lines += ["### `%s`" % s, ""]
        if not any(eval_predictions(r, s, w) for r in _runs(by_variant) for w in ("final", "best")):
            lines += ["No run file holds predictions on `%s` (`eval_predictions`; run files of "
                      "older runners have only the accuracies)." % s, ""]
            continue
        results = paired_tests(by_variant, lambda r, which, s=s: eval_predictions(r, s, which))
        lines += paired_tables(results, alpha, "examples", "`%s`" % s,
                               "Pooled test on the predictions at each run's best-dev-accuracy "
                               "epoch:")
    return lines


def definitions(stems):
    if not stems:
        return []
    return ["- **`<stem>` acc, best-dev epoch / final**: the accuracy on an `--eval-file` "
            "(`epochs[].eval.<stem>`, labelled by the file's stem) at the epoch of the run's best "
            "dev accuracy and after the last epoch; the file takes no part in choosing the "
            "epoch. A count of seeds follows when only some of the variant's runs have it."]


# --- figure -----------------------------------------------------------------------------------

STEM_STYLES = [("--", "s"), ("-.", "^"), (":", "D"), ((0, (5, 1, 1, 1, 1, 1)), "v"),
               ((0, (1, 2)), "P")]


def fig_eval_accuracy(by_variant, path, stems):
    """Dev accuracy (solid) and each evaluation file's accuracy (its own line style and marker,
    the variant's colour) per epoch; None without evaluation files."""
    if not stems:
        return None
    from .plots import (_aggregate, _band_note, _plot_mean_band, _seed_label, plt,
                              save_figure, variant_color)
    from matplotlib.lines import Line2D
    fig, ax = plt.subplots(figsize=(7.8, 4.8))
    partial, partial_stems = [], set()
    for v, rs in by_variant.items():
        c = variant_color(v, by_variant)
        xs, m, lo, hi, _ = _aggregate([[(e, 100 * a) for e, a in r.epoch_values("dev_acc")]
                                       for r in rs])
        if xs:
            _plot_mean_band(ax, xs, m, lo, hi, c, None, marker="o")
        for i, s in enumerate(stems):
            ls, marker = STEM_STYLES[i % len(STEM_STYLES)]
            curves = [eval_curve(r, s) for r in rs]
            have = sum(1 for cv in curves if cv)
            xs, m, lo, hi, _ = _aggregate([[(e, 100 * a) for e, a in cv] for cv in curves])
            if xs:
                ax.plot(xs, m, color=c, lw=1.5, ls=ls, marker=marker, ms=4)
                if any(a != b for a, b in zip(lo, hi)):
                    ax.fill_between(xs, lo, hi, color=c, alpha=0.10, lw=0)
            if have < len(rs):
                partial.append("%s on %s: %d of %d seeds" % (v, s, have, len(rs)))
                partial_stems.add(s)
    ax.set_title("Dev and evaluation-file accuracy per epoch — " + _band_note(by_variant))
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    handles = [Line2D([], [], color=variant_color(v, by_variant), lw=2.5) for v in by_variant]
    labels = ["%s (%s)" % (v, _seed_label(rs)) for v, rs in by_variant.items()]
    handles.append(Line2D([], [], color="0.3", lw=1.8, marker="o", ms=4))
    labels.append("dev")
    for i, s in enumerate(stems):
        ls, marker = STEM_STYLES[i % len(STEM_STYLES)]
        handles.append(Line2D([], [], color="0.3", lw=1.5, ls=ls, marker=marker, ms=4))
        labels.append(s + (" (not every seed)" if s in partial_stems else ""))
    ax.legend(handles, labels, loc="best")
    fig.tight_layout()
    save_figure(fig, path)
    return ("Accuracy after each epoch on dev (solid, circles) and on each evaluation file "
            "(%s), in the variant's colour; %s.%s"
            % (", ".join("`%s`: %s" % (s, _style_words(i)) for i, s in enumerate(stems)),
               _band_note(by_variant),
               (" Only some seeds have a file: " + "; ".join(partial) + ".") if partial else ""))


def _style_words(i):
    words = ["dashed, squares", "dash-dotted, triangles", "dotted, diamonds",
             "dash-dot-dotted, down triangles", "densely dotted, plus signs"]
    return words[i % len(words)]


def figure_spec(by_variant, stems):
    """(file name, title, draw(path)) for report.py's figure list, or None."""
    if not stems:
        return None
    return ("eval_accuracy.png", "Dev and evaluation-file accuracy",
            lambda p: fig_eval_accuracy(by_variant, p, stems))

