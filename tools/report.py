#!/usr/bin/env python3
"""Report on SST-2 FFN-variant runs: figures (PNG) and report.md with the summary table and
paired significance tests, from the metrics files of build/experiments/sst2
(experiments/METRICS.md); optionally plots of bench_swiglu's kernel benchmark.

  tools/report.py RUNS_DIR --out DIR [--bench BENCH.json ...]
  tools/report.py --bench BENCH.json [--bench more.json] --out DIR

RUNS_DIR holds <ffn>_seed<k>.json (summary.json is cross-checked; bench*.json files in it are
plotted too). Runs made with --eval-file get, per evaluation file, summary columns, a figure
and a McNemar table (tools/report/eval_files.py). Writes DIR/report.md and DIR/*.png, each
atomically. Unreadable or malformed JSON files are named in a warning on stderr and skipped.
Exit status: 0 on success, 1 when there is no usable run file (or, with --bench only, no usable
benchmark record), 2 on a usage error.
Needs Python 3 and matplotlib (Debian: python3-matplotlib); nothing else."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def _import_matplotlib_or_reexec():
    """The first python3 on PATH may be one without matplotlib (a pyenv/venv interpreter):
    then re-run this script once under the system interpreter, where Debian's
    python3-matplotlib lives."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    marker = "TAPEGRAD_REPORT_REEXEC"
    for cand in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.environ.get(marker) or not os.access(cand, os.X_OK):
            continue
        if os.path.realpath(cand) == os.path.realpath(sys.executable):
            continue
        os.environ[marker] = "1"
        os.execv(cand, [cand, os.path.abspath(__file__)] + sys.argv[1:])
    sys.stderr.write("report.py: error: matplotlib is not installed for %s "
                     "(Debian: apt-get install python3-matplotlib)\n" % sys.executable)
    sys.exit(3)


if __name__ == "__main__":
    _import_matplotlib_or_reexec()

from report.main import main  # noqa: E402  (tools/report/, after the interpreter check)

if __name__ == "__main__":
    sys.exit(main())
