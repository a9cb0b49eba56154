#!/usr/bin/env python3
"""kernels/tools/tune_repeat.py GPU_BENCH WORK_DIR — gpu-check.sh's tune_repeat stage.

The matmul tuning cache (src/cuda/gemm_tune_cache.h) should make a second process repeat the first
one's steps bit for bit: two short gpu-bench runs share a fresh cache in WORK_DIR, the first tunes
and writes it, the second reads it. Prints one JSON line; "ok" when both runs report the same first
and last loss (printed with 17 digits) and the cache holds entries.
"""
import json
import os
import subprocess
import sys

bench, work = sys.argv[1], sys.argv[2]
cache = os.path.join(work, "tune-repeat.txt")
env = dict(os.environ, LOCO_CUDA_GEMM_TUNE_CACHE=cache)
runs = []
for _ in range(2):
    out = subprocess.run([bench, "--config", "gpt2-124m", "--tokens", "16384", "--steps", "2", "--warmup", "1"],
                         env=env, capture_output=True, text=True, check=True).stdout
    runs.append(json.loads(out.strip().splitlines()[-1]))
with open(cache) as f:
    entries = sum(1 for _ in f) - 1  # the header line
a, b = runs
same = a["loss_first"] == b["loss_first"] and a["loss_last"] == b["loss_last"]
print(json.dumps({"tool": "tune-repeat", "ok": same and entries > 0, "cache_entries": entries,
                  "loss_last": [a["loss_last"], b["loss_last"]], "tokens_per_s": [a["tokens_per_s"], b["tokens_per_s"]]}))
