#!/usr/bin/env python3
"""kernels/tools/attn_times.py GPU_BENCH LOG_DIR [--variants default,rows32,fusedbwd] — gpu-check.sh's
attn_times stage (the variants whose parity stage passed; the Nsight Compute logs stay in LOG_DIR).

GPU time of each attention kernel (forward, dK/dV, dQ, and the fused backward's finish) in one
training step, for the default kernels and each opt-in variant (LOCO_CUDA_ATTN_ROWS=32,
LOCO_CUDA_ATTN_BWD=fused, partials, wgmma or wgmma-sync, LOCO_CUDA_ATTN_FWD=wgmma), gpt2-124m and 1b, from Nsight Compute's gpu__time_duration — so one run
shows which variant is faster for which kernel, and the defaults can be chosen per kernel.
Prints ONE JSON line: {"tool": "attn-times", "ok", "runs": [{"config", "variant", "total_ms",
"parts": {forward, dkv, dq, backward, ...}, "kernels": [{name, count, ms}]}], "best": {config: {"forward",
"dkv", "dq": the fastest variant of each kernel and its ms, "backward": split or fusedbwd, "env": the
settings that select that combination, "default_ms", "best_ms"}}} — each kernel is its own launch,
so the best of each combine (`attn_times.py --env CONFIG` prints that combination's settings as
VAR=VALUE words from the JSON on stdin, for gpu-check's bench_*_best stages). A line like it is printed after each
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

VARIANTS = {"default": {}, "rows32": {"LOCO_CUDA_ATTN_ROWS": "32"}, "fusedbwd": {"LOCO_CUDA_ATTN_BWD": "fused"},
            "partials": {"LOCO_CUDA_ATTN_BWD": "partials"}, "wgmmabwd": {"LOCO_CUDA_ATTN_BWD": "wgmma"},
            "wgmmasync": {"LOCO_CUDA_ATTN_BWD": "wgmma-sync"}, "wgmmafwd": {"LOCO_CUDA_ATTN_FWD": "wgmma"},
            "wgmma2bwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2"}, "wgmma2fwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2"},
            "wgmmasyncfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma-sync"}, "tc2bwd": {"LOCO_CUDA_ATTN_BWD": "tc2"},
            "atomicbwd": {"LOCO_CUDA_ATTN_BWD": "atomic"}, "wgmma2swfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-sw"},
            "wgmma2swbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-sw"}, "wgmma2atomicbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-atomic"},
            "wgmma2k128fwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-k128"},
            "wgmma2atomicswbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-atomic-sw"},
            "wgmma2k128swfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-k128-sw"},
            "wgmma2aregfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-areg"},
            "wgmma2aregswfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-areg-sw"},
            "wgmma2aregbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-areg"},
            "wgmma2atomicaregbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-atomic-areg"},
            "wgmma2ppfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-pp"},
            "wgmma2ppswfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-pp-sw"},
            "wgmma2pparegswfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-pp-areg-sw"},
            "wgmma2wsfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-ws"},
            "wgmma2wsswfwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-ws-sw"},
            "wgmma2tmafwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-tma"},
            "wgmma2tmak128fwd": {"LOCO_CUDA_ATTN_FWD": "wgmma2-tma-k128"},
            "wgmma2mbbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-mb"},
            "wgmma2mbswbwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-mb-sw"},
            "wgmma2tmabwd": {"LOCO_CUDA_ATTN_BWD": "wgmma2-tma"}}
# a forward of its own, combinable with any backward (wgmmafwd: the forward on warpgroup MMA, wgmma2fwd
# the same with two warpgroups per block, wgmmasyncfwd with the softmax after the products; their
# backward is the default one; wgmma2swfwd: wgmma2fwd with its tiles in the 128-byte swizzle;
# wgmma2k128fwd: wgmma2fwd with 128-key tiles, wgmma2k128swfwd the same swizzled; wgmma2aregfwd:
# wgmma2fwd with Q held in registers, wgmma2aregswfwd the same swizzled; wgmma2ppfwd: wgmma2fwd with
# mbarrier stages and its warpgroups' products in turns, wgmma2ppswfwd the same swizzled,
# wgmma2pparegswfwd that with Q in registers; wgmma2wsfwd, wgmma2wsswfwd: wgmma2ppfwd, -sw with a
# producer warpgroup issuing every copy; wgmma2tmafwd: wgmma2wsswfwd with TMA copies, wgmma2tmak128fwd
# that on 128-key tiles)
FORWARD_ONLY_VARIANTS = ("wgmmafwd", "wgmma2fwd", "wgmmasyncfwd", "wgmma2swfwd", "wgmma2k128fwd", "wgmma2k128swfwd",
                         "wgmma2aregfwd", "wgmma2aregswfwd", "wgmma2ppfwd", "wgmma2ppswfwd", "wgmma2pparegswfwd",
                         "wgmma2wsfwd", "wgmma2wsswfwd", "wgmma2tmafwd", "wgmma2tmak128fwd")
# a whole backward of their own (dK/dV kernel + dQ finish or reduce; wgmma: both kernels on warpgroup
# MMA, wgmma2 with two warpgroups per block; tc2bwd: the mma.sync pair where the default is wgmma2,
# head_dim 128 on an H100/H200 since h200-7; atomicbwd: the fused backward with dQ by atomic adds;
# wgmma2swbwd: wgmma2bwd with its tiles in the 128-byte swizzle; wgmma2atomicbwd: one two-warpgroup
# wgmma kernel for dK, dV and dQ, dQ by atomic adds; wgmma2atomicswbwd the same swizzled at head_dim 128;
# wgmma2aregbwd: wgmma2bwd with the score products' A operands in registers at head_dim 64,
# wgmma2atomicaregbwd: wgmma2atomicbwd with K, V in registers at head_dim 64; wgmma2mbbwd: wgmma2bwd
# with its stages handed over by mbarriers, wgmma2mbswbwd the same swizzled, wgmma2tmabwd that with its
# tiles by TMA)
FUSED_VARIANTS = ("fusedbwd", "partials", "wgmmabwd", "wgmmasync", "wgmma2bwd", "wgmma2swbwd", "tc2bwd", "atomicbwd",
                  "wgmma2atomicbwd", "wgmma2atomicswbwd", "wgmma2aregbwd", "wgmma2atomicaregbwd", "wgmma2mbbwd", "wgmma2mbswbwd", "wgmma2tmabwd")
# every run times this engine's own kernels (attn2_*, attn3_*): where cuDNN's attention is the default
# (an H100/H200 with libcudnn.so.9, since h200-8) a direction a variant leaves unset would run cuDNN's
OWN = {"LOCO_CUDA_ATTN_FWD": "own", "LOCO_CUDA_ATTN_BWD": "own"}
RUN_TIMEOUT_S = 45
CONFIGS = ["gpt2-124m", "1b"]


# kernel name → part of the attention step (attn_bwd_pre: D = Σ dy·y, before either backward);
# "backward" is the sum of the backward kernels
PARTS = [("attn2_fwd_kernel", "forward"), ("attn3_fwd_kernel", "forward"), ("attn3_fwd_tma_kernel", "forward"),
         ("attn2_bwd_dkv_kernel", "dkv"), ("attn3_bwd_dkv_kernel", "dkv"), ("attn3_bwd_dkv_tma_kernel", "dkv"),
         ("attn2_bwd_dq_kernel", "dq"), ("attn3_bwd_dq_kernel", "dq"), ("attn3_bwd_dq_tma_kernel", "dq"),
         ("attn2_dq_finish_kernel", "dq_finish"), ("attn2_dq_reduce_kernel", "dq_finish"), ("attn_bwd_pre_kernel", "pre")]
BACKWARD_PARTS = ("dkv", "dq", "dq_finish")
# the kernels LOCO_CUDA_ATTN_ROWS can give 32 rows one by one (its comma list), by part
ROWS_PARTS = {"forward": "fwd", "dkv": "dkv", "dq": "dq"}
SPLIT_VARIANTS = ("default", "rows32")  # their forward, dK/dV and dQ kernels combine freely


def summarize(path):
    ks = per_kernel(path)
    parts = {}
    for k in ks:
        part = next((p for n, p in PARTS if n in k["name"]), "other")
        parts[part] = parts.get(part, 0.0) + k["ms"]
    if any(p in parts for p in BACKWARD_PARTS):
        parts["backward"] = sum(parts.get(p, 0.0) for p in BACKWARD_PARTS)
    return {"total_ms": sum(k["ms"] for k in ks), "parts": parts,
            "kernels": [{"name": k["name"], "count": k["count"], "ms": k["ms"]} for k in ks]}


def best(runs):
    """Per config: the fastest shape of each kernel (forward, dK/dV, dQ: 16 or 32 rows per warp), the
    fused backward where it beats the best split one, the environment that selects that combination,
    and its time (the kernels' times add: each is its own launch)."""
    out = {}
    inf = float("inf")
    for config in dict.fromkeys(r["config"] for r in runs if "parts" in r):
        rs = {r["variant"]: r for r in runs if r["config"] == config and "parts" in r}
        if "default" not in rs:
            continue
        dflt = rs["default"]["parts"]
        row = {"default_ms": rs["default"]["total_ms"]}
        for part in ROWS_PARTS:
            cands = SPLIT_VARIANTS + (FORWARD_ONLY_VARIANTS if part == "forward" else ())
            v = min((n for n in cands if n in rs), key=lambda n: rs[n]["parts"].get(part, inf))
            row[part] = {"variant": v, "ms": rs[v]["parts"].get(part), "default_ms": dflt.get(part)}
        split_ms = (row["dkv"]["ms"] or 0.0) + (row["dq"]["ms"] or 0.0)
        fv = min((n for n in FUSED_VARIANTS if n in rs), key=lambda n: rs[n]["parts"].get("backward", inf), default=None)
        fused_ms = rs[fv]["parts"].get("backward", inf) if fv else inf
        fused = fused_ms < split_ms
        row["backward"] = {"variant": fv if fused else "split", "ms": fused_ms if fused else split_ms,
                           "default_ms": dflt.get("backward")}
        wide = [ROWS_PARTS[p] for p in ROWS_PARTS if row[p]["variant"] == "rows32" and (p == "forward" or not fused)]
        env = {}
        if wide:
            env["LOCO_CUDA_ATTN_ROWS"] = "32" if len(wide) == len(ROWS_PARTS) else ",".join(wide)
        if row["forward"]["variant"] in FORWARD_ONLY_VARIANTS:
            env.update(VARIANTS[row["forward"]["variant"]])
        if fused:
            env.update(VARIANTS[fv])
        row["env"] = env
        row["best_ms"] = row["default_ms"] + sum(row[p]["ms"] - row[p]["default_ms"] for p in ("forward", "backward")
                                                 if row[p]["ms"] is not None and row[p]["default_ms"] is not None)
        out[config] = row
    return out


def main(argv):
    if argv and argv[0] == "--env":  # the best combination's settings of one config, from attn_times' JSON line
        row = json.loads(sys.stdin.read().strip().splitlines()[-1]).get("best", {}).get(argv[1], {})
        # (nothing where our default kernels are the best; else on our kernels, as the runs were timed)
        env = {**OWN, **row["env"]} if row.get("env") else {}
        print(" ".join(f"{k}={v}" for k, v in env.items()))
        return 0
    if argv and argv[0] == "--summarize":
        print(json.dumps({"tool": "attn-times", "ok": True, "runs": [dict(log=p, **summarize(p)) for p in argv[1:]]}))
        return 0
    bench, logdir = argv[0], argv[1]
    variants = argv[argv.index("--variants") + 1].split(",") if "--variants" in argv else list(VARIANTS)
    # --configs: some of CONFIGS, in their order (a second call with little time left: 1b alone)
    configs = [c for c in CONFIGS if c in argv[argv.index("--configs") + 1].split(",")] if "--configs" in argv else CONFIGS
    runs, ok = [], True
    for config in configs:
        for variant in variants:
            log = os.path.join(logdir, f"attn-times-{config}-{variant}.csv")
            cmd = ["ncu", "--clock-control", "none", "--profile-from-start", "off", "-k", "regex:attn", "--metrics",
                   "gpu__time_duration.sum", "--csv", "--log-file", log, bench, "--config", config, "--tokens", "16384",
                   "--steps", "1", "--warmup", "0"]  # matmul tuning in the first step does not touch attention
            try:
                r = subprocess.run(cmd, env={**os.environ, **OWN, **VARIANTS[variant]}, capture_output=True, text=True,
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
