#!/usr/bin/env python3
"""kernels/tools/kernel_stats.py KERNELS_DIR FILE.cu [NAME_FILTER] — per-kernel registers, spills
and machine-code size of one CUDA source, without a GPU or a disassembler.

Compiles FILE.cu (relative to KERNELS_DIR, e.g. src/cuda/attention_tc2.cu) for sm_90a twice with
the CUDA build's flags: with `-Xptxas -v` for registers and spill bytes, and to a cubin whose
per-kernel `.text.<kernel>` section size / 16 bytes (one sm_90 instruction) gives the instruction
count. Prints one JSON line per kernel whose mangled name contains NAME_FILTER. Used for the
attention numbers in docs/benchmarks.md, on this tree and on `git archive` of an earlier one.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

kdir, src = sys.argv[1], sys.argv[2]
name_filter = sys.argv[3] if len(sys.argv) > 3 else ""
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
for name in sorted(stats):
    if name_filter in name:
        print(json.dumps({"kernel": name, **stats[name], "instructions": size.get(name, 0) // 16}))
