#!/usr/bin/env python3
"""Tests of tools/report.py on synthetic files (no training, a few seconds):

  * 2 variants x 2 seeds of run files in the runner's format (experiments/METRICS.md), a
    malformed file and a bench*.json beside them: exit 0, every figure a non-empty PNG,
    report.md with a row per variant, no 'nan', the malformed file named on stderr;
  * --bench on a synthetic bench_swiglu file (and its _train_step companion);
  * a directory without a usable run file: exit 1;
  * McNemar's exact test against known values, Holm's correction, the derived measures.

Exit status: 0 all passed, 1 a failure, 77 (CTest's SKIP_RETURN_CODE) when no python3 with
matplotlib is available. Usage: test_report.py [--report tools/report.py]"""

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPORT = os.path.normpath(os.path.join(HERE, "..", "..", "tools", "report.py"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

RESULTS = []


def check(name, cond, detail=""):
    RESULTS.append(bool(cond))
    print("%s - %s%s" % ("ok" if cond else "FAIL", name, "" if cond or not detail else ": " + detail))
    sys.stdout.flush()
    return bool(cond)


def python_with_matplotlib():
    for cand in (sys.executable, "/usr/bin/python3"):
        if cand and os.access(cand, os.X_OK):
            r = subprocess.run([cand, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return cand
    return None


# --- synthetic run files --------------------------------------------------------------------

LO, HI, NBINS = -8.0, 8.0, 160


def hist(values):
    counts = [0] * NBINS
    under = over = 0
    for v in values:
        if v < LO:
            under += 1
        elif v >= HI:
            over += 1
        else:
            counts[min(NBINS - 1, int((v - LO) / 0.1))] += 1
    n = len(values)
    m = sum(values) / n
    return {"counts": counts, "underflow": under, "overflow": over, "nan": 0, "total": n,
            "mean": m, "std": math.sqrt(sum((v - m) ** 2 for v in values) / n),
            "min": min(values), "max": max(values)}


def silu(x):
    return x / (1.0 + math.exp(-x)) if x > -80 else 0.0


def act(ffn, x):
    return max(x, 0.0) if ffn == "relu" else silu(x)


def ffn_stats(ffn, rng, epoch, hidden=16, positions=60):
    gated = ffn in ("swiglu", "geglu")
    spread = 0.6 + 0.1 * epoch
    pre, up, out, block = [], [], [], []
    ever_positive = [False] * hidden
    for _ in range(positions):
        for u in range(hidden):
            g = rng.gauss(-0.05 if u == 0 and ffn == "relu" else 0.0, spread)
            if u == 0 and ffn == "relu":
                g = -abs(g)  # one dead unit
            pre.append(g)
            if g > 0:
                ever_positive[u] = True
            if gated:
                b = rng.gauss(0.0, spread)
                up.append(b)
                out.append(silu(g) * b)
            else:
                out.append(act(ffn, g))
        for _ in range(8):
            block.append(rng.gauss(0.0, 0.3))
    pre[0] = -9.5  # one value below the bins (underflow)
    if not gated:
        out[0] = act(ffn, pre[0])
    stats = {
        "bins": {"lo": LO, "hi": HI, "count": NBINS},
        "positions": positions,
        "hidden": hidden,
        "pre_activation": hist(pre),
        "activation_output": hist(out),
        "block_output": hist(block),
        "negative_fraction": sum(1 for v in pre if v < 0) / len(pre),
        "negative_kept_fraction": sum(1 for v in out if v < 0) / len(out),
        "bump": {"fraction": sum(1 for v in pre if -5 <= v < 0) / len(pre),
                 "left_of_min": sum(1 for v in pre if -5 <= v < -1.2785) / len(pre),
                 "right_of_min": sum(1 for v in pre if -1.2785 <= v < 0) / len(pre)},
        "dead_unit_ratio": sum(1 for p in ever_positive if not p) / hidden,
    }
    if gated:
        stats["up"] = hist(up)
    return stats


EVAL_N = 100  # examples of the synthetic evaluation file


def eval_acc_of(base, epoch, seed):
    """Accuracy of a synthetic run on its evaluation file: base + 0.05 epoch + 0.02 seed, a
    whole number of the EVAL_N examples."""
    return round(EVAL_N * (base + 0.05 * epoch + 0.02 * seed)) / EVAL_N


def eval_preds_of(acc):
    """Predictions right on the first acc * EVAL_N examples of the evaluation file, wrong on the
    rest: so two runs differ exactly on the examples between their two counts."""
    labels = [i % 2 for i in range(EVAL_N)]
    k = int(round(acc * EVAL_N))
    return labels, [y if i < k else 1 - y for i, y in enumerate(labels)]


def make_run(ffn, seed, epochs=3, steps_per_epoch=40, log_every=10, n_dev=120, skill=0.0,
             eval_base=None, eval_predictions=True, dev_peak=False):
    """eval_base: evaluate the file 'held_out' with accuracies eval_acc_of(eval_base, ...);
    dev_peak: the last epoch's dev accuracy drops, so the best-dev epoch is the one before."""
    rng = random.Random(sum(map(ord, ffn)) * 100 + seed)
    gated = ffn in ("swiglu", "geglu")
    labels = [random.Random(1000 + i).randint(0, 1) for i in range(n_dev)]  # same for every run
    recs, steps = [], []
    step = 1
    for e in range(1, epochs + 1):
        acc = min(0.95, 0.55 + 0.09 * e + skill + 0.01 * seed)
        if dev_peak and e == epochs:
            acc -= 0.2
        ev = {"held_out": eval_acc_of(eval_base, e, seed)} if eval_base is not None else {}
        recs.append({"epoch": e, "train_loss": 0.69 - 0.05 * e - skill / 2,
                     "train_acc": acc + 0.02, "dev_loss": 0.7 - 0.04 * e - skill / 2,
                     "dev_acc": acc, "eval": ev, "eval_loss": {k: 0.5 for k in ev}, "epoch_s": 1.0,
                     "steps_per_s": 40.0 + seed, "tokens_per_s": 20000.0, "lr": 1e-4,
                     "steps": steps_per_epoch, "eval_s": 0.1,
                     "ffn": ffn_stats(ffn, rng, e)})
        for s in range(steps_per_epoch):
            if (step - 1) % log_every == 0:
                groups = {g: abs(rng.gauss(0.1, 0.03)) + 0.01 for g in
                          ("token_embedding", "positions", "encoder.0.attn", "encoder.0.ffn",
                           "encoder.0.norm1", "encoder.0.norm2", "final_norm", "head")}
                steps.append({"step": step, "epoch": e, "loss": 0.7 - 0.001 * step + rng.gauss(0, 0.02),
                              "grad_norm": math.sqrt(sum(v * v for v in groups.values())),
                              "layer_grad_norms": groups})
            step += 1
    p_right = recs[-1]["dev_acc"]
    final = [y if rng.random() < p_right else 1 - y for y in labels]
    best_epoch = max(range(epochs), key=lambda i: recs[i]["dev_acc"]) + 1
    hidden = 16
    extra = {}
    if eval_base is not None:
        extra["data"] = {"train_examples": 2000, "dev_examples": n_dev,
                         "eval_examples": {"held_out": EVAL_N}, "eval_files": ["held_out.tsv"]}
        if eval_predictions:
            labels_e, final_e = eval_preds_of(recs[-1]["eval"]["held_out"])
            _, best_e = eval_preds_of(recs[best_epoch - 1]["eval"]["held_out"])
            extra["eval_predictions"] = {"held_out": {"labels": labels_e, "best": best_e,
                                                      "final": final_e}}
    doc = {
        "schema_version": 1, "ffn": ffn, "seed": seed,
        "config": {"ffn": [ffn], "seeds": [seed], "epochs": epochs, "preset": "default",
                   "limit": 2000, "d_model": 16, "heads": 2, "layers": 1, "ffn_dim": hidden,
                   "max_len": 16, "batch": 16, "dropout": 0.1, "norm": "pre",
                   "positions": "learned", "pooling": "mean", "optimizer": "adamw", "lr": 1e-4,
                   "weight_decay": 0.01, "log_every": log_every, "device": "cpu", "threads": 2},
        "params": {"total": 5000 + (3 if gated else 2) * hidden * 16,
                   "ffn": (3 if gated else 2) * hidden * 16, "embedding": 4000, "per_tensor": {}},
        "model": {"ffn_hidden": hidden, "gated": gated, "fused": True, "head_dim": 8,
                  "vocab_size": 100},
        "data": {"train_examples": 2000, "dev_examples": n_dev},
        "device": "cpu", "device_name": "Synthetic CPU", "threads": 2,
        "build_type": "Release", "git_commit": "abc1234", "status": "finished", "failure": None,
        "epochs": recs, "steps": steps, "best_epoch": best_epoch,
        "best_dev_acc": recs[best_epoch - 1]["dev_acc"], "final_dev_acc": recs[-1]["dev_acc"],
        "dev_predictions": {"labels": labels, "best": final, "final": final},
        "peak_memory": {"host_rss_bytes": 1 << 27, "device_bytes": 0},
        "timing": {"train_s": 3.0, "total_s": 3.5, "eval_s": 0.5,
                   "steps": epochs * steps_per_epoch, "steps_per_s": 40.0 + seed},
    }
    doc.update(extra)
    return doc


def bench_records(device, name, threads):
    recs = []
    for n in (16384, 262144, 1 << 20, 1 << 22):
        for p, fb, ub in (("forward", 3, 5), ("backward", 5, 9)):
            by = 4.0 * n
            copy_gbps = 50.0 if device == "cpu" else 2000.0
            fms = fb * by / (0.8 * copy_gbps) / 1e6 + 0.002
            ums = ub * by / (0.8 * copy_gbps) / 1e6 + 0.004
            recs.append({"device": device, "device_name": name, "elements": n, "shape": str(n),
                         "pass": p, "threads": threads, "reps": 11, "fused_ms": fms,
                         "unfused_ms": ums, "speedup": ums / fms,
                         "fused_gbps": fb * by / fms / 1e6, "unfused_gbps": ub * by / ums / 1e6,
                         "copy_ms": 2 * by / copy_gbps / 1e6, "copy_gbps": copy_gbps,
                         "copy_fraction": fb * by / fms / 1e6 / copy_gbps,
                         "unfused_copy_fraction": ub * by / ums / 1e6 / copy_gbps})
    return recs


def write_json(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f)


# --- checks ---------------------------------------------------------------------------------

def run(python, report, args):
    r = subprocess.run([python, report] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def check_pngs(out, names, label):
    for n in names:
        p = os.path.join(out, n)
        ok = os.path.isfile(p) and os.path.getsize(p) > 1000
        if ok:
            with open(p, "rb") as f:
                ok = f.read(8) == PNG_MAGIC
        check("%s: %s is a non-empty PNG" % (label, n), ok)


def has_nan(text):
    return re.search(r"\bnan\b", text, re.IGNORECASE) is not None


def test_runs(python, report, tmp):
    runs = os.path.join(tmp, "runs")
    out = os.path.join(tmp, "out")
    os.makedirs(runs)
    for ffn, skill in (("relu", 0.0), ("swiglu", 0.08)):
        for seed in (0, 1):
            write_json(os.path.join(runs, "%s_seed%d.json" % (ffn, seed)),
                       make_run(ffn, seed, skill=skill))
    with open(os.path.join(runs, "swish_seed0.json"), "w") as f:
        f.write('{"schema_version": 1, "ffn": "swish", "seed": 0, "epochs": [{"epoch": 1,')
    write_json(os.path.join(runs, "summary.json"),
               {"schema_version": 1, "runs": ["relu_seed0.json", "relu_seed1.json",
                                              "swiglu_seed0.json", "swiglu_seed1.json"],
                "variants": {}})
    write_json(os.path.join(runs, "bench_cpu.json"), bench_records("cpu", "Synthetic CPU", 1))
    rc, so, se = run(python, report, [runs, "--out", out])
    check("runs: exit status 0", rc == 0, "rc=%d, stderr:\n%s" % (rc, se))
    check("runs: the malformed file is named in a warning on stderr",
          "swish_seed0.json" in se and "warning" in se, se)
    check("runs: the good files raise no warning", all(
        n not in se for n in ("relu_seed0", "relu_seed1", "swiglu_seed0", "swiglu_seed1")), se)
    check_pngs(out, ["loss.png", "dev_accuracy.png", "ffn_outputs.png", "pre_activations.png",
                     "swish_bump.png", "grad_norms.png", "bench_speedup.png",
                     "bench_bandwidth.png"], "runs")
    md_path = os.path.join(out, "report.md")
    if not check("runs: report.md exists", os.path.isfile(md_path)):
        return
    with open(md_path, encoding="utf-8") as f:
        md = f.read()
    check("runs: no 'nan' in report.md", not has_nan(md),
          "; ".join(l for l in md.splitlines() if has_nan(l))[:500])
    rows = {v: [l for l in md.splitlines() if l.startswith("| **%s** |" % v)] for v in ("relu", "swiglu")}
    check("runs: summary table has a row per variant", all(rows[v] for v in rows), str(rows))
    check("runs: the malformed variant has no row", "| **swish** |" not in md)
    row = rows["relu"][0] if rows["relu"] else ""
    cells = [c.strip() for c in row.strip("|").split("|")]
    check("runs: relu row holds values (2 runs, accuracy, params, steps/s)",
          len(cells) == 12 and cells[1] == "2" and "±" in cells[2] and "5,512" in cells[10]
          and cells[11].startswith("40.5"), str(cells))
    check("runs: relu keeps no negative pre-activation, dead units measured",
          len(cells) == 12 and cells[8] == "0.0 ± 0.0%" and cells[9] != "—", str(cells))
    srow = [c.strip() for c in (rows["swiglu"][0] if rows["swiglu"] else "").strip("|").split("|")]
    check("runs: swiglu keeps all negative gate values (100%)",
          len(srow) == 12 and srow[8].startswith("100.0"), str(srow))
    check("runs: epochs to 75% reported", len(cells) == 12 and cells[4] not in ("", "—"), str(cells))
    check("runs: header names device, commit, epochs and seeds",
          "Synthetic CPU" in md and "abc1234" in md and "**Epochs:** 3" in md
          and "**Seeds:** 0, 1" in md)
    check("runs: McNemar table with per-seed and pooled rows",
          "relu vs swiglu" in md and "**pooled**" in md and "Holm" in md)
    check("runs: every figure is embedded", all("](%s)" % n in md for n in (
        "loss.png", "dev_accuracy.png", "ffn_outputs.png", "pre_activations.png",
        "swish_bump.png", "grad_norms.png", "bench_speedup.png", "bench_bandwidth.png")))
    check("runs: the warning is listed in report.md", "swish_seed0.json" in md)
    leftovers = [n for n in os.listdir(out) if n.endswith(".tmp")]
    check("runs: no temporary files left", not leftovers, str(leftovers))

    # one seed, one variant: still a report
    one = os.path.join(tmp, "one")
    os.makedirs(one)
    write_json(os.path.join(one, "relu_seed3.json"), make_run("relu", 3, epochs=1))
    rc, so, se = run(python, report, [one, "--out", os.path.join(tmp, "out_one")])
    check("one run: exit status 0", rc == 0, se)
    with open(os.path.join(tmp, "out_one", "report.md"), encoding="utf-8") as f:
        md = f.read()
    check("one run: report without 'nan', no bump figure (no swish/swiglu)",
          not has_nan(md) and "Not drawn" in md and "| **relu** |" in md)


def test_no_usable_run(python, report, tmp):
    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    with open(os.path.join(bad, "relu_seed0.json"), "w") as f:
        f.write("not json")
    write_json(os.path.join(bad, "swiglu_seed0.json"), {"ffn": "swiglu", "seed": 0, "epochs": []})
    rc, so, se = run(python, report, [bad, "--out", os.path.join(tmp, "out_bad")])
    check("no usable run: exit status 1", rc == 1, "rc=%d" % rc)
    check("no usable run: both files named", "relu_seed0.json" in se and "swiglu_seed0.json" in se, se)
    rc, so, se = run(python, report, [os.path.join(tmp, "missing"), "--out", os.path.join(tmp, "o")])
    check("missing directory: non-zero exit", rc != 0)


def test_bench(python, report, tmp):
    b1 = os.path.join(tmp, "bench_a.json")
    b2 = os.path.join(tmp, "bench_b.json")
    write_json(b1, bench_records("cpu", "Synthetic CPU", 1) + bench_records("cpu", "Synthetic CPU", 2))
    write_json(b2, bench_records("cuda", "Synthetic GPU", 0))
    write_json(os.path.join(tmp, "bench_a_train_step.json"),
               [{"device": "cpu", "device_name": "Synthetic CPU", "ffn": "swiglu", "fused": f,
                 "batch": 16, "seq_len": 32, "threads": 2, "step_ms": 10.0 if f else 14.0,
                 "steps_per_s": 100.0 if f else 1000 / 14.0} for f in (True, False)])
    out = os.path.join(tmp, "out_bench")
    rc, so, se = run(python, report, ["--bench", b1, "--bench", b2, "--bench",
                                      os.path.join(tmp, "bench_a_train_step.json"), "--out", out])
    check("bench: exit status 0", rc == 0, se)
    check_pngs(out, ["bench_speedup.png", "bench_bandwidth.png"], "bench")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        md = f.read()
    check("bench: tables of the kernel and the training step, no 'nan'",
          "Synthetic GPU" in md and "CPU 2 threads" in md and "training step" in md
          and not has_nan(md))
    with open(os.path.join(tmp, "broken_bench.json"), "w") as f:
        f.write("[{")
    rc, so, se = run(python, report, ["--bench", os.path.join(tmp, "broken_bench.json"),
                                      "--out", os.path.join(tmp, "out_bb")])
    check("bench: only a malformed file -> exit 1 with a warning naming it",
          rc == 1 and "broken_bench.json" in se, "rc=%d %s" % (rc, se))


def test_units(report):
    sys.path.insert(0, os.path.dirname(os.path.abspath(report)))
    from report import stats as st  # noqa: E402  (tools/report/)
    cases = [((10, 2), 0.03857421875), ((2, 10), 0.03857421875), ((0, 0), 1.0), ((5, 5), 1.0),
             ((0, 5), 0.0625), ((1, 9), 0.021484375), ((6, 4), 0.75390625)]
    for (b, c), want in cases:
        got = st.mcnemar_exact(b, c)
        check("McNemar exact b=%d c=%d p=%.6g" % (b, c, want), abs(got - want) < 1e-12, str(got))
    check("McNemar b=10 c=2 rounds to 0.0386", round(st.mcnemar_exact(10, 2), 4) == 0.0386)
    big = st.mcnemar_exact(1500, 1400)
    check("McNemar on thousands of pairs is finite and in (0, 1]", 0 < big <= 1, str(big))
    adj = st.holm([0.01, 0.04, 0.03, None])
    check("Holm adjustment", adj[3] is None and all(
        abs(a - w) < 1e-12 for a, w in zip(adj[:3], [0.03, 0.06, 0.06])), str(adj))
    check("discordant pairs", st.discordant([1, 0, 1, 0], [1, 0, 0, 1], [0, 0, 1, 0]) == (1, 2, 4))
    check("silu minimum", abs(st.silu(st.SILU_MIN_X) - st.SILU_MIN_Y) < 1e-9
          and abs(st.silu_derivative(st.SILU_MIN_X)) < 1e-9)
    check("coefficient of variation", abs(st.coefficient_of_variation([1.0, 3.0]) - 0.5) < 1e-12)
    check("sample std", abs(st.sample_std([1.0, 3.0]) - math.sqrt(2.0)) < 1e-12
          and st.sample_std([2.0]) == 0.0)


def run_suite(prefix, tests):
    """The shared main of the report tests: each of tests(python, report, tmp) runs in one
    scratch directory; exit 77 without a python3 that has matplotlib, 1 on any failure."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", default=DEFAULT_REPORT)
    args = ap.parse_args()
    python = python_with_matplotlib()
    if python is None:
        print("SKIP: no python3 with matplotlib (Debian: apt-get install python3-matplotlib)")
        return 77
    report = os.path.abspath(args.report)
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        for test in tests:
            test(python, report, tmp)
    failed = RESULTS.count(False)
    print("%d passed, %d failed" % (RESULTS.count(True), failed))
    return 1 if failed else 0


def main():
    return run_suite("report_test_", [lambda python, report, tmp: test_units(report), test_runs,
                                      test_no_usable_run, test_bench])


if __name__ == "__main__":
    sys.exit(main())
