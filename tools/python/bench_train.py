#!/usr/bin/env python3
"""Overhead of driving training from Python: the default model's training step (SST-2, batch
16) as a Python loop over the API against the C++ runner's own loop (tapegrad.sst2.train), on
the same data and seed, alternated `--repeats` times. Steps/s of the training epoch only
(data loading and evaluation excluded on both sides). Not a test.

    PYTHONPATH=build/python python3 tools/python/bench_train.py --data-dir DIR --vocab FILE \
        --json tools/results/cpu/python_overhead.json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# This folder holds the package's sources without the built extension: import the built one
# (PYTHONPATH=build/python), not these.
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import tapegrad as tg  # noqa: E402 (first: it finds NumPy for interpreters without their own)

import numpy as np  # noqa: E402


def python_epoch(config, data):
    """One epoch of the runner's training step, written with the API."""
    seed, train = config["seeds"][0], data["train"]
    model = tg.nn.Classifier(vocab_size=data["vocab_size"], ffn_kind=config["ffn"], seed=seed)
    opt = tg.optim.AdamW(model.named_parameters(), lr=1e-4, weight_decay=0.01)
    dropout = tg.Generator(tg.sst2.dropout_seed(seed))
    ids, mask, labels = train["ids"], train["mask"], train["labels"]
    rows, batch = len(labels), 16
    order = np.asarray(tg.sst2.epoch_permutation(rows, seed, 1))
    losses = []
    start = time.perf_counter()
    for begin in range(0, rows, batch):
        idx = order[begin:begin + batch]
        opt.zero_grad()
        logits = model(tg.tensor(ids[idx]), tg.tensor(mask[idx]), generator=dropout)
        loss = tg.cross_entropy(logits, tg.tensor(labels[idx]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    elapsed = time.perf_counter() - start
    return len(losses) / elapsed, losses


def runner_epoch(config):
    with tempfile.TemporaryDirectory() as out:
        m = tg.sst2.train(dict(config, out=out))
    epoch = m["epochs"][0]
    return epoch["steps_per_s"], epoch["train_loss"]


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True)
    p.add_argument("--vocab", required=True)
    p.add_argument("--ffn", default="relu")
    p.add_argument("--limit", type=int, default=3200, help="training rows (steps = limit/16)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--json", help="write the results here")
    a = p.parse_args()

    config = {"ffn": a.ffn, "seeds": [0], "epochs": 1, "limit": a.limit, "dev_limit": 16,
              "data_dir": a.data_dir, "vocab": a.vocab, "quiet": True, "threads": a.threads}
    if a.threads:
        tg.set_num_threads(a.threads)
    data = tg.sst2.load_data(config)
    py_rates, cpp_rates = [], []
    for r in range(a.repeats):  # alternated, so a slow moment of the machine hits both;
        if r % 2 == 0:           # which one goes first alternates too
            cpp, cpp_loss = runner_epoch(config)
            py, losses = python_epoch(config, data)
        else:
            py, losses = python_epoch(config, data)
            cpp, cpp_loss = runner_epoch(config)
        cpp_rates.append(cpp)
        py_rates.append(py)
        same = abs(float(np.mean(np.float32(losses))) - cpp_loss) < 1e-6
        print(f"repeat {r + 1}: C++ {cpp:.1f} steps/s, Python {py:.1f} steps/s, "
              f"ratio {py / cpp:.3f}, same mean loss: {same}", flush=True)
    ratios = [py / cpp for py, cpp in zip(py_rates, cpp_rates)]
    result = {
        "what": "SST-2 training epoch, default model, batch 16: Python loop vs C++ runner",
        "ffn": a.ffn, "steps_per_epoch": len(losses), "threads": tg.num_threads(),
        "python_steps_per_s": spread(py_rates), "cpp_steps_per_s": spread(cpp_rates),
        "ratio_python_over_cpp": spread(ratios),
        "same_mean_train_loss": same,
        "python": sys.version.split()[0],
        "command": " ".join(["PYTHONPATH=" + os.environ.get("PYTHONPATH", ""), "python3"]
                            + sys.argv),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                 text=True).stdout.strip(),
    }
    print(f"ratio Python/C++: median {result['ratio_python_over_cpp']['median']:.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
    if a.json:
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
        os.replace(tmp, a.json)


if __name__ == "__main__":
    main()
