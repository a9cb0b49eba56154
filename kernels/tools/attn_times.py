#!/usr/bin/env python3
"""kernels/tools/attn_times.py GPU_BENCH LOG_DIR [--variants default,rows32,fusedbwd] — gpu-check.sh's
attn_times stage (the variants whose parity stage passed; the Nsight Compute logs stay in LOG_DIR).

GPU time of each attention kernel (forward, dK/dV, dQ, and the fused backward's finish) in one
training step, for the default kernels and each opt-in variant (LOCO_CUDA_ATTN_ROWS=32,
LOCO_CUDA_ATTN_BWD=fused), gpt2-124m and 1b, from Nsight Compute's gpu__time_duration — so one run
shows which variant is faster for which kernel, and the defaults can be chosen per kernel.
Prints ONE JSON line: {"tool": "attn-times", "ok", "runs": [{"config", "variant", "total_ms",
"parts": {forward, backward, ...}, "kernels": [{name, count, ms}]}], "best": {config: {"forward",
"backward": the fastest variant of each and its ms, "default_ms", "best_ms"}}} — the forward and the
backward are separate launches, so the best of each combine. A line like it is printed after each
run, so a run cut off by the stage's time box still leaves what it measured; each profiled process
gets RUN_TIMEOUT_S.

  attn_times.py --summarize CSV...   the per-kernel sums of existing ncu CSV logs (no GPU)
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ncu_summary import per_kernel  # noqa: E402

VARIANTS = {"default": {}, "rows32": {"LOCO_CUDA_ATTN_ROWS": "32"}, "fusedbwd": {"LOCO_CUDA_ATTN_BWD": "fused"}}
FORWARD_VARIANTS = {"default", "rows32"}  # the fused backward runs the default forward
RUN_TIMEOUT_S = 45
CONFIGS = ["gpt2-124m", "1b"]


# kernel name → part of the attention step (attn_bwd_pre: D = Σ dy·y, before either backward)
PARTS = [("attn2_fwd_kernel", "forward"), ("attn2_bwd_dkv_kernel", "backward"), ("attn2_bwd_dq_kernel", "backward"),
         ("attn2_dq_finish_kernel", "backward"), ("attn_bwd_pre_kernel", "pre")]


def summarize(path):
    ks = per_kernel(path)
    parts = {}
    for k in ks:
        part = next((p for n, p in PARTS if n in k["name"]), "other")
        parts[part] = parts.get(part, 0.0) + k["ms"]
    return {"total_ms": sum(k["ms"] for k in ks), "parts": parts,
            "kernels": [{"name": k["name"], "count": k["count"], "ms": k["ms"]} for k in ks]}


def best(runs):
    """Per config: the fastest variant for the forward and for the backward, and what they save."""
    out = {}
    for config in dict.fromkeys(r["config"] for r in runs if "parts" in r):
        rs = {r["variant"]: r for r in runs if r["config"] == config and "parts" in r}
        if "default" not in rs:
            continue
        row = {"default_ms": rs["default"]["total_ms"]}
        for part in ("forward", "backward"):
            names = [n for n in rs if part != "forward" or n in FORWARD_VARIANTS]
            v = min(names, key=lambda name: rs[name]["parts"].get(part, float("inf")))
            row[part] = {"variant": v, "ms": rs[v]["parts"].get(part), "default_ms": rs["default"]["parts"].get(part)}
        row["best_ms"] = row["default_ms"] + sum(row[p]["ms"] - row[p]["default_ms"] for p in ("forward", "backward")
                                                 if row[p]["ms"] is not None and row[p]["default_ms"] is not None)
        out[config] = row
    return out


def main(argv):
    if argv and argv[0] == "--summarize":
        print(json.dumps({"tool": "attn-times", "ok": True, "runs": [dict(log=p, **summarize(p)) for p in argv[1:]]}))
        return 0
    bench, logdir = argv[0], argv[1]
    variants = argv[argv.index("--variants") + 1].split(",") if "--variants" in argv else list(VARIANTS)
    runs, ok = [], True
    for config in CONFIGS:
        for variant in variants:
            log = os.path.join(logdir, f"attn-times-{config}-{variant}.csv")
            cmd = ["ncu", "--clock-control", "none", "--profile-from-start", "off", "-k", "regex:attn", "--metrics",
                   "gpu__time_duration.sum", "--csv", "--log-file", log, bench, "--config", config, "--tokens", "16384",
                   "--steps", "1", "--warmup", "0"]  # matmul tuning in the first step does not touch attention
            try:
                r = subprocess.run(cmd, env=dict(os.environ, **VARIANTS[variant]), capture_output=True, text=True,
                                   timeout=RUN_TIMEOUT_S)
                err = None if r.returncode == 0 and os.path.exists(log) else (r.stderr or r.stdout)[-400:]
            except subprocess.TimeoutExpired:
                err = f"no result within {RUN_TIMEOUT_S} s"
            if err is not None:
                ok = False
                runs.append({"config": config, "variant": variant, "error": err})
            else:
                runs.append(dict(config=config, variant=variant, **summarize(log)))
            print(json.dumps({"tool": "attn-times", "ok": ok, "runs": runs, "best": best(runs)}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
