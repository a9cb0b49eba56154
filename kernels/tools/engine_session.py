#!/usr/bin/env python3
"""`train`, `eval` and `sample_params` through the engine's line protocol (docs/trainer-protocol.md)
on --device cuda and on --device cpu, same commands, same synthetic shard; compares the step losses
and the eval loss. Used by kernels/gpu-check.sh's `engine` stage (the GPU machines have no Node.js).
Prints ONE JSON object; exit 0 only when both sessions finished and the losses agree to bf16 accuracy.

  python3 kernels/tools/engine_session.py ENGINE [--tol 0.02]
"""
import json, os, random, struct, subprocess, sys, tempfile

CFG = {"name": "tiny", "vocab_size": 50257, "padded_vocab_size": 50304, "seq_len": 64, "d_model": 64, "n_layers": 2,
       "n_heads": 4, "d_ff": 176, "rope_theta": 10000, "norm_eps": 1e-5, "init_std": 0.02}


def write_shard(path, n_tokens):
    random.seed(5)
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *([20240520, 1, n_tokens] + [0] * 253)))
        f.write(struct.pack(f"<{n_tokens}H", *[random.randrange(CFG["vocab_size"]) for _ in range(n_tokens)]))


def session(engine, device, shard):
    cmds = [
        {"id": 1, "cmd": "init", "config": CFG, "seed": 7},
        {"id": 2, "cmd": "train", "shards": [shard], "samples": list(range(16)), "micro_batch": 2, "grad_accum": 2,
         "steps": 4, "lr": 0.001},
        {"id": 3, "cmd": "eval", "shards": [shard], "samples": [20, 21, 22, 23]},
        {"id": 4, "cmd": "sample_params", "indices": [0, 1, 3216000]},
    ]
    p = subprocess.Popen([engine, "--device", device], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    for c in cmds:
        p.stdin.write(json.dumps(c) + "\n")
    p.stdin.flush()
    out = {"device": device, "steps": [], "errors": []}
    pending = {1, 2, 3, 4}
    for line in p.stdout:
        j = json.loads(line)
        ev = j.get("event")
        if ev == "ready":
            out["backend"], out["describe"] = j.get("backend"), j.get("describe")
        elif ev == "step":
            out["steps"].append(j["loss"])
        elif ev == "error":
            out["errors"].append(j)
            pending.discard(j.get("id"))
        elif ev == "done":
            if j.get("id") == 3:
                out["eval_loss"] = j.get("loss")
            if j.get("id") == 4:
                out["sample"] = j.get("values")
            pending.discard(j.get("id"))
        if not pending:
            break
    p.stdin.write(json.dumps({"id": 5, "cmd": "shutdown"}) + "\n")
    p.stdin.close()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out["errors"].append("engine did not exit after shutdown")
    out["rc"] = p.returncode
    out["stderr_tail"] = p.stderr.read()[-400:]
    return out


def main():
    engine = sys.argv[1]
    tol = float(sys.argv[sys.argv.index("--tol") + 1]) if "--tol" in sys.argv else 0.02
    d = tempfile.mkdtemp()
    shard = os.path.join(d, "shard.bin")
    write_shard(shard, 64 * 40 + 1)
    cuda, cpu = session(engine, "cuda", shard), session(engine, "cpu", shard)
    res = {"tool": "engine-session", "cuda": cuda, "cpu": cpu, "tol": tol}
    ok = (not cuda["errors"] and not cpu["errors"] and cuda.get("backend") == "cuda" and cpu.get("backend") == "cpu"
          and len(cuda["steps"]) == 4 and len(cpu["steps"]) == 4 and cuda.get("eval_loss") is not None)
    if ok:
        rel = [abs(a - b) / abs(b) for a, b in zip(cuda["steps"] + [cuda["eval_loss"]], cpu["steps"] + [cpu["eval_loss"]])]
        res["max_rel_loss_diff"] = max(rel)
        ok = max(rel) <= tol
    res["ok"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
