"""Reading the SST-2 runner's metrics files (experiments/METRICS.md) and bench_swiglu's JSON
for tools/report.py. Everything that cannot be used is reported through `warn` and skipped."""

import glob
import json
import os

from .stats import finite

# Canonical order and colours: a variant keeps its colour in every figure of every report.
VARIANT_ORDER = ["relu", "swish", "gelu", "swiglu", "geglu"]
VARIANT_COLORS = {
    "relu": "#1f77b4",    # blue
    "swish": "#ff7f0e",   # orange
    "gelu": "#d62728",    # red
    "swiglu": "#2ca02c",  # green
    "geglu": "#9467bd",   # purple
}
_SPARE_COLORS = ["#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
GATED = {"swiglu", "geglu"}


def variant_sort_key(name):
    """Canonical FFN order; a labelled variant ("swiglu (matched params)") right after its FFN."""
    base = name.split(" (", 1)[0]
    return (VARIANT_ORDER.index(base) if base in VARIANT_ORDER else len(VARIANT_ORDER), base,
            name)


def variant_color(name, all_names=()):
    if name in VARIANT_COLORS:
        return VARIANT_COLORS[name]
    others = sorted(n for n in set(all_names) | {name} if n not in VARIANT_COLORS)
    return _SPARE_COLORS[others.index(name) % len(_SPARE_COLORS)]


class MalformedRun(Exception):
    pass


def _reject_constant(name):
    # Python's json accepts NaN/Infinity literals, which the runner never writes (it writes null).
    raise ValueError("non-standard JSON constant %s" % name)


def read_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f, parse_constant=_reject_constant)


def labelled_predictions(record, which):
    """(labels, predictions) from a predictions record ({"labels", "best", "final"}) at the
    best or final epoch, or None when it is missing or malformed."""
    if not isinstance(record, dict):
        return None
    labels, preds = record.get("labels"), record.get(which)
    if not isinstance(labels, list) or not isinstance(preds, list) or not labels \
            or len(labels) != len(preds):
        return None
    return labels, preds


class Run:
    """One run file, validated enough that the report can use it."""

    def __init__(self, path, doc):
        self.path = path
        self.name = os.path.basename(path)
        self.doc = doc
        if not isinstance(doc, dict):
            raise MalformedRun("not a JSON object")
        ffn = doc.get("ffn")
        seed = doc.get("seed")
        if not isinstance(ffn, str) or not ffn:
            raise MalformedRun("no 'ffn' string")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise MalformedRun("no integer 'seed'")
        epochs = doc.get("epochs")
        if not isinstance(epochs, list):
            raise MalformedRun("no 'epochs' list")
        for i, e in enumerate(epochs):
            if not isinstance(e, dict) or not isinstance(e.get("epoch"), int):
                raise MalformedRun("epochs[%d] is not an epoch record" % i)
        if not epochs:
            raise MalformedRun("no finished epoch (status %s)" % doc.get("status", "?"))
        self.ffn = ffn
        self.variant = ffn  # with a label of the settings that set it apart (label_variants)
        self.seed = seed
        self.epochs = sorted(epochs, key=lambda e: e["epoch"])
        steps = doc.get("steps")
        self.steps = [s for s in steps if isinstance(s, dict) and isinstance(s.get("step"), int)] \
            if isinstance(steps, list) else []
        self.status = doc.get("status") if isinstance(doc.get("status"), str) else "unknown"
        self.config = doc.get("config") if isinstance(doc.get("config"), dict) else {}

    # --- plain accessors ------------------------------------------------------------------
    def get(self, *keys, default=None):
        cur = self.doc
        for k in keys:
            if isinstance(cur, dict) and k in cur:
                cur = cur[k]
            else:
                return default
        return cur

    def epoch_values(self, key):
        """[(epoch, value)] for the epochs where `key` is a finite number."""
        return [(e["epoch"], e[key]) for e in self.epochs if finite(e.get(key))]

    @property
    def last_epoch(self):
        return self.epochs[-1]

    @property
    def best_dev_acc(self):
        v = self.doc.get("best_dev_acc")
        if finite(v):
            return v
        accs = [a for _, a in self.epoch_values("dev_acc")]
        return max(accs) if accs else None

    @property
    def final_dev_acc(self):
        v = self.doc.get("final_dev_acc")
        if finite(v):
            return v
        accs = self.epoch_values("dev_acc")
        return accs[-1][1] if accs else None

    @property
    def best_epoch_record(self):
        be = self.doc.get("best_epoch")
        for e in self.epochs:
            if e["epoch"] == be:
                return e
        accs = self.epoch_values("dev_acc")
        if accs:
            best = max(accs, key=lambda t: t[1])[0]  # first epoch on ties
            return next(e for e in self.epochs if e["epoch"] == best)
        return self.last_epoch

    def epoch_record(self, which):
        return self.best_epoch_record if which == "best" else self.last_epoch

    def steps_per_s(self):
        v = self.get("timing", "steps_per_s")
        if finite(v) and v > 0:
            return v
        vals = [v for _, v in self.epoch_values("steps_per_s")]
        return sum(vals) / len(vals) if vals else None

    def predictions(self, which):
        """(labels, predictions) at the best or final epoch, or None when not recorded."""
        return labelled_predictions(self.doc.get("dev_predictions"), which)

    def ffn_stats(self, which="final"):
        f = self.epoch_record(which).get("ffn")
        return f if isinstance(f, dict) else None

    def ffn_stats_first(self):
        f = self.epochs[0].get("ffn")
        return f if isinstance(f, dict) else None


def histogram(ffn_stats, key):
    """A validated histogram {'lo', 'hi', 'counts', 'underflow', 'overflow', 'total', ...} or
    None."""
    if not isinstance(ffn_stats, dict):
        return None
    bins, h = ffn_stats.get("bins"), ffn_stats.get(key)
    if not isinstance(bins, dict) or not isinstance(h, dict):
        return None
    counts = h.get("counts")
    lo, hi = bins.get("lo"), bins.get("hi")
    if not isinstance(counts, list) or not counts or not finite(lo) or not finite(hi) or hi <= lo:
        return None
    if not all(finite(c) for c in counts):
        return None
    out = dict(h)
    out["lo"], out["hi"] = float(lo), float(hi)
    out["counts"] = [int(c) for c in counts]
    for k in ("underflow", "overflow", "nan"):
        out[k] = int(h[k]) if finite(h.get(k)) else 0
    tot = h.get("total")
    out["total"] = int(tot) if finite(tot) else sum(out["counts"]) + out["underflow"] + out["overflow"]
    return out


def pool_histograms(hists):
    """Sum histograms with the same bins (seeds pooled); None if none or if bins differ."""
    hists = [h for h in hists if h is not None]
    if not hists:
        return None
    first = hists[0]
    same = [h for h in hists if h["lo"] == first["lo"] and h["hi"] == first["hi"]
            and len(h["counts"]) == len(first["counts"])]
    out = {"lo": first["lo"], "hi": first["hi"], "counts": [0] * len(first["counts"]),
           "underflow": 0, "overflow": 0, "nan": 0, "total": 0, "n": len(same)}
    for h in same:
        out["counts"] = [a + b for a, b in zip(out["counts"], h["counts"])]
        for k in ("underflow", "overflow", "nan", "total"):
            out[k] += h[k]
    mins = [h.get("min") for h in same if finite(h.get("min"))]
    maxs = [h.get("max") for h in same if finite(h.get("max"))]
    out["min"] = min(mins) if mins else None
    out["max"] = max(maxs) if maxs else None
    return out


# Settings that do not change a run's numbers (the runner's resume check lets them differ) or
# that follow from others (ffn_dim from ffn_dim_base and swiglu_match_params): runs that differ
# only in these are one setup.
NEUTRAL_SETTINGS = {"ffn", "seeds", "epochs", "data_dir", "vocab", "eval_file", "device",
                    "threads", "out", "resume", "quiet", "log_every", "eval_batch", "config",
                    "data_parallel", "cuda_graph", "ffn_dim"}
# How a setting reads in a variant's label; others read "key=value".
SETTING_WORDS = {"swiglu_match_params": "matched params"}


def setup_of(run):
    """The settings that shape a run's numbers, as {key: JSON text}. swiglu_match_params only
    matters to gated variants."""
    out = {}
    for k, v in run.config.items():
        if k in NEUTRAL_SETTINGS or (k == "swiglu_match_params" and run.ffn not in GATED):
            continue
        out[k] = json.dumps(v, sort_keys=True)
    if run.ffn in GATED:
        out.setdefault("swiglu_match_params", "false")  # files that predate the setting
    return out


def label_variants(runs):
    """Sets run.variant: the FFN name, followed in parentheses by the settings in which the run
    differs from the setup most runs share (e.g. "swiglu (matched params)"), so that variants
    whose names differ only by a setting are told apart. A differing preset is named alone (it
    implies the settings it sets)."""
    setups = [setup_of(r) for r in runs]
    common = {}
    for key in sorted({k for s in setups for k in s}):
        counts = {}
        for s in setups:
            if key in s:  # a key only some variants have is compared among those
                counts[s[key]] = counts.get(s[key], 0) + 1
        common[key] = max(sorted(counts, key=str), key=lambda v: counts[v])
    for r, s in zip(runs, setups):
        differ = [k for k in sorted(s) if s[k] != common[k]]
        if "preset" in differ:
            differ = ["preset"]
        words = []
        for k in differ:
            if k in SETTING_WORDS and s.get(k) == "true":
                words.append(SETTING_WORDS[k])
            else:
                value = json.loads(s[k]) if k in s else None
                words.append("%s=%s" % (k, value if not isinstance(value, bool)
                                        else str(value).lower()))
        r.variant = r.ffn + (" (%s)" % ", ".join(words) if words else "")


def run_file_paths(runs_dir):
    """The run files of runs_dir and of its subdirectories one level down (one per setup, e.g.
    default/ and matched/), without summaries, benchmarks, reports and checkpoints."""
    paths = sorted(glob.glob(os.path.join(runs_dir, "*.json")))
    for sub in sorted(glob.glob(os.path.join(runs_dir, "*", ""))):
        if os.path.basename(os.path.dirname(sub)) in ("report", "checkpoints"):
            continue
        paths += sorted(glob.glob(os.path.join(sub, "*.json")))
    return [p for p in paths
            if os.path.basename(p) != "summary.json" and not os.path.basename(p).startswith("bench")]


def load_runs(runs_dir, warn):
    """Every usable run file in runs_dir (and one level of subdirectories), as Run objects with
    their variant labels. summary.json and bench*.json are not run files; anything else ending
    in .json that cannot be read is named in a warning."""
    runs = []
    for path in run_file_paths(runs_dir):
        try:
            doc = read_json(path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            warn("skipping %s: cannot read it as JSON (%s)" % (path, _short(e)))
            continue
        try:
            runs.append(Run(path, doc))
        except MalformedRun as e:
            warn("skipping %s: not a usable run file: %s" % (path, e))
    label_variants(runs)
    # Two files for one (variant, seed) (e.g. a copy): keep the first by name, warn about the rest.
    seen, unique = {}, []
    for r in runs:
        key = (r.variant, r.seed)
        if key in seen:
            warn("skipping %s: same variant and seed (%s, seed %d) as %s"
                 % (r.path, r.variant, r.seed, seen[key].name))
            continue
        seen[key] = r
        unique.append(r)
    return unique


def load_summary(runs_dir, warn):
    path = os.path.join(runs_dir, "summary.json")
    if not os.path.exists(path):
        return None
    try:
        doc = read_json(path)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        warn("ignoring %s: cannot read it as JSON (%s)" % (path, _short(e)))
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("variants", {}), dict):
        warn("ignoring %s: not a summary object" % path)
        return None
    return doc


KERNEL_KEYS = ("elements", "pass", "fused_ms", "unfused_ms")
STEP_KEYS = ("ffn", "fused", "step_ms")


def load_bench(paths, warn):
    """(kernel_records, train_step_records) from bench_swiglu JSON files (a list of records
    each; its *_train_step.json companion holds the training-step records)."""
    kernel, steps = [], []
    for path in paths:
        try:
            doc = read_json(path)
        except (OSError, UnicodeDecodeError, ValueError) as e:
            warn("skipping %s: cannot read it as JSON (%s)" % (path, _short(e)))
            continue
        if isinstance(doc, dict) and isinstance(doc.get("records"), list):
            doc = doc["records"]
        if not isinstance(doc, list):
            warn("skipping %s: not a list of benchmark records" % path)
            continue
        used = bad = 0
        for rec in doc:
            if not isinstance(rec, dict):
                bad += 1
                continue
            if all(k in rec for k in KERNEL_KEYS) and finite(rec["elements"]) \
                    and finite(rec["fused_ms"]) and finite(rec["unfused_ms"]) \
                    and rec["fused_ms"] > 0 and rec["unfused_ms"] > 0 and rec["elements"] > 0:
                r = dict(rec)
                r["_file"] = path
                r.setdefault("device", "?")
                r.setdefault("device_name", "")
                r["threads"] = rec.get("threads") if finite(rec.get("threads")) else 0
                if not finite(r.get("speedup")):
                    r["speedup"] = r["unfused_ms"] / r["fused_ms"]
                kernel.append(r)
                used += 1
            elif all(k in rec for k in STEP_KEYS) and finite(rec["step_ms"]) and rec["step_ms"] > 0:
                r = dict(rec)
                r["_file"] = path
                r.setdefault("device", "?")
                r.setdefault("device_name", "")
                steps.append(r)
                used += 1
            else:
                bad += 1
        if bad:
            warn("%s: ignored %d record(s) that are not benchmark records" % (path, bad))
        if not used:
            warn("skipping %s: no usable benchmark records" % path)
    return kernel, steps


def _short(e):
    s = str(e)
    return s if len(s) < 160 else s[:157] + "..."
