#!/usr/bin/env python3
"""A miner's window through the engine's line protocol (docs/trainer-protocol.md) on --device cuda and
on --device cpu, same commands, same synthetic shard. Used by kernels/gpu-check.sh's `engine` stage
(the GPU machines have no Node.js); test/engine-session-script.test.ts runs it with two CPU sessions.

Each session: init → snapshot → train 4 steps → eval → save (with AdamW state) → delta (Δ = θ_start −
θ_now, parameters restored) → apply the dense Δ back → apply a sparse update → load the checkpoint →
train 2 steps, load again, the same 2 steps → save, load, save. Checked exactly, on each device:
Δ = fl(θ_start − θ_now) at the sampled indices and the file holds 4·params bytes; delta restores
θ_start bit for bit; a dense update is θ ← fl(θ + fl(fl(−lr)·u)) and a sparse one the same in file
order (what the CPU engine computes, so every peer's parameters stay the same bits); a load gives the saved
parameters back; resuming from a checkpoint repeats the same losses; save → load → save writes the
same bytes. Across devices: `init` gives the same parameters bit for bit, the step and eval losses agree to
`--tol` (bf16 on the GPU), the CPU engine loads the GPU's checkpoint to the same parameters, and the relative L2 difference of the two
Δ files is reported. Prints ONE JSON object; exit 0 only when every check passed.

  python3 kernels/tools/engine_session.py ENGINE [--tol 0.02] [--devices cuda,cpu]
"""
import json, os, random, shutil, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
from configs import engine_config  # noqa: E402

CFG = engine_config("tiny")
INDICES = [0, 1, 3216000, 3219456, 3219520, 3300000]  # embed; layer 0's attn_norm, wq; a later matrix
SPARSE = [(1, 0.5), (3216000, -0.25), (1, 0.125)]  # (index, u): index 1 twice, applied in order
SPARSE_LR = 0.1
DENSE_LR = 0.3  # not a power of two: fl(θ + fl(−lr·Δ)) differs from a fused multiply-add in some elements


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def write_shard(path, n_tokens):
    random.seed(5)
    with open(path, "wb") as f:
        f.write(struct.pack("<256i", *([20240520, 1, n_tokens] + [0] * 253)))
        f.write(struct.pack(f"<{n_tokens}H", *[random.randrange(CFG["vocab_size"]) for _ in range(n_tokens)]))


class Engine:
    """One engine process; cmd() sends a command and returns its events up to `done` or `error`."""

    def __init__(self, engine, device):
        self.p = subprocess.Popen([engine, "--device", device], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.ready = json.loads(self.p.stdout.readline() or "{}")
        self.next_id = 1

    def cmd(self, name, **args):
        i = self.next_id
        self.next_id += 1
        self.p.stdin.write(json.dumps(dict(id=i, cmd=name, **args)) + "\n")
        self.p.stdin.flush()
        events = []
        for line in self.p.stdout:
            j = json.loads(line)
            if j.get("id") != i:
                continue
            events.append(j)
            if j.get("event") == "error":
                raise RuntimeError(f"{name}: {j.get('code')}: {j.get('message')}")
            if j.get("event") == "done":
                return events
        raise RuntimeError(f"{name}: the engine exited ({self.p.wait()}): {self.p.stderr.read()[-400:]}")

    def done(self, name, **args):
        return self.cmd(name, **args)[-1]

    def sample(self):
        return self.done("sample_params", indices=INDICES)["values"]

    def train(self, shard, first, steps):
        ev = self.cmd("train", shards=[shard], samples=list(range(first, first + 4 * steps)), micro_batch=2,
                      grad_accum=2, steps=steps, lr=0.001)
        return [e["loss"] for e in ev if e.get("event") == "step"]

    def close(self):
        try:
            self.p.stdin.write(json.dumps({"id": 0, "cmd": "shutdown"}) + "\n")
            self.p.stdin.close()
            return self.p.wait(timeout=30)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.p.kill()
            return -1


def session(engine, device, shard, work, foreign_ckpt=None):
    """The window above on one device; returns its results and the failed checks' names."""
    out, bad = {"device": device}, []
    e = Engine(engine, device)
    out["backend"], out["describe"] = e.ready.get("backend"), e.ready.get("describe")
    tag = lambda name: os.path.join(work, name)
    try:
        params = int(e.done("init", config=CFG, seed=7)["params"])
        out["params"] = params
        theta0 = out["theta0"] = e.sample()
        e.done("snapshot")
        out["steps"] = e.train(shard, 0, 4)
        out["eval_loss"] = e.done("eval", shards=[shard], samples=[20, 21, 22, 23])["loss"]
        theta1 = e.sample()
        out["theta1"] = theta1
        ckpt = out["checkpoint"] = tag("window.ckpt")
        e.done("save", path=ckpt)
        delta = out["delta_file"] = tag("delta.f32")
        e.done("delta", path=delta)
        raw = open(delta, "rb").read()
        if len(raw) != 4 * params:
            raise ValueError(f"delta file is {len(raw)} bytes, not 4 × {params}")
        d = [struct.unpack_from("<f", raw, 4 * i)[0] for i in INDICES]
        if d != [f32(a - b) for a, b in zip(theta0, theta1)]:
            bad.append("delta_values")
        if e.sample() != theta0:
            bad.append("delta_restore")
        # the dense Δ applied: θ ← fl(θ + fl(fl(−lr)·u)), two roundings as on the CPU (no FMA)
        e.done("apply", path=delta, format="dense", lr=DENSE_LR)
        back = e.sample()
        if back != [f32(t + f32(f32(-DENSE_LR) * u)) for t, u in zip(theta0, d)]:
            bad.append("apply_dense")
        sparse = tag("update.sparse")
        with open(sparse, "wb") as f:
            f.write(b"LOCOSPU1" + struct.pack("<Q", len(SPARSE)))
            f.write(struct.pack(f"<{len(SPARSE)}I", *[i for i, _ in SPARSE]))
            f.write(struct.pack(f"<{len(SPARSE)}f", *[u for _, u in SPARSE]))
        expect = dict(zip(INDICES, back))
        for i, u in SPARSE:
            expect[i] = f32(expect[i] - f32(f32(SPARSE_LR) * f32(u)))
        e.done("apply", path=sparse, format="sparse", lr=SPARSE_LR)
        if e.sample() != [expect[i] for i in INDICES]:
            bad.append("apply_sparse")
        # resume: the checkpoint gives θ_now back, and the same next steps twice
        e.done("load", path=ckpt)
        if e.sample() != theta1:
            bad.append("load_params")
        out["resume_steps"] = e.train(shard, 16, 2)
        e.done("load", path=ckpt)
        if e.train(shard, 16, 2) != out["resume_steps"]:
            bad.append("resume_repeat")
        c2, c3 = tag("again.ckpt"), tag("again2.ckpt")
        e.done("save", path=c2)
        e.done("load", path=c2)
        e.done("save", path=c3)
        if open(c2, "rb").read() != open(c3, "rb").read():
            bad.append("save_load_save")
        if foreign_ckpt:  # the other device's checkpoint
            e.done("load", path=foreign_ckpt[0])
            if e.sample() != foreign_ckpt[1]:
                bad.append("foreign_checkpoint")
    except (RuntimeError, ValueError, OSError) as err:
        bad.append("error")
        out["error"] = str(err)
    out["rc"] = e.close()
    if out["rc"] != 0:
        bad.append("exit")
        out["stderr_tail"] = e.p.stderr.read()[-400:]
    out["failed"] = bad
    return out


def rel_l2(a_path, b_path):
    a, b = open(a_path, "rb").read(), open(b_path, "rb").read()
    if len(a) != len(b) or not a:
        return None
    n = len(a) // 4
    x, y = struct.unpack(f"<{n}f", a), struct.unpack(f"<{n}f", b)
    num = sum((p - q) ** 2 for p, q in zip(x, y))
    den = sum(q * q for q in y)
    return (num / den) ** 0.5 if den else None


def main():
    engine = sys.argv[1]
    tol = float(sys.argv[sys.argv.index("--tol") + 1]) if "--tol" in sys.argv else 0.02
    devices = sys.argv[sys.argv.index("--devices") + 1].split(",") if "--devices" in sys.argv else ["cuda", "cpu"]
    work = tempfile.mkdtemp()  # ≈ 250 MB of checkpoints and deltas: removed however the run ends
    try:
        return run_sessions(engine, devices, tol, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_sessions(engine, devices, tol, work):
    shard = os.path.join(work, "shard.bin")
    write_shard(shard, 64 * 40 + 1)
    dirs = [os.path.join(work, "first"), os.path.join(work, "second")]
    for d in dirs:
        os.makedirs(d)
    first = session(engine, devices[0], shard, dirs[0])
    foreign = (first["checkpoint"], first["theta1"]) if not first["failed"] else None
    second = session(engine, devices[1], shard, dirs[1], foreign)
    res = {"tool": "engine-session", "devices": devices, "first": first, "second": second, "tol": tol}
    ok = (not first["failed"] and not second["failed"] and first.get("backend") == devices[0]
          and second.get("backend") == devices[1] and len(first["steps"]) == 4 and len(second["steps"]) == 4)
    if ok:
        a = first["steps"] + [first["eval_loss"]] + first["resume_steps"]
        b = second["steps"] + [second["eval_loss"]] + second["resume_steps"]
        rel = [abs(x - y) / abs(y) for x, y in zip(a, b)]
        res["max_rel_loss_diff"] = max(rel)
        res["delta_rel_l2"] = rel_l2(first["delta_file"], second["delta_file"])
        # init from the same seed must give the same bits on every device (the host's RNG and formula)
        res["same_init"] = first["theta0"] == second["theta0"]
        ok = max(rel) <= tol and res["same_init"]
    for s in (first, second):
        s.pop("theta0", None)
        s.pop("theta1", None)
    res["ok"] = ok
    print(json.dumps(res))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
