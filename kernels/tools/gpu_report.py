#!/usr/bin/env python3
"""kernels/tools/gpu_report.py SUMMARY.json [SUMMARY2.json ...] — the tables docs/benchmarks.md records
after a GPU run, from gpu-check.sh's summaries (the JSON it prints and writes as $OUT/gpu-check.json;
several when one run took several calls, e.g. the second call with GPU_CHECK_ONLY). Markdown on stdout:

- tokens/s per engine setting and config, with step time, MFU and the ratio to PyTorch's
  torch.compile measured in the same run (the first summary that has it);
- each attention part per step (ms, Nsight Compute's kernel times summed per part: attn_times) per
  variant and config, with the change against that summary's default run;
- wgmma_rate's TFLOP/s per mode, layout and warpgroups per SM;
- the comparisons that must hold (same gpu-parity numbers, the probe's layout checks) and any stage
  that failed.

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
    torch = {}
    for s in summaries:
        for cfg, row in s.get("comparison", {}).items():
            if isinstance(row, dict) and row.get("torch_compile_tokens_per_s") and cfg not in torch:
                torch[cfg] = row["torch_compile_tokens_per_s"]
    out.append("| summary | config | setting | tokens/s | step ms | MFU | / torch.compile |")
    out.append("|---|---|---|---|---|---|---|")
    for i, s in enumerate(summaries, 1):
        for cfg in ("gpt2-124m", "1b"):
            row = s.get("comparison", {}).get(cfg)
            if not isinstance(row, dict):
                continue
            names = [k[len("engine_"):-len("_tokens_per_s")] for k in row if k.startswith("engine_") and k.endswith("_tokens_per_s")]
            for name in names:
                tps = row.get(f"engine_{name}_tokens_per_s")
                if tps is None:
                    continue
                mfu = row.get(f"engine_{name}_mfu")
                ratio = tps / torch[cfg] if cfg in torch else None
                out.append(f"| {i} | {cfg} | {name} | {tps / 1e3:.1f}k | {fmt(row.get(f'engine_{name}_step_ms'), '.2f')} | "
                           f"{fmt(None if mfu is None else 100 * mfu, '.1f')} % | {fmt(ratio, '.3f')} |")
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
            if isinstance(val, bool) or (isinstance(val, dict) and all(isinstance(v, (bool, type(None))) for v in val.values())):
                out.append(f"- summary {i}, `{key}`: {json.dumps(val)}")
        failed = [n for n, st in s.get("stages", {}).items() if isinstance(st, dict) and st.get("rc") not in (None, 0)]
        if failed:
            out.append(f"- summary {i}, stages that failed or timed out: {', '.join(failed)}")
        if s.get("optional_failed"):
            out.append(f"- summary {i}, optional stages that failed: {', '.join(s['optional_failed'])}")
        out.append(f"- summary {i}: ok {json.dumps(s.get('ok'))}, device {s.get('device_name', '—')}")
    return out


def main(argv):
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    summaries = [load(p) for p in argv]
    sections = [("Speed (gpu-bench, 16,384 tokens per step)", speed_table(summaries)),
                ("Attention per step (ms; attn_times)", attention_table(summaries)),
                ("wgmma alone (wgmma_rate)", rate_table(summaries)),
                ("Checks", checks(summaries))]
    for title, lines in sections:
        print(f"### {title}\n")
        print("\n".join(lines))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
