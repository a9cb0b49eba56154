#!/usr/bin/env python3
"""Sums an `ncu --csv --metrics gpu__time_duration.sum` log per kernel (name + grid + block), largest
first, and prints ONE JSON object: {"tool": "ncu-summary", "total_ms", "kernels": [{name, grid, block,
count, ms, share}]}. Used by kernels/gpu-check.sh's optional `kernels` stage (one profiled step).

`ncu_summary.py LOG --launches FIRST-LAST` prints the launches with those IDs (ncu's "ID" column: the
order of the step) one by one instead: {"tool": "ncu-launches", "launches": [{id, name, grid, us}]},
to read one layer's kernels in the order the engine issues them."""
import csv, json, sys

UNIT = {"nsecond": 1e-6, "ns": 1e-6, "usecond": 1e-3, "us": 1e-3, "msecond": 1.0, "ms": 1.0, "second": 1e3, "s": 1e3}

def launches(path):
    """[(row, ms)] per launch, in the log's order: its CSV row and its time."""
    with open(path, newline="") as f:
        lines = [l for l in f if l.startswith('"')]
    return [(r, float(str(r.get("Metric Value", "0")).replace(",", "") or 0) * UNIT.get(r.get("Metric Unit", "ns"), 1e-6))
            for r in csv.DictReader(lines) if r.get("Metric Name") == "gpu__time_duration.sum"]

def per_kernel(path):
    """[{name, grid, block, count, ms}] per kernel (name + grid + block), largest total time first."""
    agg = {}
    for r, v in launches(path):
        key = (r.get("Kernel Name", "?")[:160], r.get("Grid Size", ""), r.get("Block Size", ""))
        c, t = agg.get(key, (0, 0.0))
        agg[key] = (c + 1, t + v)
    return [{"name": k[0], "grid": k[1], "block": k[2], "count": c, "ms": t}
            for k, (c, t) in sorted(agg.items(), key=lambda kv: -kv[1][1])]

def main(path, top=60):
    ks = per_kernel(path)
    total = sum(k["ms"] for k in ks)
    out = {"tool": "ncu-summary", "launches": sum(k["count"] for k in ks), "total_ms": total,
           "kernels": [dict(k, share=k["ms"] / total if total else 0) for k in ks[:top]]}
    print(json.dumps(out))

def main_launches(path, first, last):
    out = [{"id": int(r["ID"]), "name": r.get("Kernel Name", "?")[:100], "grid": r.get("Grid Size", ""), "us": round(1e3 * ms, 3)}
           for r, ms in launches(path) if first <= int(r.get("ID", -1)) <= last]
    print(json.dumps({"tool": "ncu-launches", "launches": out}))

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[2] == "--launches":
        a, _, b = sys.argv[3].partition("-")
        main_launches(sys.argv[1], int(a), int(b or a))
    else:
        main(sys.argv[1])
