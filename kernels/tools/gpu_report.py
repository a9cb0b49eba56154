#!/usr/bin/env python3
"""kernels/tools/gpu_report.py SUMMARY.json [SUMMARY2.json ...] — the tables docs/benchmarks.md records
after a GPU run, from gpu-check.sh's summaries (the JSON it prints and writes as $OUT/gpu-check.json;
several when one run took several calls, e.g. the second call with GPU_CHECK_ONLY). Markdown on stdout:

- tokens/s per engine setting and config, with step time, MFU and the ratio to PyTorch's
  torch.compile measured in the same call (the summary's own; where it has none, the first summary's
  that has it, marked "(torch.compile of summary N)");
- each attention part per step (ms, Nsight Compute's kernel times summed per part: attn_times) per
  variant and config, with the change against that summary's default run;
- wgmma_rate's TFLOP/s per mode, layout and warpgroups per SM;
- the comparisons that must hold (same gpu-parity numbers, the probe's layout checks), any stage
  that failed, and the cuDNN attention's plan lines (its engine, or why it had none);
- the decision rules docs/benchmarks.md wrote down before the run ("How the numbers decide"),
  applied to every attention variant attn_times timed: parity passed, its part of the step faster
  than the same summary's default run, and its whole-step bench more than 1 % faster than the
  default bench (of the same summary where it has one); atomic-dQ backwards are flagged, since
  their dQ's last bits change from run to run (and so are cuDNN's backward ones). Variants attn_times does not time
  (PROFILED_VARIANTS: the cross-entropy's, cuDNN's attention, CUDA graphs, the head's chunk, the
  launch counts) the same way, their part's time from their gpu-bench run and the same summary's
  default bench (a category of the step profile, the attention forward timed alone, or the whole
  step), or that of the variant BASELINES names (allpdl: allopt's);
- the issue's goal of at least 50 % MFU on gpt2-124m: per summary, the settings whose bench reached
  it (default or not: the rules decide which may count).

Numbers are copied, never computed anew except the ratios; a value a summary lacks prints as "—".
"""
import json
import sys


def load(path):
    with open(path) as f:  # (gpu-check.sh's stdout is its summary alone, as is gpu-check.json)
        return json.load(f)


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def speed_table(summaries):
    out = []
    first = {}  # config -> (summary number, torch.compile tokens/s): for a summary without its own
    for i, s in enumerate(summaries, 1):
        for cfg, row in s.get("comparison", {}).items():
            if isinstance(row, dict) and row.get("torch_compile_tokens_per_s") and cfg not in first:
                first[cfg] = (i, row["torch_compile_tokens_per_s"])
    out.append("| summary | config | setting | tokens/s | step ms | MFU | / torch.compile |")
    out.append("|---|---|---|---|---|---|---|")
    for i, s in enumerate(summaries, 1):
        for cfg in ("gpt2-124m", "1b"):
            row = s.get("comparison", {}).get(cfg)
            if not isinstance(row, dict):
                continue
            names = [k[len("engine_"):-len("_tokens_per_s")] for k in row if k.startswith("engine_") and k.endswith("_tokens_per_s")]
            base, note = row.get("torch_compile_tokens_per_s"), ""
            if not base and cfg in first:
                base, note = first[cfg][1], f" (torch.compile of summary {first[cfg][0]})"
            for name in names:
                tps = row.get(f"engine_{name}_tokens_per_s")
                if tps is None:
                    continue
                mfu = row.get(f"engine_{name}_mfu")
                ratio = tps / base if base else None
                out.append(f"| {i} | {cfg} | {name} | {tps / 1e3:.1f}k | {fmt(row.get(f'engine_{name}_step_ms'), '.2f')} | "
                           f"{fmt(None if mfu is None else 100 * mfu, '.1f')} % | {fmt(ratio, '.3f')}{note if ratio else ''} |")
            if row.get("torch_compile_tokens_per_s"):
                out.append(f"| {i} | {cfg} | PyTorch torch.compile | {row['torch_compile_tokens_per_s'] / 1e3:.1f}k | | | 1.000 |")
    return out


PARTS = ("forward", "dkv", "dq", "dq_finish", "pre", "backward")


def attention_table(summaries):
    out = ["| summary | config | variant | " + " | ".join(PARTS) + " | total | total − default |",
           "|---|---|---|" + "---|" * (len(PARTS) + 2)]
    for i, s in enumerate(summaries, 1):
        runs = (s.get("stages", {}).get("attn_times", {}).get("result") or {}).get("runs", [])
        default = {r["config"]: r.get("total_ms") for r in runs if r.get("variant") == "default"}
        for r in runs:
            if "parts" not in r:
                out.append(f"| {i} | {r.get('config')} | {r.get('variant')} | " + " | ".join("—" for _ in PARTS) +
                           f" | — | {r.get('error', 'no result')} |")
                continue
            d = default.get(r["config"])
            delta = None if d is None or r.get("total_ms") is None else r["total_ms"] - d
            out.append(f"| {i} | {r['config']} | {r['variant']} | " +
                       " | ".join(fmt(r["parts"].get(p), ".2f") for p in PARTS) +
                       f" | {fmt(r.get('total_ms'), '.2f')} | {fmt(delta, '+.2f')} |")
    return out


def rate_table(summaries):
    out = ["| summary | mode | layout | warpgroups per SM | TFLOP/s |", "|---|---|---|---|---|"]
    for i, s in enumerate(summaries, 1):
        for row in (s.get("stages", {}).get("wgmma_rate", {}).get("result") or {}).get("rows", []):
            out.append(f"| {i} | {row.get('mode')} | {row.get('layout')} | {row.get('wg_per_sm')} | {fmt(row.get('tflops'), '.1f')} |")
    return out


def checks(summaries):
    out = []
    for i, s in enumerate(summaries, 1):
        cmp = s.get("comparison", {})
        for key, val in cmp.items():
            # (a check whose stages did not run in this call has only nulls: left out)
            if isinstance(val, bool) or (isinstance(val, dict) and all(isinstance(v, (bool, type(None))) for v in val.values())
                                         and any(v is not None for v in val.values())):
                out.append(f"- summary {i}, `{key}`: {json.dumps(val)}")
        failed = [n for n, st in s.get("stages", {}).items() if isinstance(st, dict) and st.get("rc") not in (None, 0)]
        if failed:
            out.append(f"- summary {i}, stages that failed or timed out: {', '.join(failed)}")
        if s.get("optional_failed"):
            out.append(f"- summary {i}, optional stages that failed: {', '.join(s['optional_failed'])}")
        # what the cuDNN attention chose (or why it could not run), each line once, with its first stage
        seen = set()
        for n, st in s.get("stages", {}).items():
            for line in (st.get("cudnn") or []) if isinstance(st, dict) else []:
                if line not in seen:
                    seen.add(line)
                    out.append(f"- summary {i}, `{n}`: {line[:700]}")
        # the step's timeline (gaps.py): the GPU's idle time between its activities, launched one by
        # one and as CUDA graphs
        for stage in ("timeline", "timeline_graph"):
            tl = (s.get("stages", {}).get(stage) or {}).get("result") or {}
            if tl.get("tool") == "gaps":
                out.append(f"- summary {i}, `{stage}`: {tl['gaps_ms']:.3f} ms of {tl['span_ms']:.3f} between activities "
                           f"({tl['gap_per_boundary_us']:.2f} µs per boundary, {tl['activities']} activities, "
                           f"kernels {tl['kernel_sum_ms']:.3f} ms); longest: "
                           + ", ".join(f"{g['us']:.1f} µs before {g['before'][:60]}" for g in tl.get("largest", [])[:3]))
                kinds = sorted((tl.get("by_kind") or {}).items(), key=lambda kv: -kv[1]["ms"])
                if kinds:
                    out.append(f"- summary {i}, `{stage}` by kind (count, ms, idle ms before): "
                               + ", ".join(f"{k} {v['count']} {v['ms']:.3f} {v['gap_before_ms']:.3f}" for k, v in kinds))
        # CUDA graphs: the same bits as launched one by one, and what the benches captured
        gr = s.get("comparison", {}).get("graphs")
        if isinstance(gr, dict) and any(v is not None for v in gr.values()):
            out.append(f"- summary {i}, `graphs`: {json.dumps(gr)}")
        out.append(f"- summary {i}: ok {json.dumps(s.get('ok'))}, device {s.get('device_name', '—')}")
    return out


BENCH = {"gpt2-124m": "bench_124m", "1b": "bench_1b"}  # (head_dim 64 and 128)
NOISE = 0.01  # two benches of one setting differed by 1 % in h200-7


def part_of(variant):
    """The part of the step a variant changes: the forward, the backward, or (None) the whole."""
    if "fwd" in variant:
        return "forward"
    if "bwd" in variant or variant in ("wgmmasync", "fusedbwd", "partials"):
        return "backward"
    return None


def stage_tps(s, name):
    st = s.get("stages", {}).get(name) or {}
    return (st.get("result") or {}).get("tokens_per_s") if st.get("rc") == 0 else None


# variants that attn_times does not time (their kernels are not ours, or not attention), judged by a
# part time of their gpu-bench run against the default bench's: a category of its step profile
# (profile_ms), or the attention forward it times alone (attention_fwd_ms_per_step)
# cuDNN's backward graph (the frontend's default; the cudnn variant, LOCO_CUDA_ATTN_BWD=cudnn) adds dQ
# atomically; its deterministic graph (the default on an H100/H200 since h200-8) does not. own: this
# engine's own attention kernels; cudnntorch: the default's settings from PyTorch's own cuDNN library.
# Judged by the whole step's time: graph (the step as CUDA graphs, LOCO_CUDA_GRAPH=1), graphhead16k
# (and the head in one chunk), graphhead16kexp2 (and LOCO_CUDA_CE=exp2), allopt (and normdybf16's and
# tune32's settings too), adamwgrouped (AdamW in a launch per group of tensors, the default before
# 2026-11-28), normdybf16 (each norm's incoming gradient in bf16: its matmul's and its norm's time),
# tune32 (32 timed matmul candidates per shape instead of 8: every matmul). By the head's matmuls:
# head4k, head16k (the head in 4096-row chunks and in one, LOCO_CUDA_HEAD_ROWS). By the norms' time:
# normdgeach (a norm-scale gradient reduce per RMSNorm backward, the default before 2026-11-28). By the
# cross-entropy's: ceexp2 (the cross-entropy in base 2, LOCO_CUDA_CE=exp2). By the whole step too: pdl
# (the element-wise kernels as programmatic dependent launches, LOCO_CUDA_PDL=1), and allpdl (allopt's
# settings and pdl's), which is judged against allopt's bench of the same summary (BASELINES), not the
# default's: what PDL adds to the rest.
NONDETERMINISTIC = ("cudnn",)
PROFILED_VARIANTS = {"cecp": "crossentropy", "own": "attention", "cudnn": "attention_bwd", "cudnntorch": "attention",
                     "graph": "step", "head4k": "head_matmul", "head16k": "head_matmul",
                     "graphhead16k": "step", "graphhead16kexp2": "step", "allopt": "step",
                     "adamwgrouped": "step", "normdybf16": "step", "tune32": "step", "normdgeach": "norm", "ceexp2": "crossentropy",
                     "pdl": "step", "allpdl": "step"}
BASELINES = {"allpdl": "allopt"}


def part_ms(result, part):
    if part == "step":
        return result.get("step_ms")
    if part in ("attention_fwd", "attention_bwd"):
        return result.get(part + "_ms_per_step")
    if part == "attention":
        f, b = result.get("attention_fwd_ms_per_step"), result.get("attention_bwd_ms_per_step")
        return None if f is None or b is None else f + b
    return (result.get("profile_ms") or {}).get(part)


def stage_result(s, name):
    st = s.get("stages", {}).get(name) or {}
    return (st.get("result") or {}) if st.get("rc") == 0 else {}


def verdict_row(i, s, cfg, v, part, ms, dms, tps, base, note, env=None):
    pst = s.get("stages", {}).get("parity_" + v)
    parity = "not run" if not isinstance(pst, dict) or "rc" not in pst else "passed" if pst["rc"] == 0 else "failed"
    ratio = tps / base if tps is not None and base else None
    why = []
    if v != "best":
        if parity != "passed":
            why.append(f"parity {parity}")
        if ms is None or dms is None:
            why.append("no part time")
        elif ms >= dms:
            why.append(f"{part or 'attention'} {ms - dms:+.2f} ms")
    if ratio is None:
        why.append("no bench")
    elif ratio <= 1 + NOISE:
        why.append(f"bench {100 * (ratio - 1):+.1f} %, within the 1 % noise" if ratio > 1 else f"bench {100 * (ratio - 1):+.1f} %")
    if why:
        verdict = "keep the default: " + "; ".join(why)
    elif "atomic" in v or "atomic" in str(env) or v in NONDETERMINISTIC or "LOCO_CUDA_ATTN_BWD=cudnn" in str(env).split():
        verdict = "adopt only if no deterministic setting comes within 1 % (dQ's last bits vary run to run)"
    else:
        verdict = "adopt" + (f" ({env})" if v == "best" and env else "")
    return (f"| {i} | {cfg} | {v} | {parity} | {part or 'total'} | {fmt(ms, '.2f')} | {fmt(dms, '.2f')} | "
            f"{fmt(ratio, '.3f')}{note} | {verdict} |")


def decisions(summaries):
    out = ["| summary | config | variant | parity | part | ms | default ms | bench / default | verdict |",
           "|---|---|---|---|---|---|---|---|---|"]
    for i, s in enumerate(summaries, 1):
        runs = (s.get("stages", {}).get("attn_times", {}).get("result") or {}).get("runs", [])
        for cfg, bench in BENCH.items():
            default = next((r for r in runs if r.get("config") == cfg and r.get("variant") == "default" and "parts" in r), None)
            # the default bench of this summary, else of the first that has one (marked: another call)
            base, note = stage_tps(s, bench), ""
            if base is None:
                base = next((t for t in (stage_tps(o, bench) for o in summaries) if t is not None), None)
                note = " (default from another summary)" if base is not None else ""
            rows = [r for r in runs if r.get("config") == cfg and r.get("variant") != "default"]
            best = stage_tps(s, bench + "_best")
            if best is not None:
                rows.append({"config": cfg, "variant": "best", "env": (s.get("comparison", {}).get(cfg) or {}).get("engine_attn_best_env")})
            for r in rows:
                v = r["variant"]
                part = part_of(v)
                ms = dms = None
                if v != "best" and "parts" in r and default is not None:
                    ms = r["parts"].get(part) if part else r.get("total_ms")
                    dms = default["parts"].get(part) if part else default.get("total_ms")
                tps = best if v == "best" else stage_tps(s, f"{bench}_{v}")
                out.append(verdict_row(i, s, cfg, v, part, ms, dms, tps, base, note, r.get("env")))
            # the profiled variants this summary ran (its parity stage or its bench), against this
            # summary's default bench only: their part times are from the same kind of run
            for v, part in PROFILED_VARIANTS.items():
                if ("parity_" + v) not in s.get("stages", {}) and f"{bench}_{v}" not in s.get("stages", {}):
                    continue
                than = BASELINES.get(v)
                mine, dflt = stage_result(s, f"{bench}_{v}"), stage_result(s, f"{bench}_{than}" if than else bench)
                ms, dms = part_ms(mine, part), part_ms(dflt, part)
                out.append(verdict_row(i, s, cfg, v, part, ms, dms, mine.get("tokens_per_s"), dflt.get("tokens_per_s"),
                                       f" (against {than})" if than else ""))
    return out


GOAL_MFU = 0.50  # the issue's "at least 50 % MFU on gpt2-124m"


def mfu_goal(summaries):
    out = []
    for i, s in enumerate(summaries, 1):
        row = s.get("comparison", {}).get("gpt2-124m")
        if not isinstance(row, dict):
            continue
        got = {k[len("engine_"):-len("_mfu")]: v for k, v in row.items()
               if k.startswith("engine_") and k.endswith("_mfu") and isinstance(v, (int, float))}
        if not got:
            continue
        best = max(got, key=got.get)
        reached = sorted((n for n, v in got.items() if v >= GOAL_MFU), key=lambda n: -got[n])
        d = got.get("default")
        out.append(f"- summary {i}: default {fmt(None if d is None else 100 * d, '.1f')} %, best "
                   f"{best} {100 * got[best]:.1f} %; at least {100 * GOAL_MFU:.0f} %: "
                   + (", ".join(f"{n} ({100 * got[n]:.1f} %)" for n in reached) if reached else "none"))
    return out or ["- no gpt2-124m bench"]


def main(argv):
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    summaries = [load(p) for p in argv]
    sections = [("Speed (gpu-bench, 16,384 tokens per step)", speed_table(summaries)),
                ("Attention per step (ms; attn_times)", attention_table(summaries)),
                ("wgmma alone (wgmma_rate)", rate_table(summaries)),
                ("Checks", checks(summaries)),
                ("The 50 % MFU goal (gpt2-124m)", mfu_goal(summaries)),
                ("Decisions (the rules written before the run; gpt2-124m is head_dim 64, 1b 128)", decisions(summaries))]
    for title, lines in sections:
        print(f"### {title}\n")
        print("\n".join(lines))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
