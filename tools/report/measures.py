"""Per-run measurements shared by tools/report.py's tables and its claims table: epochs to a
dev accuracy, the steadiness of the gradient norm, the negatives an activation keeps."""

from .load import GATED, histogram
from .stats import GATE_ACTIVATION, ZERO_BELOW, coefficient_of_variation, finite


def epochs_to_target(run, target):
    for e, acc in run.epoch_values("dev_acc"):
        if acc >= target:
            return e
    return None


def grad_norm_cv(run):
    """(cv, scope): coefficient of variation (population std / mean) of the logged global
    gradient norm after the first epoch; with a single epoch, over its second half."""
    after = [s.get("grad_norm") for s in run.steps
             if isinstance(s.get("epoch"), int) and s["epoch"] > 1 and finite(s.get("grad_norm"))]
    if len(after) >= 2:
        return coefficient_of_variation(after), "after epoch 1", len(after)
    norms = [(s["step"], s.get("grad_norm")) for s in run.steps if finite(s.get("grad_norm"))]
    if len(norms) >= 4 and len(run.epochs) == 1:
        half = norms[-1][0] / 2.0
        late = [g for st, g in norms if st > half]
        return coefficient_of_variation(late), "second half of epoch 1", len(late)
    return None, None, 0


def negative_kept(run, which):
    """Fraction of negative pre-activations (gate values for gated variants) whose activation
    output is non-zero, and how it was obtained ('measured', 'from gate histogram', ...)."""
    f = run.ffn_stats(which)
    if not f:
        return None, None
    gated = run.ffn in GATED or run.get("model", "gated") is True
    if not gated:
        nf, nk = f.get("negative_fraction"), f.get("negative_kept_fraction")
        if not finite(nf) or not finite(nk):
            return None, None
        if nf <= 0:
            return None, "no negative pre-activation"
        # relu/swish/gelu keep the sign: act(x) < 0 exactly when x < 0 and act(x) != 0.
        return min(1.0, nk / nf), "measured"
    act = GATE_ACTIVATION.get(run.ffn)
    h = histogram(f, "pre_activation")
    if act is None or h is None or h["total"] <= 0:
        return None, None
    n = len(h["counts"])
    width = (h["hi"] - h["lo"]) / n
    zero_idx = int(round((0.0 - h["lo"]) / width))
    negatives = sum(h["counts"][:zero_idx]) + h["underflow"]
    if negatives == 0:
        return None, "no negative gate value"
    threshold = ZERO_BELOW[act]
    if threshold < h["lo"]:
        # Only values below the histogram's range can reach the threshold: the recorded minimum
        # decides it.
        if h["underflow"] == 0 or (finite(h.get("min")) and h["min"] >= threshold):
            return 1.0, "gate histogram + min"
        return (negatives - h["underflow"]) / negatives, "gate histogram (lower bound)"
    below = int(round((threshold - h["lo"]) / width))
    zeros = sum(h["counts"][:below]) + h["underflow"]
    return (negatives - zeros) / negatives, "gate histogram (0.1 bins)"
