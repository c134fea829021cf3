#!/usr/bin/env python3
"""Tests of the claims table of tools/report.py ("The seed's claims, tested") on synthetic runs
whose answer is known by construction:

  * a clear win (swiglu better on every seed by far more than the margin): supported;
  * a tie (identical numbers on every seed): not supported, the difference lies inside the
    margin;
  * a reversal (swiglu worse on every seed): not supported;
  * noise (differences of alternating sign, larger than the margin): inconclusive;
  * a parameter-matched swiglu in a subdirectory is its own row, "swiglu (matched params)",
    and claim 3 compares it; weight noise and the bump shift follow the runs' values;
  * the verdict rule and the t-interval against hand-worked values.

Exit status: 0 all passed, 1 a failure, 77 when no python3 with matplotlib is available.
Usage: test_report_claims.py [--report tools/report.py]"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_report as base  # noqa: E402  (make_run, write_json, run, check)

SEEDS = range(5)
VARIANTS = ("relu", "swish", "swiglu")


def synthetic_runs(directory, swiglu_shift, noise=0.0, matched_shift=None):
    """relu, swish and swiglu over 5 seeds. swiglu's final dev accuracy is the others' plus
    swiglu_shift (plus noise * (-1)^seed); its train loss, weight-noise rise and gate share in
    the bump move the same way (better when swiglu_shift > 0)."""
    os.makedirs(directory, exist_ok=True)
    for ffn in VARIANTS:
        for seed in SEEDS:
            doc = base.make_run(ffn, seed)
            shift = swiglu_shift + noise * (-1) ** seed if ffn == "swiglu" else 0.0
            last = doc["epochs"][-1]
            last["dev_acc"] = 0.80 + 0.01 * seed + shift
            doc["final_dev_acc"] = last["dev_acc"]
            last["train_loss"] = 0.40 + 0.01 * seed - shift
            doc["weight_perturbation"] = {
                "sizes": [0.01, 0.02, 0.05], "draws": 5,
                "mean_dev_loss_increase": [k * (0.01 + 0.001 * seed - shift / 4)
                                           for k in (1, 2, 5)]}
            bump = last["ffn"]["bump"]
            doc["epoch0"] = {"dev_loss": 0.7, "dev_acc": 0.5,
                             "ffn": {"bump": dict(bump, fraction=bump["fraction"] - shift)}}
            base.write_json(os.path.join(directory, "%s_seed%d.json" % (ffn, seed)), doc)
    if matched_shift is not None:
        sub = os.path.join(directory, "matched")
        os.makedirs(sub, exist_ok=True)
        for seed in SEEDS:
            doc = base.make_run("swiglu", seed)
            doc["config"]["swiglu_match_params"] = True
            doc["epochs"][-1]["train_loss"] = 0.40 + 0.01 * seed - matched_shift
            base.write_json(os.path.join(sub, "swiglu_seed%d.json" % seed), doc)


def verdicts(report_md):
    """{row number: verdict} from the claims table."""
    out = {}
    section = report_md.split("## The seed's claims, tested", 1)[-1].split("\n## ", 1)[0]
    for line in section.splitlines():
        m = re.match(r"\| (\w+) \|.*\| \*\*(supported|not supported|inconclusive)\*\* \|$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def report_of(python, report, runs, out):
    rc, stdout, stderr = base.run(python, report, [runs, "--out", out])
    base.check("%s: exit 0" % os.path.basename(runs), rc == 0, stderr)
    path = os.path.join(out, "report.md")
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


def test_scenarios(python, report, tmp):
    cases = [("win", dict(swiglu_shift=0.05, matched_shift=0.05), "supported"),
             ("tie", dict(swiglu_shift=0.0, matched_shift=0.0), "not supported"),
             ("reversal", dict(swiglu_shift=-0.05, matched_shift=-0.05), "not supported"),
             ("noise", dict(swiglu_shift=0.0, noise=0.05, matched_shift=None), "inconclusive")]
    for name, kwargs, want in cases:
        runs = os.path.join(tmp, name)
        synthetic_runs(runs, **kwargs)
        text = report_of(python, report, runs, os.path.join(tmp, name + "_out"))
        got = verdicts(text)
        headings = re.findall(r"^## (.+)$", text, flags=re.M)
        base.check("%s: the claims table comes first, the setup after it" % name,
                   headings[0] == "The seed's claims, tested" and "Runs and setup" in headings
                   and headings.index("Runs and setup") < headings.index("Summary"), str(headings))
        base.check("%s: accuracy (T1) is %s" % (name, want), got.get("T1") == want, str(got))
        if name != "noise":
            base.check("%s: weight noise (2) is %s" % (name, want), got.get("2") == want,
                       str(got))
            base.check("%s: bump shift (4) is %s" % (name, want), got.get("4") == want, str(got))
            base.check("%s: matched-params expressiveness (3) is %s" % (name, want),
                       got.get("3") == want, str(got))
            base.check("%s: the matched variant is its own row" % name,
                       "| **swiglu (matched params)** |" in text)
        else:
            base.check("noise: without a matched run claim 3 is inconclusive and says why",
                       got.get("3") == "inconclusive" and "not measured (no runs)" in text,
                       str(got))
        base.check("%s: every claim row has a verdict" % name,
                   set(got) >= {"1", "2", "3", "4", "T1", "T2", "T3", "T4", "T5"}, str(got))
        base.check("%s: the verdict rule is written under the table" % name,
                   "**Verdict rule.**" in text)


def test_units(report):
    sys.path.insert(0, os.path.dirname(os.path.abspath(report)))
    from report import claims as rc  # noqa: E402  (tools/report/)
    m, lo, hi, n = rc.mean_interval([1.0, 2.0, 3.0])
    half = 4.303 / 3 ** 0.5  # t(0.975, 2) * sd 1 / sqrt 3
    base.check("t-interval of 1, 2, 3", n == 3 and abs(m - 2) < 1e-12
               and abs(lo - (2 - half)) < 1e-9 and abs(hi - (2 + half)) < 1e-9, str((lo, hi)))
    base.check("one value has no interval", rc.mean_interval([1.0])[1:3] == (None, None))
    base.check("t quantile for large df near 1.96", abs(rc.t_quantile_95(200) - 1.9725) < 0.003)
    V = rc.verdict
    base.check("rule: all above 0", V([(0.1, 0.3), (0.01, 0.2)], 0.05) == rc.SUPPORTED)
    base.check("rule: one below 0", V([(0.1, 0.3), (-0.3, -0.1)], 0.05) == rc.NOT_SUPPORTED)
    base.check("rule: inside the margin", V([(-0.01, 0.02)], 0.05) == rc.NOT_SUPPORTED)
    base.check("rule: above 0 but inside the margin (real, too small to matter)",
               V([(0.001, 0.003)], 0.05) == rc.NOT_SUPPORTED)
    base.check("rule: above 0, reaching past the margin", V([(0.01, 0.08)], 0.05) == rc.SUPPORTED)
    base.check("rule: straddles 0 beyond the margin", V([(-0.2, 0.3)], 0.05) == rc.INCONCLUSIVE)
    base.check("rule: no interval", V([(None, None)], 0.05) == rc.INCONCLUSIVE)


def main():
    return base.run_suite("report_claims_", [lambda python, report, tmp: test_units(report),
                                             test_scenarios])


if __name__ == "__main__":
    sys.exit(main())
