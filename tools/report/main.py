"""tools/report.py's command line and the report it writes (see that file's docstring)."""

import argparse
import glob
import os
import sys

from .atomic_write import write_text_atomically
from .claims import claims_section
from .eval_files import coverage_notes, eval_stems, figure_spec
from .eval_files import definitions as eval_definitions
from .eval_files import significance_section as eval_significance_section
from .load import load_bench, load_runs, load_summary
from .paired import paired_tests
from .single_run import single_run_section
from .sections import (PROG, WARNINGS, bench_section, definitions_section, ffn_stats_section,
                       header_section, resources_section, select_runs, significance_section,
                       summary_section, warn)


def run_report(args):
    out_dir = args.out
    bench_paths = list(args.bench or [])
    runs_lines, by_variant = [], None
    notes = []
    figures = []
    if args.runs_dir is not None:
        if not os.path.isdir(args.runs_dir):
            sys.stderr.write("%s: error: %s is not a directory\n" % (PROG, args.runs_dir))
            return 1
        runs = load_runs(args.runs_dir, warn)
        bench_paths += sorted(p for p in glob.glob(os.path.join(args.runs_dir, "bench*.json"))
                              if p not in bench_paths)
        if not runs:
            sys.stderr.write("%s: error: no usable run file (<ffn>_seed<k>.json) in %s\n"
                             % (PROG, args.runs_dir))
            return 1
        summary = load_summary(args.runs_dir, warn)
        by_variant, left_out, unfinished = select_runs(runs, args.include_unfinished)
    kernel, steps = load_bench(bench_paths, warn) if bench_paths else ([], [])
    if by_variant is None and not kernel and not steps:
        sys.stderr.write("%s: error: no usable benchmark record in %s\n"
                         % (PROG, ", ".join(bench_paths)))
        return 1
    os.makedirs(out_dir, exist_ok=True)
    from .distributions import fig_ffn_outputs, fig_pre_activations, fig_swish_bump
    from .plots import fig_accuracy, fig_grad_norms, fig_loss

    if by_variant is not None:
        # The claims table opens the report: it is the answer; the setup behind it follows.
        header = header_section(by_variant, args.runs_dir, left_out, unfinished, summary, notes)
        title, setup = header[:2], header[2:]
        runs_lines += title + claims_lines(by_variant)
        runs_lines += ["## Runs and setup", ""] + setup + [""]
        stems = eval_stems(by_variant)
        notes += coverage_notes(by_variant, stems)
        table, cv_scopes, kept_methods = summary_section(by_variant, args.target_acc,
                                                         args.hist_epoch, unfinished)
        runs_lines += table + [""]
        runs_lines += ffn_stats_section(by_variant, args.hist_epoch) + [""]
        runs_lines += resources_section(by_variant) + [""]
        runs_lines += significance_section(by_variant, args.alpha)
        runs_lines += eval_significance_section(by_variant, stems, args.alpha)
        runs_lines += ["## Figures", ""]
        which = args.hist_epoch
        specs = [
            ("loss.png", "Training loss", lambda p: fig_loss(by_variant, p)),
            ("dev_accuracy.png", "Dev accuracy",
             lambda p: fig_accuracy(by_variant, p, args.target_acc)),
        ]
        eval_figure = figure_spec(by_variant, stems)
        if eval_figure:
            specs.append(eval_figure)
        specs += [
            ("ffn_outputs.png", "FFN activation output and block output",
             lambda p: fig_ffn_outputs(by_variant, p, which)),
            ("pre_activations.png", "Pre-activation distributions",
             lambda p: fig_pre_activations(by_variant, p, which)),
            ("swish_bump.png", "The Swish bump", lambda p: fig_swish_bump(by_variant, p, which)),
            ("grad_norms.png", "Gradient-norm flow", lambda p: fig_grad_norms(by_variant, p)),
        ]
        for i, (name, title, fn) in enumerate(specs, 1):
            cap = fn(os.path.join(out_dir, name))
            runs_lines.append("### %d. %s" % (i, title))
            runs_lines.append("")
            if cap:
                figures.append(name)
                runs_lines += ["![%s](%s)" % (title, name), "", "*%s*" % cap, ""]
            else:
                runs_lines += ["Not drawn: %s." % _missing_reason(name), ""]
        definitions = definitions_section(args.target_acc, args.hist_epoch, cv_scopes,
                                          kept_methods)
        runs_lines += definitions[:-1] + eval_definitions(stems) + definitions[-1:]
    else:
        runs_lines += ["# Kernel benchmark report", ""]

    bench_lines = bench_section(kernel, steps, out_dir, figures) if (kernel or steps) else []
    body = runs_lines + bench_lines
    notes += ["Warning: " + w for w in WARNINGS]
    if notes:
        body += ["## Notes", ""] + ["- " + n for n in notes] + [""]
    write_text_atomically(os.path.join(out_dir, "report.md"), "\n".join(body).rstrip() + "\n")
    print("%s: wrote %s and %d figure(s): %s" % (PROG, os.path.join(out_dir, "report.md"),
                                                  len(figures), ", ".join(figures)))
    return 0


def claims_lines(by_variant):
    """The seed's claims table and the single-run section, when the runs hold swiglu and relu or
    swish (the variants the claims are about)."""
    ffns = {rs[0].ffn for rs in by_variant.values() if rs}
    if "swiglu" not in ffns or not ffns & {"relu", "swish"}:
        return []
    mcnemar = paired_tests(by_variant, lambda r, which: r.predictions(which))["final"]
    lines, _ = claims_section(by_variant, mcnemar)
    return lines + single_run_section(by_variant)


def _missing_reason(name):
    return {
        "swish_bump.png": "no swiglu or swish run with FFN statistics",
        "grad_norms.png": "no run has logged steps",
    }.get(name, "the runs hold no FFN statistics")


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs_dir", nargs="?", metavar="RUNS_DIR",
                    help="directory of <ffn>_seed<k>.json run files (and summary.json)")
    ap.add_argument("--out", required=True, metavar="DIR",
                    help="output directory for report.md and the PNG figures")
    ap.add_argument("--bench", action="append", metavar="BENCH.json",
                    help="bench_swiglu JSON file to plot (repeatable; bench*.json in RUNS_DIR "
                         "are included automatically)")
    ap.add_argument("--target-acc", type=float, default=0.75, metavar="F",
                    help="dev accuracy for the 'epochs to reach' column (default 0.75)")
    ap.add_argument("--hist-epoch", choices=("final", "best"), default="final",
                    help="epoch whose FFN statistics and histograms are shown (default final)")
    ap.add_argument("--alpha", type=float, default=0.05,
                    help="significance level for McNemar's test after Holm's correction")
    ap.add_argument("--include-unfinished", action="store_true",
                    help="also use runs whose status is not 'finished'")
    args = ap.parse_args(argv)
    if args.runs_dir is None and not args.bench:
        ap.error("give RUNS_DIR, --bench FILE, or both")
    if not 0 < args.target_acc <= 1:
        ap.error("--target-acc must be in (0, 1]")
    return run_report(args)
