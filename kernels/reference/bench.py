#!/usr/bin/env python3
"""PyTorch baselines for the CUDA engine and the GPU codec, measured in the same run on the same GPU
(kernels/gpu-check.sh runs this after build/gpu-bench and build/codec-cuda).

    python3 kernels/reference/bench.py [--configs gpt2-124m,1b] [--modes eager,compile] [--steps 6]
                                       [--tokens 16384] [--budget-s 150] [--no-codec]

Training: the model of docs/model.md as a plain nn.Module (bf16 autocast, SDPA causal attention,
fused AdamW with the engine's hyper-parameters, global grad-norm clipping at 1), `tokens` tokens
per step on the synthetic data build/gpu-bench uses (x uniform over the vocabulary,
y = (31·x + 7) mod vocab_size). Eager and torch.compile; warm-up steps (compilation included) are
not timed. MFU as gpu-bench counts it: (6·N + 12·L·d·T)·tokens per step against the dense bf16 peak
(989 TFLOP/s on H100/H200).
Codec: a straightforward PyTorch SparseLoCo (docs/sparseloco.md: EF, top-k per 64×64 chunk with
torch.topk, 2-bit quantisation with centroid levels, residual update; decode + median-norm clip +
scatter-mean of 8 peers) over the gpt2-124m parameter shapes, and a device copy of the same bytes.
Attention: PyTorch's causal scaled_dot_product_attention alone, forward and forward + backward, bf16,
at each config's shape (B = tokens / seq_len, its heads and head_dim), with the default backend
choice and with the flash and cuDNN backends forced, as ms per training step (× n_layers): the named
baseline for the engine's attention kernels (gpu-check.sh's attn_times measures those per step).
Items that would start after --budget-s seconds are skipped and listed. Prints ONE JSON object.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from configs import CONFIGS, PADDED, VOCAB  # reference/configs.py, beside this file


# ---- model (docs/model.md) --------------------------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.g = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps).to(x.dtype) * self.g


class Block(nn.Module):
    def __init__(self, d, H, ff, eps):
        super().__init__()
        self.H = H
        self.attn_norm = RMSNorm(d, eps)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.mlp_norm = RMSNorm(d, eps)
        self.w_gate, self.w_up = nn.Linear(d, ff, bias=False), nn.Linear(d, ff, bias=False)
        self.w_down = nn.Linear(ff, d, bias=False)

    def forward(self, h, cos, sin):
        B, T, d = h.shape
        hd = d // self.H
        a = self.attn_norm(h)
        q = self.wq(a).view(B, T, self.H, hd).transpose(1, 2)
        k = self.wk(a).view(B, T, self.H, hd).transpose(1, 2)
        v = self.wv(a).view(B, T, self.H, hd).transpose(1, 2)

        def rope(u):
            x1, x2 = u[..., : hd // 2], u[..., hd // 2 :]
            return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

        o = F.scaled_dot_product_attention(rope(q), rope(k), v, is_causal=True)
        h = h + self.wo(o.transpose(1, 2).reshape(B, T, d))
        m = self.mlp_norm(h)
        return h + self.w_down(F.silu(self.w_gate(m)) * self.w_up(m))


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, H = c["d_model"], c["n_heads"]
        self.embed = nn.Embedding(PADDED, d)
        self.layers = nn.ModuleList(Block(d, H, c["d_ff"], 1e-5) for _ in range(c["n_layers"]))
        self.final_norm = RMSNorm(d, 1e-5)
        hd = d // H
        f = 10000.0 ** (-2.0 * torch.arange(hd // 2, dtype=torch.float64) / hd)
        ang = torch.arange(c["seq_len"], dtype=torch.float64)[:, None] * f[None, :]
        self.register_buffer("cos", torch.cos(ang).float(), persistent=False)
        self.register_buffer("sin", torch.sin(ang).float(), persistent=False)
        std, std_res = 0.02, 0.02 / math.sqrt(2 * c["n_layers"])
        for n, p in self.named_parameters():
            if p.dim() == 2:
                nn.init.normal_(p, 0.0, std_res if n.endswith("wo.weight") or n.endswith("w_down.weight") else std)

    def forward(self, x, y):
        T = x.shape[1]
        cos, sin = self.cos[:T].to(torch.bfloat16), self.sin[:T].to(torch.bfloat16)
        h = self.embed(x)
        for blk in self.layers:
            h = blk(h, cos, sin)
        logits = F.linear(self.final_norm(h), self.embed.weight)  # tied
        return F.cross_entropy(logits[..., :VOCAB].float().reshape(-1, VOCAB), y.reshape(-1))


def train_bench(name, mode, tokens, steps, warmup, device):
    c = CONFIGS[name]
    T = c["seq_len"]
    B = max(1, tokens // T)
    torch.manual_seed(0)
    with torch.device(device):  # initialise on the GPU (the 1b model takes seconds on the CPU)
        model = Model(c)
    N = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8, fused=True)
    fwd = torch.compile(model) if mode == "compile" else model
    g = torch.Generator(device=device).manual_seed(1)
    torch.cuda.reset_peak_memory_stats()

    def step():
        x = torch.randint(0, VOCAB, (B, T), device=device, generator=g)
        y = (31 * x + 7) % VOCAB
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = fwd(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    t0 = time.perf_counter()
    first = None
    for _ in range(warmup):
        l = step()
        first = first if first is not None else float(l)
    torch.cuda.synchronize()
    warm_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    for _ in range(steps):
        l = step()
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t1) / steps
    flops = 6.0 * N * B * T + 12.0 * c["n_layers"] * c["d_model"] * T * B * T
    peak = 989e12
    res = {"config": name, "mode": mode, "params": N, "batch": B, "seq_len": T, "tokens_per_step": B * T, "steps": steps,
           "warmup_s": round(warm_s, 2), "step_ms": dt * 1e3, "tokens_per_s": B * T / dt, "mfu": flops / dt / peak,
           "peak_mem_bytes": torch.cuda.max_memory_allocated(), "loss_first": first, "loss_last": float(l)}
    del model, opt, fwd
    torch.cuda.empty_cache()
    return res


# ---- SparseLoCo in PyTorch (docs/sparseloco.md) -----------------------------------------------

def chunk_side(n, target=64):
    if n <= target:
        return n
    for c in range(target, 1, -1):
        if n % c == 0:
            return c
    return 1


def shapes_124m():
    c = CONFIGS["gpt2-124m"]
    d, ff = c["d_model"], c["d_ff"]
    s = [(PADDED, d)]
    for _ in range(c["n_layers"]):
        s += [(d,), (d, d), (d, d), (d, d), (d, d), (d,), (ff, d), (ff, d), (d, ff)]
    return s + [(d,)]


class Layout:
    def __init__(self, shape, topk=64, chunk=64):
        self.shape = shape
        R, C = (1, shape[0]) if len(shape) == 1 else shape
        self.R, self.C = R, C
        self.c1 = 1 if len(shape) == 1 else chunk_side(R, chunk)
        self.c2 = chunk_side(C, chunk)
        self.len = self.c1 * self.c2
        self.n = (R // self.c1) * (C // self.c2)
        self.k = min(topk, self.len) if len(shape) == 1 else min(self.len, max(1, -(-topk * self.len // (chunk * chunk))))

    def to_chunks(self, t):  # [R, C] → [nChunks, len]
        return t.reshape(self.R // self.c1, self.c1, self.C // self.c2, self.c2).permute(0, 2, 1, 3).reshape(self.n, self.len)

    def from_chunks(self, t):
        return t.reshape(self.R // self.c1, self.C // self.c2, self.c1, self.c2).permute(0, 2, 1, 3).reshape(self.shape)


def compress(e, delta, L, beta=0.95):
    e.mul_(beta).add_(delta)
    ch = L.to_chunks(e)  # a copy when permuted
    idx = ch.abs().topk(L.k, dim=1, sorted=False).indices
    v = ch.gather(1, idx)
    shift = v.mean()
    x = v - shift
    sigma = x.std() if v.numel() > 1 else torch.zeros((), device=v.device)
    t = 1.5 * sigma
    codes = torch.bucketize(x, torch.stack([-t, torch.zeros_like(t), t]), right=True)
    cnt = torch.bincount(codes.reshape(-1), minlength=4).to(x.dtype)
    lut = torch.zeros(4, device=x.device, dtype=x.dtype).index_add_(0, codes.reshape(-1), x.reshape(-1)) / cnt.clamp(min=1)
    ch.scatter_(1, idx, v - (lut[codes] + shift))
    e.copy_(L.from_chunks(ch))
    return idx.to(torch.int16), codes.to(torch.uint8), shift, lut


def aggregate(peers, L):
    deq = [lut[codes.long()] + shift for (_, codes, shift, lut) in peers]
    norms = torch.stack([d.norm() for d in deq])
    med = norms.median()
    scale = torch.clamp(med / (norms + 1e-8), max=1.0)
    s = torch.zeros(L.n, L.len, device=norms.device)
    c = torch.zeros(L.n, L.len, device=norms.device)
    for p, (idx, _, _, _) in enumerate(peers):
        i = idx.long()
        s.scatter_add_(1, i, deq[p] * scale[p])
        c.scatter_add_(1, i, torch.ones_like(deq[p]))
    return L.from_chunks(s / c.clamp(min=1))


def codec_bench(device, peers=8, reps=5):
    shapes = shapes_124m()
    Ls = [Layout(s) for s in shapes]
    numel = sum(math.prod(s) for s in shapes)
    g = torch.Generator(device=device).manual_seed(3)
    es = [torch.zeros(s, device=device) for s in shapes]
    ds = [torch.randn(s, device=device, generator=g) * 1e-3 for s in shapes]

    def timed(fn, n):
        out, ts = None, []
        for _ in range(n):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = fn()
            torch.cuda.synchronize()
            ts.append((time.perf_counter() - t0) * 1e3)
        ts.sort()
        return out, ts[len(ts) // 2]

    comp = lambda: [compress(e, d, L) for e, d, L in zip(es, ds, Ls)]  # noqa: E731
    comp()  # warm-up
    enc, comp_ms = timed(comp, reps)
    peer_enc = [enc] + [[compress(torch.zeros_like(e), d * (1 + 0.1 * p), L) for e, d, L in zip(es, ds, Ls)] for p in range(1, peers)]
    agg = lambda: [aggregate([peer_enc[p][t] for p in range(peers)], L) for t, L in enumerate(Ls)]  # noqa: E731
    agg()
    _, agg_ms = timed(agg, reps)
    flat = torch.empty(numel, device=device)
    dst = torch.empty_like(flat)
    _, copy_ms = timed(lambda: dst.copy_(flat), reps + 5)
    return {"numel": numel, "tensors": len(shapes), "peers": peers, "compress_ms": comp_ms, "aggregate_ms": agg_ms,
            "memcpy_ms": copy_ms, "memcpy_gbps": 2 * 4 * numel / (copy_ms * 1e-3) / 1e9}


def attention_bench(device, names, tokens, reps=10):
    """SDPA's forward and backward time per training step (n_layers calls each), per backend."""
    import contextlib
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
        backends = [("default", None), ("flash", SDPBackend.FLASH_ATTENTION), ("cudnn", SDPBackend.CUDNN_ATTENTION)]
    except ImportError:  # older PyTorch: the default choice only
        backends, sdpa_kernel = [("default", None)], None

    def median_ms(fn):
        fn()  # warm-up (and the backend's first-call setup)
        ts = []
        for _ in range(reps):
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record()
            fn()
            e1.record()
            torch.cuda.synchronize()
            ts.append(e0.elapsed_time(e1))
        ts.sort()
        return ts[len(ts) // 2]

    rows = []
    for name in names:
        c = CONFIGS[name]
        T, H = c["seq_len"], c["n_heads"]
        B, hd, L = max(1, tokens // T), c["d_model"] // c["n_heads"], c["n_layers"]
        g = torch.Generator(device=device).manual_seed(2)
        q, k, v = (torch.randn(B, H, T, hd, device=device, dtype=torch.bfloat16, generator=g).requires_grad_()
                   for _ in range(3))
        dy = torch.randn(B, H, T, hd, device=device, dtype=torch.bfloat16, generator=g)
        row = {"config": name, "batch": B, "heads": H, "seq_len": T, "head_dim": hd, "layers": L}

        def fwd():
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)

        def fwd_bwd():
            q.grad = k.grad = v.grad = None
            fwd().backward(dy)

        for label, backend in backends:
            try:
                with (sdpa_kernel(backend) if backend is not None else contextlib.nullcontext()):
                    f_ms, fb_ms = median_ms(fwd), median_ms(fwd_bwd)
                row[label] = {"fwd_ms_per_step": f_ms * L, "bwd_ms_per_step": (fb_ms - f_ms) * L,
                              "total_ms_per_step": fb_ms * L}
            except Exception as ex:  # a backend this build or GPU lacks
                row[label] = {"error": f"{type(ex).__name__}: {str(ex)[:200]}"}
        rows.append(row)
        del q, k, v, dy
        torch.cuda.empty_cache()
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="gpt2-124m,1b")
    ap.add_argument("--modes", default="eager,compile")
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--budget-s", type=float, default=150.0)
    ap.add_argument("--no-codec", action="store_true")
    ap.add_argument("--no-attention", action="store_true")
    ap.add_argument("--out", help="also (re)write the JSON object to this file after every item, so a run cut off by a "
                                  "timeout keeps what it measured")
    a = ap.parse_args()
    t0 = time.time()
    out = {"tool": "bench.py", "torch": torch.__version__, "runs": [], "skipped": [], "errors": []}
    if not torch.cuda.is_available():
        out["errors"].append("no CUDA device")
        out["ok"] = False
        print(json.dumps(out))
        return 1
    device = "cuda"
    out["device_name"] = torch.cuda.get_device_name(0)

    def save():
        if a.out:
            out["seconds"] = round(time.time() - t0, 1)
            with open(a.out + ".tmp", "w") as f:
                f.write(json.dumps(out) + "\n")
            os.replace(a.out + ".tmp", a.out)

    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    if not a.no_codec:
        try:
            out["codec"] = codec_bench(device)
        except Exception as ex:
            out["errors"].append(f"codec: {type(ex).__name__}: {ex}")
        save()
    if not a.no_attention:
        try:
            out["attention"] = attention_bench(device, a.configs.split(","), a.tokens)
        except Exception as ex:
            out["errors"].append(f"attention: {type(ex).__name__}: {str(ex)[:300]}")
        save()
    # gpt2-124m first (compile, the number to beat, before eager), then 1b compile; 1b eager last
    # (the first to go when time is short)
    order = []
    for name in a.configs.split(","):
        for mode in a.modes.split(","):
            order.append((name, mode))
    order.sort(key=lambda nm: (nm[0] == "1b" and nm[1] == "eager", nm[0] == "1b", nm[1] == "eager"))
    for name, mode in order:
        if time.time() - t0 > a.budget_s:
            out["skipped"].append(f"{name} {mode}: --budget-s {a.budget_s} reached")
            continue
        try:
            out["runs"].append(train_bench(name, mode, a.tokens, a.steps, a.warmup, device))
        except Exception as ex:
            out["errors"].append(f"{name} {mode}: {type(ex).__name__}: {str(ex)[:300]}")
            torch.cuda.empty_cache()
        save()
    out["seconds"] = round(time.time() - t0, 1)
    out["ok"] = not out["errors"]
    save()
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
