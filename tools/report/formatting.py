"""Number and table formatting shared by tools/report.py and its section modules."""

from .stats import finite, mean, sample_std

DASH = "—"


def fmt_num(x, digits=3):
    return DASH if not finite(x) else ("%.*f" % (digits, x))


def fmt_pm(values, scale=1.0, digits=3, suffix=""):
    """'mean ± std' (sample std) of the finite values, or the value itself for one of them."""
    vals = [v * scale for v in values if finite(v)]
    if not vals:
        return DASH
    if len(vals) == 1:
        return "%.*f%s" % (digits, vals[0], suffix)
    return "%.*f ± %.*f%s" % (digits, mean(vals), digits, sample_std(vals), suffix)


def fmt_int(x):
    return DASH if not finite(x) else "{:,}".format(int(x))


def fmt_p(p):
    if p is None:
        return DASH
    if p < 1e-4:
        return "%.1e" % p
    return "%.4f" % p


def md_table(header, rows, align=None):
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else ":---:" if a == "c" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)
