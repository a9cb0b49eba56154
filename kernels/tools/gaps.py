#!/usr/bin/env python3
"""kernels/tools/gaps.py TRACE.csv — gpu-check.sh's timeline stage: how much of a profiled stretch
the GPU sat idle between its activities.

TRACE.csv is `nsys stats --report cuda_gpu_trace --format csv` of one captured step (gpu-bench
--trace-timed: its last timed step, between cudaProfilerStart and cudaProfilerStop; with
--cuda-graph-trace=node a graph's kernels are rows of their own): one row per kernel,
copy or memset with its start and duration in ns. Lines before the header (nsys prints its progress
there) are skipped; the columns are found by name ("Start", "Duration", "Name", with or without
" (ns)").

Prints ONE JSON line: {"tool": "gaps", "ok", "activities", "kernels", "span_ms" (first start to last
end), "busy_ms" (the union of the activities' intervals), "gaps_ms" (span − busy), "gap_per_boundary_us",
"kernel_sum_ms", "largest": the five longest gaps with the activities on either side, "by_kind": per
kind of activity (kind_of: matmul, attention, norm, rope, swiglu, crossentropy, optimizer, embed,
copy, other) its count, its activities' summed time and the idle time just before them, in ms — where
the step's time goes, and which launches the gaps sit in front of}.
"""
import csv
import json
import sys


def read_rows(path):
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines) if "Start" in l and "Duration" in l and "Name" in l), None)
    if start is None:
        raise ValueError(f"{path}: no header with Start, Duration and Name")
    reader = csv.reader(lines[start:])
    header = next(reader)

    def col(prefix):
        for i, h in enumerate(header):
            if h.strip().startswith(prefix):
                return i
        raise ValueError(f"{path}: no {prefix} column in {header}")

    s, d, n = col("Start"), col("Duration"), col("Name")
    rows = []
    for r in reader:
        if len(r) <= max(s, d, n) or not r[s].strip():
            continue
        try:
            rows.append((float(r[s]), float(r[d]), r[n]))
        except ValueError:
            continue  # a footer or a blank field
    return rows


# kinds by name: the first match wins (cuBLASLt's kernels are nvjet_* or *gemm*, its split-K reduce
# splitKreduce; cuDNN's attention kernels name sdpa, fmha or flash; ours attn*)
KINDS = (("copy", ("[CUDA ",)), ("matmul", ("nvjet", "gemm", "cutlass", "splitKreduce", "cublas")),
         ("attention", ("sdpa", "fmha", "flash", "attn", "cudnn")), ("norm", ("rmsnorm",)), ("rope", ("rope",)),
         ("swiglu", ("swiglu",)), ("crossentropy", ("crossentropy",)), ("optimizer", ("adamw", "sum_squares")),
         ("embed", ("embed",)))


def kind_of(name):
    for kind, keys in KINDS:
        if any(k in name for k in keys):
            return kind
    return "other"


def by_kind(rows, gap_list):
    """{kind: {"count", "ms", "gap_before_ms"}}: each gap of gap_list ((ns, before, after), gaps())
    counts for the kind of the activity after it."""
    out = {}
    for _, dur, name in rows:
        k = out.setdefault(kind_of(name), {"count": 0, "ms": 0.0, "gap_before_ms": 0.0})
        k["count"] += 1
        k["ms"] += dur / 1e6
    for g, _, after in gap_list:
        out[kind_of(after)]["gap_before_ms"] += g / 1e6
    return out


def gaps(rows):
    rows = sorted(rows)
    busy = 0.0
    gap_list = []  # (ns, before, after)
    cur_s, cur_e, cur_name = None, None, None
    for start, dur, name in rows:
        end = start + dur
        if cur_e is None:
            cur_s, cur_e, cur_name = start, end, name
        elif start > cur_e:
            busy += cur_e - cur_s
            gap_list.append((start - cur_e, cur_name, name))
            cur_s, cur_e, cur_name = start, end, name
        elif end > cur_e:
            cur_e, cur_name = end, name
    if cur_e is not None:
        busy += cur_e - cur_s
    span = (max(s + d for s, d, _ in rows) - rows[0][0]) if rows else 0.0
    kernels = [r for r in rows if kind_of(r[2]) != "copy"]  # copies and memsets: "[CUDA memcpy …]"
    gap_list.sort(key=lambda g: -g[0])
    return {
        "tool": "gaps",
        "ok": bool(rows),
        "activities": len(rows),
        "kernels": len(kernels),
        "span_ms": span / 1e6,
        "busy_ms": busy / 1e6,
        "gaps_ms": (span - busy) / 1e6,
        "gap_per_boundary_us": (span - busy) / 1e3 / max(len(rows) - 1, 1),
        "kernel_sum_ms": sum(d for _, d, _ in kernels) / 1e6,
        "largest": [{"us": g / 1e3, "after": a[:120], "before": b[:120]} for g, a, b in gap_list[:5]],
        "by_kind": by_kind(rows, gap_list),
    }


def main(argv):
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = gaps(read_rows(argv[0]))
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
