#!/usr/bin/env python3
"""The runner under `mpirun -np 2`, against single-process runs of the same settings.

  mpi_runs.py sweep|data-parallel|killed-rank --sst2 BIN --mpirun MPIRUN --data-root DIR
              --work DIR [--device cpu|cuda]

The data: $AG_DATA_DIR (the SST-2 directory or the root holding SST-2/ and bert-base-uncased/)
when set, else --data-root.

Exit 0: passed; 1: failed (the reason on stderr); 77: skipped (no data), which CTest reports as
skipped through SKIP_RETURN_CODE.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
# Facts of the invocation, not of the run: they differ between any two processes.
HOST_KEYS = {"timing", "peak_memory", "threads", "device_name", "distributed", "git_commit",
             "build_type"}
EPOCH_TIMING = {"epoch_s", "steps_per_s", "tokens_per_s", "eval_s"}
SMALL = ["--epochs", "1", "--limit", "600", "--dev-limit", "300"]
# The weight-noise record costs a dev evaluation per draw and size. The sweep compares whole run
# files, so it keeps one draw; the other cases compare losses only and measure none.
ONE_NOISE_DRAW = ["--weight-noise-draws", "1"]
NO_NOISE = ["--weight-noise-draws", "0"]


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def mpirun_args(a, n):
    # As root in a container: --allow-run-as-root; two ranks on fewer cores: --oversubscribe.
    return [a.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", str(n)]


def env():
    e = dict(os.environ)
    # No cross-memory attach in containers: plain shared-memory copies instead.
    e.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    e.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    return e


def run(cmd, timeout=240):
    t0 = time.time()
    p = subprocess.run(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, time.time() - t0


def sst2(a, out, extra):
    return [a.sst2, "--data-dir", a.data, "--vocab", a.vocab, "--out", out, "--quiet",
            "--device", a.device] + extra


def load(path):
    if not os.path.exists(path):
        fail(path + " was not written")
    with open(path) as f:
        return json.load(f)


def strip(doc):
    doc = {k: v for k, v in doc.items() if k not in HOST_KEYS}
    doc["config"] = {k: v for k, v in doc["config"].items() if k != "out"}
    doc["epochs"] = [{k: v for k, v in e.items() if k not in EPOCH_TIMING} for e in doc["epochs"]]
    return doc


def sweep(a):
    variants, seeds = ["relu", "swiglu"], ["0", "1"]
    flags = SMALL + ONE_NOISE_DRAW + ["--ffn", ",".join(variants), "--seeds", ",".join(seeds)]
    rc, text, secs = run(mpirun_args(a, 2) + sst2(a, os.path.join(a.work, "mpi"), flags))
    if rc != 0:
        fail("mpirun -np 2 exited %d:\n%s" % (rc, text))
    summary = load(os.path.join(a.work, "mpi", "summary.json"))
    for v in variants:
        for s in seeds:
            name = "%s_seed%s" % (v, s)
            single = os.path.join(a.work, "single_" + name)
            rc, text, _ = run(sst2(a, single, SMALL + ONE_NOISE_DRAW + ["--ffn", v, "--seeds", s]))
            if rc != 0:
                fail("single run %s exited %d:\n%s" % (name, rc, text))
            mine = strip(load(os.path.join(a.work, "mpi", name + ".json")))
            ref = strip(load(os.path.join(single, name + ".json")))
            ref["config"]["ffn"], ref["config"]["seeds"] = mine["config"]["ffn"], mine["config"]["seeds"]
            if mine != ref:
                diff = [k for k in ref if mine.get(k) != ref.get(k)]
                fail("%s under mpirun differs from the single process in %s" % (name, diff))
            print("%s: identical to the single process (host fields aside)" % name)
    ranks = load(os.path.join(a.work, "mpi", "relu_seed1.json"))["distributed"]
    if ranks["ranks"] != 2 or ranks["rank"] != 1:
        fail("relu_seed1 should be run 1, on rank 1 of 2: %s" % ranks)
    print("sweep: 4 runs over 2 ranks in %.1f s, summary with %s" % (secs, list(summary)[:3]))


def compare_losses(mine, ref, what, min_steps):
    worst = 0.0
    if len(mine["steps"]) != len(ref["steps"]) or len(mine["steps"]) < min_steps:
        fail("%s: %d logged steps vs %d (need >= %d)" % (what, len(mine["steps"]),
                                                        len(ref["steps"]), min_steps))
    for m, r in zip(mine["steps"], ref["steps"]):
        worst = max(worst, abs(m["loss"] - r["loss"]))
    for m, r in zip(mine["epochs"], ref["epochs"]):
        for key in ("train_loss", "dev_loss"):
            worst = max(worst, abs(m[key] - r[key]))
        for key in ("train_acc", "dev_acc"):
            if m[key] != r[key]:
                fail("%s: %s %s vs %s" % (what, key, m[key], r[key]))
    if worst > 1e-5:
        fail("%s: loss differs by %.3g (> 1e-5)" % (what, worst))
    print("%s: %d steps, max |loss difference| %.3g, dev acc %.4f both" %
          (what, len(mine["steps"]), worst, mine["epochs"][-1]["dev_acc"]))


def data_parallel(a):
    # 1000 rows in batches of 16: 62 even splits and a last batch of 8. 991 rows in batches of
    # 15: 7 + 8 rows every step, and a last batch of one row, which leaves rank 0 without one.
    # The emulated CUDA device takes about 0.4 s a step (more under the sanitizers), so there
    # the same shapes come with 400 and 391 rows: 25 and 27 steps.
    rows, min_steps = (("1000", "991"), 50) if a.device == "cpu" else (("400", "391"), 20)
    for dropout, batch, limit in (("0", "16", rows[0]), ("0.1", "15", rows[1])):
        flags = ["--epochs", "1", "--limit", limit, "--dev-limit", "300", "--ffn", "swiglu",
                 "--seeds", "0", "--log-every", "1", "--dropout", dropout, "--batch", batch] + NO_NOISE
        tag = "dropout%s_batch%s" % (dropout, batch)
        dp, single = os.path.join(a.work, "dp_" + tag), os.path.join(a.work, "single_" + tag)
        rc, text, secs = run(mpirun_args(a, 2) + sst2(a, dp, flags + ["--data-parallel"]))
        if rc != 0:
            fail("mpirun -np 2 --data-parallel exited %d:\n%s" % (rc, text))
        rc, text, _ = run(sst2(a, single, flags))
        if rc != 0:
            fail("single process exited %d:\n%s" % (rc, text))
        mine = load(os.path.join(dp, "swiglu_seed0.json"))
        if not mine["distributed"]["data_parallel"]:
            fail("the run file does not record data parallelism: %s" % mine["distributed"])
        compare_losses(mine, load(os.path.join(single, "swiglu_seed0.json")),
                       "data-parallel 2 ranks vs 1, %s, %s" % (tag, a.device), min_steps)


def rank_pids(parent):
    """The sst2 processes under mpirun, by rank (OMPI_COMM_WORLD_RANK in their environment)."""
    pids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as f:
                environ = f.read().split(b"\0")
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid != parent:
            continue
        for item in environ:
            if item.startswith(b"OMPI_COMM_WORLD_RANK="):
                pids[int(item.split(b"=", 1)[1])] = int(entry)
    return pids


def killed_rank(a):
    out = os.path.join(a.work, "killed")
    flags = ["--epochs", "3", "--limit", "1000", "--dev-limit", "200", "--ffn", "relu",
             "--seeds", "0", "--data-parallel"] + NO_NOISE
    cmd = mpirun_args(a, 2) + sst2(a, out, flags)
    p = subprocess.Popen(cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    ckpt = os.path.join(out, "checkpoints", "relu_seed0.ckpt")
    deadline = time.time() + 120
    while not os.path.exists(ckpt) and p.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if p.poll() is not None:
        fail("the job ended before its first checkpoint:\n" + p.communicate()[0])
    pids = rank_pids(p.pid)
    if 1 not in pids:
        p.kill()
        fail("rank 1 not found among mpirun's children (%s)" % pids)
    os.kill(pids[1], signal.SIGKILL)
    t0 = time.time()
    try:
        text = p.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        fail("the job still runs 30 s after rank 1 was killed (a hang)")
    secs = time.time() - t0
    if p.returncode == 0:
        fail("the job exited 0 after rank 1 was killed:\n" + text)
    if "rank 1" not in text:
        fail("the job's output does not name rank 1:\n" + text)
    print("killed rank 1: the job ended in %.1f s, exit %d, naming it: %s" %
          (secs, p.returncode, next(l for l in text.splitlines() if "rank 1" in l).strip()))
    # The finished epoch's checkpoint is there; --resume continues from it under mpirun.
    rc, text, _ = run(cmd + ["--resume"])
    doc = load(os.path.join(out, "relu_seed0.json"))
    if rc != 0 or doc["status"] != "finished" or len(doc["epochs"]) != 3:
        fail("--resume after the kill: exit %d, status %s, %d epochs\n%s" %
             (rc, doc["status"], len(doc["epochs"]), text))
    print("--resume after the kill: finished, 3 epochs")
    # An exception on one rank only (its data directory is wrong): named, whole job ends.
    bad = mpirun_args(a, 1) + sst2(a, out + "_bad", flags) + [":", "-np", "1"] + \
        sst2(a, out + "_bad", flags)[:2] + [os.path.join(a.work, "no-such-dir")] + \
        sst2(a, out + "_bad", flags)[3:]
    rc, text, secs = run(bad, timeout=60)
    if rc == 0 or "rank 1/2" not in text or "no-such-dir" not in text:
        fail("bad data on rank 1: exit %d, output:\n%s" % (rc, text))
    print("bad data on rank 1: the job ended in %.1f s, exit %d: %s" %
          (secs, rc, next(l for l in text.splitlines() if "rank 1/2" in l).strip()[:160]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sweep", "data-parallel", "killed-rank"])
    ap.add_argument("--sst2", required=True)
    ap.add_argument("--mpirun", required=True)
    ap.add_argument("--data-root", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    root = os.environ.get("AG_DATA_DIR") or a.data_root
    if os.path.exists(os.path.join(root, "SST-2", "train.tsv")):
        a.data = os.path.join(root, "SST-2")
    else:
        a.data, root = root, os.path.dirname(root.rstrip("/"))
    a.vocab = os.path.join(root, "bert-base-uncased", "vocab.txt")
    if not os.path.exists(os.path.join(a.data, "train.tsv")) or not os.path.exists(a.vocab):
        print("SKIPPED: no SST-2 data at %s (set AG_DATA_DIR)" % a.data)
        return SKIP
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    {"sweep": sweep, "data-parallel": data_parallel, "killed-rank": killed_rank}[a.mode](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
