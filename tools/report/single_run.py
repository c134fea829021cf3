"""What one run can tell: the spread of the final dev accuracy across seeds, and the chance that
one run of SwiGLU beats one run of another variant, the coin a run-once comparison tosses."""

from .claims import find_variant
from .formatting import DASH, fmt_pm, md_table
from .stats import finite


def single_run_section(by_variant):
    """How much one run tells: the spread of final dev accuracy over seeds and the chance that
    one run of SwiGLU beats one run of another variant (every pair of seeds, ties count half)."""
    swiglu = find_variant(by_variant, "swiglu")
    rows = []
    for v, rs in by_variant.items():
        accs = [r.final_dev_acc for r in rs if finite(r.final_dev_acc)]
        if not accs:
            continue
        win = DASH
        if swiglu and v != swiglu:
            mine = [r.final_dev_acc for r in by_variant[swiglu] if finite(r.final_dev_acc)]
            pairs = [(a > b) + 0.5 * (a == b) for a in mine for b in accs]
            if pairs:
                win = "%.0f%%" % (100 * sum(pairs) / len(pairs))
        rows.append([v, str(len(accs)), "%.2f" % (100 * min(accs)), "%.2f" % (100 * max(accs)),
                     "%.2f" % (100 * (max(accs) - min(accs))), fmt_pm(accs, 100, 2), win])
    if not rows:
        return []
    tops = _seeds_with_swiglu_on_top(by_variant)
    lines = ["## What one run can tell", "",
             "The spread of the final dev accuracy across seeds, and the chance that a single "
             "run of swiglu scores higher than a single run of the row's variant (over every "
             "pair of seeds; ties count half): a run-once comparison, as the seed experiment "
             "made, is this coin.", "",
             md_table(["variant", "seeds", "min (%)", "max (%)", "range (pp)", "mean ± std (%)",
                       "P(one swiglu run > one run of it)"], rows), ""]
    if tops:
        lines += ["In %d of %d seeds swiglu had the highest final dev accuracy of relu, swish "
                  "and swiglu." % tops, ""]
    return lines


def _seeds_with_swiglu_on_top(by_variant):
    names = [find_variant(by_variant, f) for f in ("relu", "swish", "swiglu")]
    if not all(names):
        return None
    per = [{r.seed: r.final_dev_acc for r in by_variant[v]} for v in names]
    seeds = set(per[0]) & set(per[1]) & set(per[2])
    top = sum(1 for s in seeds if per[2][s] > max(per[0][s], per[1][s]))
    return (top, len(seeds)) if seeds else None
