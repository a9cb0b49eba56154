#!/usr/bin/env python3
"""PyTorch reference of the loco model (docs/model.md, contract 1), nanoGPT style, checked
against the native engines' gradients.

    python3 kernels/reference/model.py DIR [--device auto|cpu|cuda] [--tol 1e-4] [--cpu-only]

DIR is what `build/gpu-parity --dump DIR` writes: params.f32 (canonical order, fp32), tokens.i32
(x then y, int32, B*T each), grads_cpu.f32 and grads_cuda_fp32.f32 (gradients of the mean token
loss), meta.json {config, B, T, loss_cpu, loss_cuda_fp32, loss_cuda_bf16, layout:[{name, shape,
offset, numel}]}. The reference loss and gradients are computed in float64 (and once more in
float32, to show the size of plain fp32 rounding), then compared tensor by tensor:
rel = ||g - g_ref||_2 / ||g_ref||_2 and max_abs. Prints ONE JSON object; "ok" is false when any
loss or tensor is outside tolerance (each failure is named), or when the built-in self-check (a
1% corruption of one tensor) is not caught. Exit status 0 only when ok.
Without a GPU, `build/ref-dump DIR` (reference/cpu_dump.cpp) writes the CPU half of the same
directory, checked with --cpu-only.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


# ---- the model --------------------------------------------------------------------------------

def rmsnorm(x, g, eps):
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def rope_tables(T, hd, theta, dtype, device):
    # f_i = theta^(-2i/hd), angle = p * f_i (computed in float64, then cast)
    i = torch.arange(hd // 2, dtype=torch.float64, device=device)
    f = theta ** (-2.0 * i / hd)
    p = torch.arange(T, dtype=torch.float64, device=device)
    ang = p[:, None] * f[None, :]  # [T, hd/2]
    return torch.cos(ang).to(dtype), torch.sin(ang).to(dtype)


def rope(u, cos, sin):
    # "rotate half": u'[i] = u[i] c - u[i+h] s, u'[i+h] = u[i+h] c + u[i] s
    h = u.shape[-1] // 2
    a, b = u[..., :h], u[..., h:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


def forward(P, cfg, x, y):
    """Mean cross-entropy over all B*T positions (real vocabulary only)."""
    B, T = x.shape
    d, H = cfg["d_model"], cfg["n_heads"]
    hd = d // H
    eps = cfg["norm_eps"]
    emb = P["embed"]
    cos, sin = rope_tables(T, hd, cfg["rope_theta"], emb.dtype, emb.device)
    mask = torch.ones(T, T, dtype=torch.bool, device=emb.device).tril()
    h = emb[x]  # [B, T, d]
    for i in range(cfg["n_layers"]):
        L = lambda n: P[f"layers.{i}.{n}"]  # noqa: E731
        a = rmsnorm(h, L("attn_norm"), eps)
        q = (a @ L("wq").t()).view(B, T, H, hd).transpose(1, 2)  # [B, H, T, hd]
        k = (a @ L("wk").t()).view(B, T, H, hd).transpose(1, 2)
        v = (a @ L("wv").t()).view(B, T, H, hd).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        o = (att @ v).transpose(1, 2).reshape(B, T, d)
        h = h + o @ L("wo").t()
        m = rmsnorm(h, L("mlp_norm"), eps)
        h = h + (F.silu(m @ L("w_gate").t()) * (m @ L("w_up").t())) @ L("w_down").t()
    logits = rmsnorm(h, P["final_norm"], eps) @ emb.t()  # [B, T, padded_vocab]
    logits = logits[..., : cfg["vocab_size"]]
    return F.cross_entropy(logits.reshape(B * T, -1), y.reshape(B * T))


def loss_and_grads(flat, layout, cfg, x, y, dtype, device):
    t = torch.from_numpy(flat).to(device=device, dtype=dtype)
    P = {}
    for e in layout:
        P[e["name"]] = t[e["offset"] : e["offset"] + e["numel"]].view(*e["shape"]).clone().requires_grad_(True)
    loss = forward(P, cfg, x, y)
    loss.backward()
    g = np.zeros(flat.shape[0], dtype=np.float64)
    for e in layout:
        g[e["offset"] : e["offset"] + e["numel"]] = P[e["name"]].grad.detach().double().cpu().numpy().reshape(-1)
    return float(loss.item()), g


# ---- comparison -------------------------------------------------------------------------------

def compare(g, ref, layout):
    """Per tensor: rel L2 error and max abs error of g against ref."""
    out = {}
    for e in layout:
        a = g[e["offset"] : e["offset"] + e["numel"]].astype(np.float64)
        r = ref[e["offset"] : e["offset"] + e["numel"]]
        d = a - r
        rn = float(np.sqrt(np.sum(r * r)))
        dn = float(np.sqrt(np.sum(d * d)))
        if not np.all(np.isfinite(a)):
            rel = float("inf")
        elif rn > 0:
            rel = dn / rn
        else:
            rel = 0.0 if dn == 0 else float("inf")
        out[e["name"]] = {"rel": rel, "max_abs": float(np.max(np.abs(d))) if d.size else 0.0}
    return out


def summary(per, tol):
    worst = max(per.items(), key=lambda kv: kv[1]["rel"])
    bad = [n for n, v in per.items() if not (v["rel"] <= tol)]
    return {
        "max_rel": worst[1]["rel"],
        "worst_tensor": worst[0],
        "failing": bad,
        "per_tensor_rel": {n: v["rel"] for n, v in per.items()},
    }


def rel_err(a, ref):
    return abs(a - ref) / max(abs(ref), 1e-30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--tol", type=float, default=1e-4, help="max rel L2 error per gradient tensor (fp32 engines vs float64)")
    ap.add_argument("--loss-tol", type=float, default=1e-5)
    ap.add_argument("--bf16-loss-tol", type=float, default=5e-3)
    ap.add_argument("--cpu-only", action="store_true", help="no CUDA files expected (a build/ref-dump directory)")
    a = ap.parse_args()
    t0 = time.time()
    device = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False

    res = {"tool": "model.py", "dir": a.dir, "device": device, "torch": torch.__version__}
    failures = []
    try:
        with open(os.path.join(a.dir, "meta.json")) as f:
            meta = json.load(f)
        cfg = meta["config"]
        layout = meta["layout"]
        B, T = int(meta["B"]), int(meta["T"])
        n = sum(int(e["numel"]) for e in layout)

        def load(name, dt, count):
            arr = np.fromfile(os.path.join(a.dir, name), dtype=dt)
            if arr.size != count:
                raise ValueError(f"{name}: {arr.size} values, expected {count}")
            return arr

        params = load("params.f32", "<f4", n)
        tok = load("tokens.i32", "<i4", 2 * B * T).astype(np.int64)
        grads = {}
        for key, fname in (("cpu", "grads_cpu.f32"), ("cuda_fp32", "grads_cuda_fp32.f32")):
            if os.path.exists(os.path.join(a.dir, fname)):
                grads[key] = load(fname, "<f4", n).astype(np.float64)
            elif not (key == "cuda_fp32" and (a.cpu_only or meta.get("cpu_only"))):
                failures.append(f"{fname} missing")
        for e in layout:
            if int(np.prod(e["shape"])) != int(e["numel"]):
                raise ValueError(f"layout entry {e['name']}: shape {e['shape']} vs numel {e['numel']}")
        x = torch.from_numpy(tok[: B * T].reshape(B, T)).to(device)
        y = torch.from_numpy(tok[B * T :].reshape(B, T)).to(device)
        if int(tok.max()) >= cfg["vocab_size"] or int(tok.min()) < 0:
            raise ValueError("token id outside the vocabulary")

        loss64, g64 = loss_and_grads(params, layout, cfg, x, y, torch.float64, device)
        loss32, g32 = loss_and_grads(params, layout, cfg, x, y, torch.float32, device)
        res.update({"config": cfg.get("name"), "B": B, "T": T, "params": n, "loss_ref_f64": loss64, "loss_ref_f32": loss32})

        losses = {}
        for key, lim in (("loss_cpu", a.loss_tol), ("loss_cuda_fp32", a.loss_tol), ("loss_cuda_bf16", a.bf16_loss_tol)):
            if key in meta and meta[key] is not None:
                r = rel_err(float(meta[key]), loss64)
                losses[key] = {"value": float(meta[key]), "rel_err": r, "tol": lim, "ok": r <= lim}
                if not r <= lim:
                    failures.append(f"{key} {meta[key]} vs float64 reference {loss64}: rel err {r:.3g} > {lim}")
        res["losses"] = losses

        res["grads"] = {}
        res["grads"]["torch_fp32"] = summary(compare(g32, g64, layout), a.tol)  # what plain fp32 gives
        for key, g in grads.items():
            s = summary(compare(g, g64, layout), a.tol)
            res["grads"][key] = s
            for name in s["failing"]:
                failures.append(f"grads_{key} {name}: rel err {s['per_tensor_rel'][name]:.3g} > {a.tol}")
        if "cpu" in grads and "cuda_fp32" in grads:
            res["grads"]["cuda_fp32_vs_cpu_max_rel"] = summary(compare(grads["cuda_fp32"], grads["cpu"], layout), a.tol)["max_rel"]

        # self-check: a 1% corruption of one tensor's gradient must be caught at this tolerance
        victim = layout[min(2, len(layout) - 1)]
        bad = g64.copy()
        sl = slice(victim["offset"], victim["offset"] + victim["numel"])
        bad[sl] = bad[sl] * 1.01
        caught = compare(bad, g64, [victim])[victim["name"]]["rel"] > a.tol or not np.any(g64[sl])
        res["self_check_caught"] = bool(caught)
        if not caught:
            failures.append(f"self-check: a 1% corruption of {victim['name']} passed tolerance {a.tol}")
    except Exception as ex:  # report, never a bare traceback
        failures.append(f"{type(ex).__name__}: {ex}")
    res["failures"] = failures
    res["ok"] = not failures
    res["seconds"] = round(time.time() - t0, 3)
    print(json.dumps(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
