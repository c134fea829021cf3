#!/usr/bin/env python3
"""Data-parallel scaling of the runner: 1 rank vs N ranks (mpirun) for each model size.

  tools/bench/bench_mpi.py [--sst2 build/experiments/sst2] [--ranks 2] [--repeats 3]
                           [--data-dir DIR --vocab FILE] [--json tools/results/cpu/bench_mpi.json]

Every measurement is one training epoch of the same global batch (--batch 16): one process with
all the node's threads, then `mpirun -np N sst2 --data-parallel` with threads / N per rank.
steps/s is the runner's own epochs[0].steps_per_s (training only, evaluation excluded). Parallel
efficiency = speedup / N, with speedup = steps/s at N ranks over steps/s at 1. The exact commands
are appended to tools/results/cpu/commands.txt.
"""
import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import shutil
import tempfile

MODELS = {
    "default": ["--limit", "2000"],
    "large": ["--d-model", "256", "--layers", "4", "--ffn-dim", "1024", "--limit", "640"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sst2", default="build/experiments/sst2")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--data-dir", default="../shared/data/SST-2")
    ap.add_argument("--vocab", default="../shared/data/bert-base-uncased/vocab.txt")
    ap.add_argument("--json", default="tools/results/cpu/bench_mpi.json")
    ap.add_argument("--commands", default="tools/results/cpu/commands.txt")
    a = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    mpirun = ["mpirun", "--oversubscribe", "-np", str(a.ranks)]
    if os.geteuid() == 0:
        mpirun.insert(1, "--allow-run-as-root")
    base = [a.sst2, "--data-dir", a.data_dir, "--vocab", a.vocab, "--ffn", "swiglu", "--seeds",
            "0", "--epochs", "1", "--dev-limit", "100", "--quiet"]
    commands, results = [], {}
    for model, flags in MODELS.items():
        results[model] = {"flags": flags}
        for ranks in (1, a.ranks):
            rates = []
            for rep in range(a.repeats):
                out = tempfile.mkdtemp(prefix="bench_mpi_")
                if ranks == 1:
                    cmd = base + flags + ["--threads", str(a.threads), "--out", out]
                else:
                    cmd = mpirun + base + flags + ["--data-parallel", "--threads",
                                                   str(max(1, a.threads // ranks)), "--out", out]
                subprocess.run(cmd, env=env, check=True)
                with open(os.path.join(out, "swiglu_seed0.json")) as f:
                    rates.append(json.load(f)["epochs"][0]["steps_per_s"])
                shutil.rmtree(out, ignore_errors=True)
                if rep == 0:
                    commands.append(" ".join(c if not c.startswith(tempfile.gettempdir())
                                             else "OUT" for c in cmd))
                print("%s, %d rank(s), repeat %d: %.2f steps/s" % (model, ranks, rep, rates[-1]),
                      file=sys.stderr)
            results[model]["ranks_%d" % ranks] = {
                "steps_per_s": rates, "mean": statistics.mean(rates),
                "std": statistics.stdev(rates) if len(rates) > 1 else 0.0}
        one = results[model]["ranks_1"]["mean"]
        many = results[model]["ranks_%d" % a.ranks]["mean"]
        results[model]["speedup"] = many / one
        results[model]["parallel_efficiency"] = many / one / a.ranks
    doc = {"benchmark": "bench_mpi", "ranks": a.ranks, "threads_total": a.threads,
           "repeats": a.repeats, "batch": 16, "date": datetime.datetime.utcnow().isoformat() + "Z",
           "models": results}
    os.makedirs(os.path.dirname(a.json), exist_ok=True)
    with open(a.json, "w") as f:
        json.dump(doc, f, indent=2)
    with open(a.commands, "a") as f:
        f.write("[bench_mpi] %s: tools/bench/bench_mpi.py --ranks %d --repeats %d --json %s\n" %
                (doc["date"], a.ranks, a.repeats, a.json))
        for c in commands:
            f.write("[bench_mpi]   %s\n" % c)
    for model, r in results.items():
        print("%s: 1 rank %.2f +- %.2f, %d ranks %.2f +- %.2f steps/s, speedup %.2f, efficiency %.2f"
              % (model, r["ranks_1"]["mean"], r["ranks_1"]["std"], a.ranks,
                 r["ranks_%d" % a.ranks]["mean"], r["ranks_%d" % a.ranks]["std"], r["speedup"],
                 r["parallel_efficiency"]))


if __name__ == "__main__":
    main()
