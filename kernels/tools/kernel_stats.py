#!/usr/bin/env python3
"""kernels/tools/kernel_stats.py KERNELS_DIR FILE.cu [NAME_FILTER] [--summary] — per-kernel registers, spills
and machine-code size of one CUDA source, without a GPU or a disassembler.

Compiles FILE.cu (relative to KERNELS_DIR, e.g. src/cuda/attention_tc2.cu) for sm_90a twice with
the CUDA build's flags: with `-Xptxas -v` for registers and spill bytes, and to a cubin whose
per-kernel `.text.<kernel>` section size / 16 bytes (one sm_90 instruction) gives the instruction
count. Prints one JSON line per kernel whose mangled name contains NAME_FILTER (with --summary one
JSON object instead: {"tool", "kernels": [...], "spilling": [names]}, gpu-check.sh's attn_regs
stage). Used for the attention numbers in docs/benchmarks.md, on this tree and on `git archive` of
an earlier one.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

args = [a for a in sys.argv[1:] if a != "--summary"]
summary = "--summary" in sys.argv
kdir, src = args[0], args[1]
name_filter = args[2] if len(args) > 2 else ""
flags = ["nvcc", "-O3", "-std=c++17", "-gencode=arch=compute_90a,code=sm_90a", "-Isrc"]
with tempfile.TemporaryDirectory() as tmp:
    cubin = os.path.join(tmp, "k.cubin")
    info = subprocess.run(flags + ["-Xptxas", "-v", "-cubin", src, "-o", cubin], cwd=kdir,
                          capture_output=True, text=True, check=True).stderr
    sections = subprocess.run(["readelf", "-SW", cubin], capture_output=True, text=True, check=True).stdout
size = {m.group(1): int(m.group(2), 16) for m in re.finditer(r"\]\s+\.text\.(\S+)\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)", sections)}
cur, stats = None, {}
for line in info.splitlines():
    m = re.search(r"Compiling entry function '(\S+)'", line)
    if m:
        cur = m.group(1)
        stats[cur] = {}
        continue
    m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads", line)
    if m and cur:
        stats[cur]["spill_store_bytes"], stats[cur]["spill_load_bytes"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"Used (\d+) registers", line)
    if m and cur:
        stats[cur]["registers"] = int(m.group(1))
rows = [{"kernel": name, **stats[name], "instructions": size.get(name, 0) // 16} for name in sorted(stats) if name_filter in name]
if summary:
    print(json.dumps({"tool": "kernel-stats", "source": src, "kernels": rows,
                      "spilling": [r["kernel"] for r in rows if r.get("spill_store_bytes") or r.get("spill_load_bytes")]}))
else:
    for r in rows:
        print(json.dumps(r))
