"""The seed experiment's claims (../shared/seeds/000: the four numbered claims and the five rows
of its summary table), each as a hypothesis with the statistic that tests it, its value per
variant, the comparison with its uncertainty and a verdict by a written rule. report.md opens
with this table ("The seed's claims, tested")."""

import math

from .formatting import DASH, fmt_p, fmt_pm, md_table
from .measures import grad_norm_cv, negative_kept
from .stats import finite

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
CONFIDENCE = 0.95

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; beyond, 1.96 + 2.5/df
# (within 0.002 of the exact value up to df = 120 and converging to the normal quantile).
_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t_quantile_95(df):
    return _T95[df - 1] if df <= len(_T95) else 1.96 + 2.5 / df


def mean_interval(values):
    """(mean, lo, hi, n): the mean of the finite values with its 95% t-interval; lo = hi = None
    with fewer than two values."""
    vals = [v for v in values if finite(v)]
    n = len(vals)
    if n == 0:
        return None, None, None, 0
    m = sum(vals) / n
    if n < 2:
        return m, None, None, n
    sd = math.sqrt(sum((v - m) ** 2 for v in vals) / (n - 1))
    half = t_quantile_95(n - 1) * sd / math.sqrt(n)
    return m, m - half, m + half, n


def verdict(intervals, margin):
    """The rule under the table. intervals: one (lo, hi) per comparison the claim makes,
    oriented so that a positive difference is what the claim says. not supported: some
    interval lies below 0 (the reverse holds), or lies within ±margin (the difference is too
    small to matter, even where it is not zero: a tie). supported: otherwise, when every
    interval lies above 0. inconclusive: anything else, or when a comparison has fewer than
    two seeds."""
    if not intervals or any(lo is None or hi is None for lo, hi in intervals):
        return INCONCLUSIVE
    if any(hi < 0 for _, hi in intervals):
        return NOT_SUPPORTED
    if any(-margin <= lo and hi <= margin for lo, hi in intervals):
        return NOT_SUPPORTED
    if all(lo > 0 for lo, _ in intervals):
        return SUPPORTED
    return INCONCLUSIVE


# --- per-run statistics -----------------------------------------------------------------------

def final_dev_acc(run):
    return run.final_dev_acc


def final_train_loss(run):
    return run.last_epoch.get("train_loss")


def grad_cv(run):
    return grad_norm_cv(run)[0]


def negatives_kept(run):
    return negative_kept(run, "final")[0]


def negative_output_share(run):
    f = run.ffn_stats("final") or {}
    return f.get("negative_kept_fraction")


def _bump(ffn_stats):
    b = (ffn_stats or {}).get("bump") if isinstance(ffn_stats, dict) else None
    v = b.get("fraction") if isinstance(b, dict) else None
    return v if finite(v) else None


def bump_final(run):
    return _bump(run.ffn_stats("final"))


def bump_initial(run):
    return _bump(run.get("epoch0", "ffn"))


def bump_shift(run):
    a, b = bump_final(run), bump_initial(run)
    return a - b if a is not None and b is not None else None


def perturbation_increase(size_index):
    def stat(run):
        w = run.get("weight_perturbation")
        vals = w.get("mean_dev_loss_increase") if isinstance(w, dict) else None
        if not isinstance(vals, list) or size_index >= len(vals):
            return None
        return vals[size_index] if finite(vals[size_index]) else None
    return stat


def perturbation_sizes(by_variant):
    for rs in by_variant.values():
        for r in rs:
            w = r.get("weight_perturbation")
            if isinstance(w, dict) and isinstance(w.get("sizes"), list):
                return w["sizes"]
    return []


def _crossing(points, level, falling):
    """The first (fractional) x at which the piecewise-linear curve through points [(x, y)]
    reaches level (y <= level when falling, y >= level otherwise); None if it never does."""
    reached = (lambda y: y <= level) if falling else (lambda y: y >= level)
    for i, (x, y) in enumerate(points):
        if reached(y):
            if i == 0:
                return float(x)
            x0, y0 = points[i - 1]
            return x0 + (x - x0) * ((y0 - level) / (y0 - y) if y0 != y else 1.0)
    return None


def epochs_to_train_loss(level):
    """None for every run when there is no level (no run recorded a train loss)."""
    def stat(run):
        if level is None:
            return None
        return _crossing(run.epoch_values("train_loss"), level, True)
    return stat


def epochs_to_dev_acc(level):
    def stat(run):
        if level is None:
            return None
        points = run.epoch_values("dev_acc")
        start = run.get("epoch0", "dev_acc")
        if finite(start):
            points = [(0, start)] + points
        return _crossing(points, level, False)
    return stat


def convergence_levels(runs):
    """(train-loss level, dev-accuracy level) that every run of `runs` reaches: the highest of
    the runs' lowest epoch train losses, and the lowest of their best dev accuracies."""
    losses = [min(v for _, v in r.epoch_values("train_loss")) for r in runs
              if r.epoch_values("train_loss")]
    accs = [max(v for _, v in r.epoch_values("dev_acc")) for r in runs if r.epoch_values("dev_acc")]
    return (max(losses) if losses else None), (min(accs) if accs else None)


# --- comparisons ------------------------------------------------------------------------------

def paired_differences(subject_runs, rival_runs, stat, higher_is_better):
    """Per seed both variants ran: stat(subject) - stat(rival) when higher is better, else the
    reverse, so that a positive difference favours the subject."""
    rival = {r.seed: r for r in rival_runs}
    out = []
    for r in subject_runs:
        if r.seed not in rival:
            continue
        a, b = stat(r), stat(rival[r.seed])
        if finite(a) and finite(b):
            out.append(a - b if higher_is_better else b - a)
    return out


def _fmt_interval(m, lo, hi, n, scale, digits):
    if m is None:
        return DASH
    if lo is None:
        return "%+.*f (n=%d)" % (digits, m * scale, n)
    return "%+.*f [%+.*f, %+.*f] (n=%d)" % (digits, m * scale, digits, lo * scale, digits,
                                             hi * scale, n)


def _variant_values(by_variant, stat, scale, digits, suffix):
    cells = []
    for v, rs in by_variant.items():
        vals = [stat(r) for r in rs]
        if any(finite(x) for x in vals):
            cells.append("%s %s" % (v, fmt_pm(vals, scale, digits, suffix)))
    return "; ".join(cells) if cells else DASH


def find_variant(by_variant, ffn, matched=False):
    for v, rs in by_variant.items():
        if rs and rs[0].ffn == ffn and (("matched params" in v) == matched) \
                and (matched or v == ffn):
            return v
    return None


class Claim:
    """One row. comparisons: [(subject, rival, stat, label)], rival None for a comparison of
    the subject's per-run values against 0 (a change within each run)."""

    def __init__(self, number, words, statistic, stat, higher_is_better, comparisons, margin,
                 scale=1.0, digits=3, suffix="", extra=None):
        self.number, self.words, self.statistic = number, words, statistic
        self.stat, self.higher_is_better = stat, higher_is_better
        self.comparisons, self.margin = comparisons, margin
        self.scale, self.digits, self.suffix = scale, digits, suffix
        self.extra = extra or []

    def evaluate(self, by_variant):
        texts, intervals, missing = [], [], []
        for subject, rival, stat, label in self.comparisons:
            if subject is None or (rival is not None and rival not in by_variant) \
                    or subject not in by_variant:
                missing.append(label)
                continue
            if rival is None:
                diffs = [stat(r) for r in by_variant[subject]]
                diffs = [d if self.higher_is_better else -d for d in diffs if finite(d)]
            else:
                diffs = paired_differences(by_variant[subject], by_variant[rival], stat,
                                           self.higher_is_better)
            m, lo, hi, n = mean_interval(diffs)
            intervals.append((lo, hi))
            texts.append("%s: %s %s" % (label, _fmt_interval(m, lo, hi, n, self.scale,
                                                             self.digits),
                                        _mark(verdict([(lo, hi)], self.margin))))
        if missing:
            texts.append("not measured (no runs): " + ", ".join(missing))
            result = INCONCLUSIVE
        else:
            result = verdict(intervals, self.margin)
        return texts + self.extra, result


def build_claims(by_variant, mcnemar=None):
    relu, swish = find_variant(by_variant, "relu"), find_variant(by_variant, "swish")
    swiglu = find_variant(by_variant, "swiglu")
    matched = find_variant(by_variant, "swiglu", matched=True)
    base = [r for v in (relu, swish, swiglu) if v for r in by_variant[v]]
    loss_level, acc_level = convergence_levels(base)
    to_loss, to_acc = epochs_to_train_loss(loss_level), epochs_to_dev_acc(acc_level)
    sizes = perturbation_sizes(by_variant)

    def vs_both(stat, subject=swiglu, name="swiglu"):
        return [(subject, relu, stat, "%s − relu" % name), (subject, swish, stat,
                                                             "%s − swish" % name)]

    acc_extra = []
    for pair in (mcnemar or []):
        names = {pair["a"], pair["b"]}
        if swiglu in names and (relu in names or swish in names) and pair["p"] is not None:
            other = (names - {swiglu}).pop()
            right = pair["b_sum"] if pair["a"] == swiglu else pair["c_sum"]
            wrong = pair["c_sum"] if pair["a"] == swiglu else pair["b_sum"]
            acc_extra.append("McNemar swiglu vs %s, pooled over seeds: swiglu alone right %d, "
                             "alone wrong %d, Holm p %s" % (other, right, wrong,
                                                            fmt_p(pair["holm"])))
    perturb = []
    for i, s in enumerate(sizes):
        stat = perturbation_increase(i)
        perturb += [(swiglu, relu, stat, "%g%%: swiglu − relu" % (100 * s)),
                    (swiglu, swish, stat, "%g%%: swiglu − swish" % (100 * s))]
    claims = [
        Claim("1", "SwiGLU lets small negative values through and so loses less information "
              "than ReLU", "negatives kept (share of negative gate inputs with a non-zero "
              "output), final epoch", negatives_kept, True,
              [(swiglu, relu, negatives_kept, "swiglu − relu")], 0.01, 100, 1, " pp"),
        Claim("2", "SwiGLU's smooth curve makes the model insensitive to weight changes",
              "dev-loss rise under relative weight noise (%s), final epoch"
              % (", ".join("%g%%" % (100 * s) for s in sizes) or "not recorded by these runs"), perturbation_increase(len(sizes) // 2),  # the middle size
              False, perturb, 0.002, 1, 4),
        Claim("3", "SwiGLU is more expressive thanks to its non-monotonicity",
              "final train loss at equal parameter count (SwiGLU with matched params)",
              final_train_loss, False, vs_both(final_train_loss, matched, "swiglu (matched)"),
              0.005, 1, 4),
        Claim("4", "useful pre-activations concentrate in Swish's bump [-5, 0)",
              "share of SwiGLU gate inputs in [-5, 0), final epoch minus the same run at "
              "initialisation", bump_shift, True,
              [(swiglu, None, bump_shift, "swiglu final − initial")], 0.01, 100, 1, " pp"),
        Claim("T1", "accuracy: SwiGLU high, ReLU and Swish medium",
              "final dev accuracy", final_dev_acc, True, vs_both(final_dev_acc), 0.005, 100,
              2, " pp", acc_extra),
        Claim("T2", "loss convergence: SwiGLU fast, ReLU medium, Swish slow",
              "epochs to the train loss every run reaches (%s)" % _fmt_level(loss_level),
              to_loss, False, vs_both(to_loss) + [(relu, swish, to_loss, "relu − swish")],
              0.25, 1, 2),
        Claim("T2b", "(the same, on dev accuracy)",
              "epochs to the dev accuracy every run reaches (%s)" % _fmt_level(acc_level, 100),
              to_acc, False, vs_both(to_acc), 0.25, 1, 2),
        Claim("T3", "gradient flow: SwiGLU stable, Swish medium, ReLU unstable",
              "grad-norm CV after epoch 1", grad_cv, False,
              vs_both(grad_cv) + [(swish, relu, grad_cv, "swish − relu")], 0.02, 1, 3),
        Claim("T4", "expressiveness: SwiGLU best, Swish good, ReLU low",
              "final train loss at equal parameter count", final_train_loss, False,
              vs_both(final_train_loss, matched, "swiglu (matched)")
              + [(swish, relu, final_train_loss, "swish − relu")], 0.005, 1, 4),
        Claim("T5", "negative information kept: ReLU none, Swish some, SwiGLU rich",
              "share of activation outputs < 0, final epoch", negative_output_share, True,
              [(swiglu, swish, negative_output_share, "swiglu − swish"),
               (swish, relu, negative_output_share, "swish − relu")], 0.01, 100, 1, " pp"),
    ]
    return claims, {"train_loss_level": loss_level, "dev_acc_level": acc_level, "sizes": sizes}


def _mark(result):
    """The verdict of one comparison alone, as a mark after its interval."""
    return {SUPPORTED: "✓", NOT_SUPPORTED: "✗", INCONCLUSIVE: "?"}[result]


def _fmt_level(x, scale=1.0):
    return DASH if x is None else ("%.4g" % (x * scale)) + ("%" if scale == 100 else "")


def claims_section(by_variant, mcnemar=None):
    """The lines of "The seed's claims, tested" and {claim number: verdict}."""
    claims, levels = build_claims(by_variant, mcnemar)
    rows, verdicts = [], {}
    for c in claims:
        evidence, result = c.evaluate(by_variant)
        verdicts[c.number] = result
        rows.append([c.number, c.words, c.statistic,
                     _variant_values(by_variant, c.stat, c.scale, c.digits, c.suffix),
                     "<br>".join(evidence), "**%s**" % result])
    lines = ["## The seed's claims, tested", "",
             "Each claim of the seed experiment (the four numbered claims, then the rows T1–T5 "
             "of its summary table) as a hypothesis about these runs. Values are mean ± std over "
             "seeds; a comparison is the mean per-seed difference, oriented so that a positive "
             "number is what the claim says, with its 95% t-interval over seeds and the number "
             "of seeds n; the mark after it is that comparison's verdict alone (✓ supported, "
             "✗ not supported, ? inconclusive). The runs behind it are listed under *Runs and setup* "
             "below; every statistic is defined under the table.", "",
             md_table(["#", "claim (the seed's words)", "statistic", "value per variant",
                       "comparison: difference [95% CI] (n)", "verdict"], rows,
                      ["l", "l", "l", "l", "l", "c"]), ""]
    lines += rule_lines(levels)
    return lines, verdicts


def rule_lines(levels):
    return [
        "**Verdict rule.** For every comparison a claim makes, take the 95% t-interval of the "
        "per-seed differences (seeds paired: same seed, so the same data order; claim 4 "
        "compares each run with itself at initialisation). *Not supported*: some interval lies "
        "below 0 (the reverse of the claim holds), or lies inside ±margin, a difference too "
        "small to matter even where it is not zero (margins: 1 pp for shares, "
        "0.5 pp accuracy, 0.002 dev loss, 0.005 train loss, 0.25 epoch, 0.02 CV). "
        "*Supported*: otherwise, when every interval lies above 0. "
        "*Inconclusive*: anything else, or fewer than two seeds. The intervals are per "
        "comparison, not corrected for the several comparisons of a row: a row needs all of "
        "them, which is stricter, not looser.", "",
        "**Statistics.** *Negatives kept*: defined under Definitions below. *Dev-loss rise under "
        "weight noise*: the runner perturbs every parameter with two or more dimensions to "
        "W + s·rms(W)·N(0, 1) for s in the listed sizes, several draws each (five by default), "
        "evaluates the dev loss "
        "and restores the weights (`weight_perturbation` in experiments/METRICS.md); the row's "
        "value column shows the middle size, the comparisons every size. *Train loss at equal "
        "parameter count*: the last epoch's mean training loss, SwiGLU with "
        "`--swiglu-match-params` (its hidden width shrunk to 2/3 so the FFN has the parameters "
        "of the others, as in Shazeer's GLU variants); training loss measures how well the "
        "model can fit, which is what \"expressive\" can mean for a fixed budget (dev accuracy "
        "would mix in generalisation). *Bump share*: the fraction of gate (SiLU input) values "
        "in [-5, 0) on the dev set, final epoch minus epoch 0 (`epoch0`, the untrained model): "
        "a positive shift means training moved values into the bump, rather than them starting "
        "there. *Epochs to a level*: the fractional epoch (linear between epoch records; dev "
        "accuracy starts from epoch 0) at which a run first reaches the train loss %s or the dev "
        "accuracy %s, the levels every relu/swish/swiglu run reaches. *Grad-norm CV*: defined "
        "under Definitions. *Share of outputs < 0*: `negative_kept_fraction`."
        % (_fmt_level(levels["train_loss_level"]), _fmt_level(levels["dev_acc_level"], 100)),
        ""]
