#!/usr/bin/env python3
"""Tests of tools/report.py on runs with and without `--eval-file` results (synthetic files in
the runner's format, experiments/METRICS.md: `epochs[].eval.<stem>`, `eval_predictions`):

  * every run has the file: summary columns at the best-dev and final epochs, the figure, the
    McNemar table on its predictions, against values worked out by hand;
  * only some seeds have it: the cells and the notes say so, the McNemar table skips the seed;
  * accuracies without predictions (older run files): no McNemar table, a sentence instead;
  * no evaluation file: nothing about evaluation files, and the same report.md whether the run
    files hold an empty `eval_predictions` (this runner) or none (older runners).

Exit status: 0 all passed, 1 a failure, 77 when no python3 with matplotlib is available.
Usage: test_report_eval.py [--report tools/report.py]"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_report as tr  # noqa: E402
from test_report import check, check_pngs, has_nan, make_run, run, write_json  # noqa: E402

# The synthetic file 'held_out' (test_report.make_run): 100 examples; accuracy
# base + 0.05 epoch + 0.02 seed, predictions right on the first accuracy x 100 examples.
# relu base 0.55, swiglu base 0.65, 3 epochs, the best dev epoch is 2 (dev_peak):
#   relu    best (epoch 2): 0.65, 0.67 -> 66.00 ± 1.41 (sample std of 65, 67 is sqrt 2)
#           final (epoch 3): 0.70, 0.72 -> 71.00 ± 1.41
#   swiglu  best: 0.75, 0.77 -> 76.00 ± 1.41; final: 0.80, 0.82 -> 81.00 ± 1.41
# McNemar relu vs swiglu, per seed: relu right on [0, k), swiglu on [0, k + 10): b = 0, c = 10,
# p = 2 / 2^10 = 0.001953125 -> "0.0020"; pooled over 2 seeds: b = 0, c = 20,
# p = 2 / 2^20 = 1.9073e-06 -> "1.9e-06" (one pair: Holm p = p).
BASES = {"relu": 0.55, "swiglu": 0.65}


def write_runs(d, skip=(), eval_predictions=True, drop_eval=()):
    """relu and swiglu, seeds 0 and 1, with the evaluation file except for (ffn, seed) in
    skip; drop_eval: runs written without any eval key at all (an older runner's files)."""
    os.makedirs(d)
    for ffn, skill in (("relu", 0.0), ("swiglu", 0.08)):
        for seed in (0, 1):
            base = None if (ffn, seed) in skip else BASES[ffn]
            doc = make_run(ffn, seed, skill=skill, eval_base=base,
                           eval_predictions=eval_predictions, dev_peak=True)
            if (ffn, seed) in drop_eval:
                for e in doc["epochs"]:
                    del e["eval"], e["eval_loss"]
            write_json(os.path.join(d, "%s_seed%d.json" % (ffn, seed)), doc)


def report_md(python, report, runs, out, label):
    rc, so, se = run(python, report, [runs, "--out", out])
    check("%s: exit status 0" % label, rc == 0, "rc=%d, stderr:\n%s" % (rc, se))
    check("%s: no warning" % label, "warning" not in se, se)
    path = os.path.join(out, "report.md")
    if not os.path.isfile(path):
        check("%s: report.md exists" % label, False)
        return ""
    with open(path, encoding="utf-8") as f:
        return f.read()


def cells_of(md, variant):
    rows = [l for l in md.splitlines() if l.startswith("| **%s** |" % variant)]
    return [c.strip() for c in rows[0].strip("|").split("|")] if rows else []


def summary_header(md):
    for l in md.splitlines():
        if l.startswith("| variant | runs |"):
            return [c.strip() for c in l.strip("|").split("|")]
    return []


def section(md, title):
    """The text from the line `title` to the next heading of the same or a higher level."""
    lines = md.splitlines()
    if title not in lines:
        return ""
    i = lines.index(title)
    level = len(title) - len(title.lstrip("#"))
    out = []
    for l in lines[i + 1:]:
        if l.startswith("#") and len(l) - len(l.lstrip("#")) <= level:
            break
        out.append(l)
    return "\n".join(out)


def test_every_seed(python, report, tmp):
    runs, out = os.path.join(tmp, "all"), os.path.join(tmp, "out_all")
    write_runs(runs)
    md = report_md(python, report, runs, out, "eval")
    check("eval: no 'nan' in report.md", not has_nan(md))
    check("eval: header lists the file and its size",
          "- **Evaluation files:** `held_out` (100 examples)\n" in md)
    header = summary_header(md)
    check("eval: summary columns labelled with the stem, after the dev accuracies",
          header[2:6] == ["best dev acc (%)", "final dev acc (%)",
                          "held_out acc, best-dev epoch (%)", "held_out acc, final (%)"],
          str(header))
    relu, swiglu = cells_of(md, "relu"), cells_of(md, "swiglu")
    check("eval: relu accuracies at the best-dev and final epochs",
          relu[4:6] == ["66.00 ± 1.41", "71.00 ± 1.41"], str(relu))
    check("eval: swiglu accuracies at the best-dev and final epochs",
          swiglu[4:6] == ["76.00 ± 1.41", "81.00 ± 1.41"], str(swiglu))
    check("eval: the other columns are still there", len(relu) == 14 and relu[1] == "2"
          and relu[13].startswith("40.5"), str(relu))
    check_pngs(out, ["eval_accuracy.png", "dev_accuracy.png"], "eval")
    check("eval: the figure is embedded with its caption",
          "](eval_accuracy.png)" in md and "`held_out`: dashed, squares" in md)
    check("eval: the dev McNemar section is still there",
          "## Paired significance: McNemar's exact test on dev predictions" in md)
    sec = section(md, "### `held_out`")
    check("eval: a McNemar table of its own", bool(sec) and
          "## Paired significance: McNemar's exact test on evaluation-file predictions" in md)
    check("eval: per-seed rows, b = 0, c = 10, p = 0.0020",
          "| relu vs swiglu | 0 | 100 | 70.00 | 80.00 | 0 | 10 | 0.0020 |  |  |" in sec
          and "| relu vs swiglu | 1 | 100 | 72.00 | 82.00 | 0 | 10 | 0.0020 |  |  |" in sec, sec)
    check("eval: pooled row, b = 0, c = 20, p = Holm p = 1.9e-06, swiglu better",
          "| **relu vs swiglu** | **pooled** | 200 |  |  | **0** | **20** | **1.9e-06** | "
          "**1.9e-06** | **significant: swiglu better** |" in sec, sec)
    check("eval: pooled test at the best-dev epoch",
          "| relu vs swiglu | 2 | 200 | 0 | 20 | 1.9e-06 | 1.9e-06 | significant: swiglu better |"
          in sec, sec)
    check("eval: nothing skipped, no coverage note", "skipped" not in sec
          and "Evaluation file `held_out` is in" not in md)


def test_some_seeds(python, report, tmp):
    runs, out = os.path.join(tmp, "some"), os.path.join(tmp, "out_some")
    write_runs(runs, skip={("swiglu", 1)})
    md = report_md(python, report, runs, out, "partial")
    check("partial: no 'nan'", not has_nan(md))
    check("partial: header counts the runs with the file",
          "`held_out` (100 examples), in 3 of 4 runs" in md)
    swiglu = cells_of(md, "swiglu")
    check("partial: swiglu cells give the one seed and say so",
          swiglu[4:6] == ["75.00 (1 of 2 seeds)", "80.00 (1 of 2 seeds)"], str(swiglu))
    check("partial: relu cells are over both seeds",
          cells_of(md, "relu")[4:6] == ["66.00 ± 1.41", "71.00 ± 1.41"])
    check("partial: a note names the run without the file",
          "Evaluation file `held_out` is in 3 of 4 runs (not in swiglu seed 1)" in md)
    sec = section(md, "### `held_out`")
    check("partial: McNemar on seed 0 only (b = 0, c = 10, p = 0.0020), seed 1 skipped",
          "| **relu vs swiglu** | **pooled** | 100 |  |  | **0** | **10** | **0.0020** |" in sec
          and "seed(s) 1 skipped" in sec and "| relu vs swiglu | 1 | 100 | 72.00" not in sec, sec)
    check("partial: the figure's caption says so", "swiglu on held_out: 1 of 2 seeds" in md)


def test_without_predictions(python, report, tmp):
    runs, out = os.path.join(tmp, "nopred"), os.path.join(tmp, "out_nopred")
    write_runs(runs, eval_predictions=False)
    md = report_md(python, report, runs, out, "no predictions")
    check("no predictions: accuracies still in the summary",
          cells_of(md, "relu")[4:6] == ["66.00 ± 1.41", "71.00 ± 1.41"])
    check("no predictions: no McNemar table, a sentence instead",
          "No run file holds predictions on `held_out`" in section(md, "### `held_out`")
          and "| relu vs swiglu | 0 | 100 |" not in md)


def test_no_eval_file(python, report, tmp):
    """Runs without evaluation files: the report has nothing about them, and is the same for
    this runner's files (empty eval_predictions) and older ones (no such key, or no eval)."""
    mds = []
    for label, extra, drop in (("none", None, ()), ("empty", {}, ()),
                               ("no eval keys", None, {("relu", 0), ("swiglu", 1)})):
        runs = os.path.join(tmp, "noeval_" + label.replace(" ", "_"))
        out = os.path.join(tmp, "out_noeval_" + label.replace(" ", "_"))
        write_runs(runs, skip={(f, s) for f in ("relu", "swiglu") for s in (0, 1)},
                   drop_eval=drop)
        if extra is not None:
            for name in os.listdir(runs):
                p = os.path.join(runs, name)
                with open(p) as f:
                    doc = json.load(f)
                doc["eval_predictions"] = extra
                write_json(p, doc)
        md = report_md(python, report, runs, out, "no eval (%s)" % label)
        # the runs directory is named in the header: compare the rest
        mds.append("\n".join(l for l in md.splitlines() if not l.startswith("- **Runs:**")))
        check("no eval (%s): no evaluation-file text, column, table or figure" % label,
              "valuation file" not in md and "evaluation-file" not in md
              and "eval_accuracy" not in md and "held_out" not in md
              and not os.path.exists(os.path.join(out, "eval_accuracy.png"))
              and len(summary_header(md)) == 12, str(summary_header(md)))
        check("no eval (%s): figures numbered as before" % label,
              "### 3. FFN activation output and block output" in md)
    check("no eval: the same report with or without (empty) evaluation keys",
          mds[0] == mds[1] == mds[2])


def main():
    return tr.run_suite("report_eval_test_", [test_every_seed, test_some_seeds,
                                              test_without_predictions, test_no_eval_file])


if __name__ == "__main__":
    sys.exit(main())
