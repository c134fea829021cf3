"""McNemar's exact test between every pair of variants on paired predictions (the dev set's or
an evaluation file's), with Holm's correction across the pairs, and its tables for report.md."""

from .formatting import DASH, fmt_p, md_table
from .stats import discordant, holm, mcnemar_exact


def paired_tests(by_variant, predictions):
    """{"final": pairs, "best": pairs} for every pair of variants (in the order of by_variant).
    predictions(run, which) gives (labels, predicted) at the run's final or best-dev epoch, or
    None when not recorded. A pair is tested per seed both variants ran with predictions on the
    same labels (the others are listed in "skipped") and pooled over those seeds; Holm's
    correction runs over the pooled p-values of all pairs, separately for final and best."""
    variants = list(by_variant)
    results = {}
    for which in ("final", "best"):
        pairs = []
        for i in range(len(variants)):
            for j in range(i + 1, len(variants)):
                a, b_ = variants[i], variants[j]
                ra = {r.seed: r for r in by_variant[a]}
                rb = {r.seed: r for r in by_variant[b_]}
                per_seed, bsum, csum, nsum, skipped = [], 0, 0, 0, []
                for seed in sorted(set(ra) & set(rb)):
                    pa, pb = predictions(ra[seed], which), predictions(rb[seed], which)
                    if pa is None or pb is None or pa[0] != pb[0]:
                        skipped.append(seed)
                        continue
                    bb, cc, n = discordant(pa[0], pa[1], pb[1])
                    acc_a = sum(1 for y, p in zip(*pa) if y == p) / n
                    acc_b = sum(1 for y, p in zip(*pb) if y == p) / n
                    per_seed.append((seed, n, acc_a, acc_b, bb, cc, mcnemar_exact(bb, cc)))
                    bsum, csum, nsum = bsum + bb, csum + cc, nsum + n
                pooled_p = mcnemar_exact(bsum, csum) if per_seed else None
                pairs.append({"a": a, "b": b_, "per_seed": per_seed, "b_sum": bsum, "c_sum": csum,
                              "n": nsum, "p": pooled_p, "skipped": skipped})
        adjusted = holm([p["p"] for p in pairs])
        for p, adj in zip(pairs, adjusted):
            p["holm"] = adj
        results[which] = pairs
    return results


def verdict(p, alpha):
    if p["holm"] is None:
        return DASH
    if p["holm"] < alpha:
        better = p["a"] if p["b_sum"] > p["c_sum"] else p["b"]
        return "significant: %s better" % better
    return "not significant"


def paired_tables(results, alpha, examples, labels_name, best_text):
    """The lines of the per-seed + pooled table (final epoch), the pooled best-epoch table (when
    any pair has predictions there; introduced by best_text) and the notes on skipped seeds.
    examples: the column header for the example count ("dev examples"); labels_name: whose
    labels in the skip note ("dev")."""
    header = ["A vs B", "seed", examples, "acc A (%)", "acc B (%)", "b (A✓ B✗)",
              "c (A✗ B✓)", "p (exact)", "Holm p", "verdict"]
    lines = []
    rows = []
    notes = []
    for p in results["final"]:
        label = "%s vs %s" % (p["a"], p["b"])
        for seed, n, acc_a, acc_b, bb, cc, pv in p["per_seed"]:
            rows.append([label, str(seed), str(n), "%.2f" % (100 * acc_a), "%.2f" % (100 * acc_b),
                         str(bb), str(cc), fmt_p(pv), "", ""])
        if p["per_seed"]:
            rows.append(["**%s**" % label, "**pooled**", str(p["n"]), "", "", "**%d**" % p["b_sum"],
                         "**%d**" % p["c_sum"], "**%s**" % fmt_p(p["p"]), "**%s**" % fmt_p(p["holm"]),
                         "**%s**" % verdict(p, alpha)])
        else:
            rows.append([label, DASH, "0", "", "", "", "", DASH, DASH, "no common seed with "
                         "predictions"])
        if p["skipped"]:
            notes.append("%s: seed(s) %s skipped (predictions missing or on different %s labels)"
                         % (label, ", ".join(str(s) for s in p["skipped"]), labels_name))
    lines.append(md_table(header, rows, ["l", "r", "r", "r", "r", "r", "r", "r", "r", "l"]))
    lines.append("")
    rows = []
    for p in results["best"]:
        if p["per_seed"]:
            rows.append(["%s vs %s" % (p["a"], p["b"]), str(len(p["per_seed"])), str(p["n"]),
                         str(p["b_sum"]), str(p["c_sum"]), fmt_p(p["p"]), fmt_p(p["holm"]),
                         verdict(p, alpha)])
    if rows:
        lines += [best_text, "",
                  md_table(["A vs B", "seeds", examples, "b (A✓ B✗)", "c (A✗ B✓)",
                            "p (exact)", "Holm p", "verdict"], rows,
                           ["l", "r", "r", "r", "r", "r", "r", "l"]), ""]
    for n in notes:
        lines.append("- " + n)
    if notes:
        lines.append("")
    return lines
