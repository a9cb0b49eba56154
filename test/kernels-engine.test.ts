// The native engine through its TypeScript client: deterministic training, checkpoints that
// round-trip bit-exactly and resume exactly, pseudo-gradients, updates, typed errors, no orphans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';
import { getConfig } from '../src/trainer/configs.js';
import { randomCheckpoint, readCheckpoint, writeCheckpoint } from '../src/trainer/checkpoint.js';
import { Engine, EngineError, findEngineBinary, type StepEvent } from '../src/trainer/engine.js';
import { writeShard } from '../src/data/shards.js';
import { applyUpdate } from '../src/codec/sparseloco.js';

const tiny = getConfig('tiny');
const T = tiny.seq_len;
const dir = tempDir('loco-engine-test-');


// A repeating pattern over 50 token ids: easy to learn, so the loss must fall quickly.
const SHARD = join(dir, 'pattern.bin');
writeShard(SHARD, Array.from({ length: 40 * T + 1 }, (_, i) => (i * 7 + 3) % 50));
const SHARD2 = join(dir, 'pattern2.bin');
writeShard(SHARD2, Array.from({ length: 10 * T + 1 }, (_, i) => (i * 11 + 5) % 60));

const B = 4;
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => (from + i * 3) % 40);
const schedule = { lr: 3e-3, min_lr: 3e-4, warmup_steps: 3, total_steps: 20 };

/** A sparse update file (LOCOSPU1, u64 n, n × u32 index, n × f32 value; docs/trainer-protocol.md). */
function writeSparseUpdate(path: string, idx: number[], val: number[]): void {
  const n = idx.length;
  const buf = Buffer.alloc(16 + 8 * n);
  buf.write('LOCOSPU1', 0, 'ascii');
  buf.writeBigUInt64LE(BigInt(n), 8);
  idx.forEach((v, i) => buf.writeUInt32LE(v, 16 + 4 * i));
  val.forEach((v, i) => buf.writeFloatLE(v, 16 + 4 * n + 4 * i));
  writeFileSync(path, buf);
}

async function collect(it: AsyncGenerator<StepEvent, unknown>): Promise<StepEvent[]> {
  const out: StepEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

test('missing binary: EngineError that names the fix', () => {
  assert.throws(
    () => findEngineBinary(join(dir, 'no-such-engine')),
    (e: unknown) => e instanceof EngineError && e.kind === 'engine' && e.code === 'not_built' && /npm run build/.test(e.message) && /g\+\+/.test(e.message),
  );
});

test('deterministic 20-step trajectory; loss falls; resume from a checkpoint gives the same next losses', async () => {
  const ckpt = join(dir, 'mid.ckpt');
  const a = await Engine.start();
  const b = await Engine.start();
  try {
    // run A: 10 steps, save (with AdamW state), 10 more
    await a.init(tiny, 1234);
    const a1 = await collect(a.train({ shards: [SHARD], samples: ids(10 * B), micro_batch: B, ...schedule }));
    await a.save(ckpt, { window: 3 });
    const a2 = await collect(a.train({ shards: [SHARD], samples: ids(10 * B, 10 * B * 3), micro_batch: B, ...schedule }));
    const lossA = [...a1, ...a2].map((e) => e.loss as number);
    // run B: the same 20 steps in one command (2 micro-batches of B/2 accumulate to the same batch)
    await b.init(tiny, 1234);
    const all = [...ids(10 * B), ...ids(10 * B, 10 * B * 3)];
    const bs = await collect(b.train({ shards: [SHARD], samples: all, micro_batch: B, steps: 20, ...schedule }));
    const lossB = bs.map((e) => e.loss as number);
    assert.equal(lossA.length, 20);
    assert.deepEqual(lossB, lossA, 'identical trajectories from the same seed and data');
    assert.deepEqual(bs.map((e) => e.step), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.ok(lossA[0] > 10 && lossA[0] < 11.5, `initial loss ≈ ln(50257): ${lossA[0]}`);
    assert.ok(lossA[19] < lossA[0] - 3, `loss falls: ${lossA[0]} → ${lossA[19]}`);
    for (const e of bs) {
      assert.ok(e.lr > 0 && e.tokens === B * T && e.tokens_per_s > 0 && e.ms > 0 && (e.grad_norm as number) > 0);
    }
    assert.ok(Math.abs(bs[0].lr - 1e-3) < 1e-9, 'warm-up: lr·1/3 at the first step');
    assert.ok(Math.abs(bs[19].lr - (3e-4 + 0.5 * (1 + Math.cos((Math.PI * 16) / 17)) * 2.7e-3)) < 1e-9, 'cosine');

    // resume: a fresh engine loads the checkpoint and takes the same 10 steps
    const c = await Engine.start();
    try {
      const info = await c.load(ckpt);
      assert.equal(info.step, 10);
      assert.equal(info.window, 3);
      assert.equal(info.has_optimizer, true);
      const c2 = await collect(c.train({ shards: [SHARD], samples: ids(10 * B, 10 * B * 3), micro_batch: B, ...schedule }));
      assert.deepEqual(c2.map((e) => e.loss), a2.map((e) => e.loss), 'resume gives the same losses as not stopping');
      assert.deepEqual(c2.map((e) => e.step), a2.map((e) => e.step));
    } finally {
      await c.shutdown();
    }
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test('gradient accumulation: 2 micro-batches of 2 match 1 micro-batch of 4', async () => {
  const a = await Engine.start();
  const b = await Engine.start();
  try {
    await a.init(tiny, 5);
    await b.init(tiny, 5);
    const s = ids(3 * 4);
    const la = await collect(a.train({ shards: [SHARD], samples: s, micro_batch: 4, lr: 1e-3 }));
    const lb = await collect(b.train({ shards: [SHARD], samples: s, micro_batch: 2, grad_accum: 2, lr: 1e-3 }));
    assert.equal(la.length, 3);
    assert.equal(lb.length, 3);
    for (let i = 0; i < 3; i++) {
      assert.ok(Math.abs((la[i].loss as number) - (lb[i].loss as number)) < 1e-5 * (la[i].loss as number), `loss ${i}`);
      assert.ok(Math.abs((la[i].grad_norm as number) - (lb[i].grad_norm as number)) < 1e-4 * (la[i].grad_norm as number), `grad norm ${i}`);
      assert.equal(lb[i].tokens, 4 * T);
    }
    const idx = [5, 777, 40_000, 3_300_000];
    const pa = await a.sampleParams(idx);
    const pb = await b.sampleParams(idx);
    pa.forEach((v, k) => assert.ok(Math.abs(v - pb[k]) < 1e-6, `param ${idx[k]}: ${v} vs ${pb[k]}`));
  } finally {
    await a.shutdown();
    await b.shutdown();
  }
});

test('checkpoint round-trip is bit-exact and readable by the TypeScript reader (and back)', async () => {
  const e = await Engine.start();
  try {
    await e.init(tiny, 99);
    await collect(e.train({ shards: [SHARD], samples: ids(2 * B), micro_batch: B, lr: 1e-3 }));
    const p1 = join(dir, 'rt1.ckpt');
    const p2 = join(dir, 'rt2.ckpt');
    await e.save(p1, { window: 7 });
    await e.load(p1);
    await e.save(p2);
    assert.ok(readFileSync(p1).equals(readFileSync(p2)), 'save → load → save is byte-identical');
    // the TypeScript reader (docs/checkpoint.md) agrees with the engine
    const ck = readCheckpoint(p1, { withOptimizer: true });
    assert.equal(ck.step, 2);
    assert.equal(ck.window, 7);
    assert.equal(ck.seed, 99);
    assert.deepEqual(ck.optimizer, { type: 'adamw', step: 2 });
    const idx = [0, 1, 12345, 3_300_000];
    const vals = await e.sampleParams(idx);
    const flat = Float32Array.from(ck.params.flatMap((t) => Array.from(t)));
    assert.deepEqual(vals, idx.map((i) => flat[i]));
    // a TypeScript-written checkpoint loads into the engine
    const rnd = randomCheckpoint(tiny, 5);
    const p3 = join(dir, 'ts.ckpt');
    writeCheckpoint(p3, rnd);
    const info = await e.load(p3);
    assert.equal(info.has_optimizer, false);
    const flat3 = Float32Array.from(rnd.params.flatMap((t) => Array.from(t)));
    assert.deepEqual(await e.sampleParams(idx), idx.map((i) => flat3[i]));
  } finally {
    await e.shutdown();
  }
});

test('snapshot/delta, dense and sparse apply, eval and sample_params', async () => {
  const e = await Engine.start();
  try {
    const init = await e.init(tiny, 7);
    const P = init.params;
    const idx = [0, 64 * 3 + 5, P - 1, 3_219_456 + 10];
    const eval0 = await e.eval({ shards: [SHARD, SHARD2], samples: [0, 45, 41] });
    const eval0b = await e.eval({ shards: [SHARD, SHARD2], samples: [0, 45, 41], micro_batch: 2 });
    assert.ok(Math.abs((eval0.loss as number) - (eval0b.loss as number)) < 1e-5, 'eval does not depend on micro-batching');
    assert.equal(eval0.tokens, 3 * T);
    const start = await e.sampleParams(idx);
    await e.snapshot();
    await collect(e.train({ shards: [SHARD], samples: ids(3 * B), micro_batch: B, lr: 1e-2 }));
    const trained = await e.sampleParams(idx);
    assert.notDeepEqual(trained, start);
    const dpath = join(dir, 'delta.f32');
    const d = await e.delta(dpath);
    assert.equal(statSync(dpath).size, 4 * P);
    assert.equal(d.bytes, 4 * P);
    assert.deepEqual(await e.sampleParams(idx), start, 'delta restores θ_start');
    const delta = new Float32Array(readFileSync(dpath).buffer.slice(0));
    idx.forEach((i, k) => assert.equal(delta[i], Math.fround(start[k] - trained[k])));
    // θ ← θ − 1·Δ gives θ_end back (up to fp32 rounding)
    await e.apply(dpath, { lr: 1 });
    (await e.sampleParams(idx)).forEach((v, k) => assert.ok(Math.abs(v - trained[k]) < 1e-6));
    // sparse: duplicates accumulate
    const before = await e.sampleParams([10, 20]);
    const spath = join(dir, 'sparse.bin');
    writeSparseUpdate(spath, [10, 20, 10], [0.5, -0.25, 0.5]);
    await e.apply(spath, { lr: 0.1, format: 'sparse' });
    const after = await e.sampleParams([10, 20]);
    assert.ok(Math.abs(after[0] - (before[0] - 0.1)) < 1e-6 && Math.abs(after[1] - (before[1] + 0.025)) < 1e-6);
    // errors that leave the engine serving
    await assert.rejects(e.apply(spath, { format: 'dense' }), (x: unknown) => x instanceof EngineError && x.code === 'bad_update');
    await assert.rejects(e.sampleParams([P]), (x: unknown) => x instanceof EngineError && x.code === 'bad_command');
    await assert.rejects(e.eval({ shards: [SHARD], samples: [40] }), (x: unknown) => x instanceof EngineError && x.code === 'bad_sample');
    await assert.rejects(e.request('nope'), (x: unknown) => x instanceof EngineError && x.code === 'bad_command');
    const info = await e.info();
    assert.equal(info.params, P);
    assert.equal(info.tensors?.length, 20);
  } finally {
    await e.shutdown();
  }
});

test('apply is the codec\'s outer step bit for bit on every parameter (two fp32 roundings, no fused multiply-add)', async () => {
  // θ_i ← fl(θ_i − fl(lr·u_i)) as applyUpdate computes it: a fused multiply-add (which the compiler
  // forms by itself where the CPU has FMA) rounds once and differs in the last bit for some elements,
  // so peers on different machines would drift apart after the same update
  const e = await Engine.start();
  try {
    const P = (await e.init(tiny, 11)).params;
    const flat = (path: string) => {
      const out = new Float32Array(P);
      let o = 0;
      for (const t of readCheckpoint(path).params) out.set(t, (o += t.length) - t.length);
      return out;
    };
    const u = new Float32Array(P);
    let s = 12345;
    for (let i = 0; i < P; i++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      u[i] = (s / 2 ** 31 - 0.5) * 0.01;
    }
    const upath = join(dir, 'outer.f32');
    writeFileSync(upath, Buffer.from(u.buffer));
    const before = join(dir, 'outer-before.ckpt');
    const after = join(dir, 'outer-after.ckpt');
    await e.save(before, { optimizer: false });
    await e.apply(upath, { lr: 0.37 });
    await e.save(after, { optimizer: false });
    const expect = flat(before);
    applyUpdate(expect, u, 0.37);
    const got = flat(after);
    let diff = 0;
    for (let i = 0; i < P; i++) if (!Object.is(got[i], expect[i])) diff++;
    assert.equal(diff, 0, `${diff} of ${P} parameters differ from fl(θ − fl(lr·u))`);
    // sparse, duplicates in file order: the same arithmetic
    const idx = [5, 9, 5, P - 1];
    const val = [0.3, -0.7, 0.11, 1.9];
    const spath = join(dir, 'outer-sparse.bin');
    writeSparseUpdate(spath, idx, val);
    const start = new Float32Array(await e.sampleParams(idx));
    await e.apply(spath, { lr: 0.37, format: 'sparse' });
    const want = new Map(idx.map((i, k) => [i, start[k]]));
    const l = Math.fround(0.37);
    idx.forEach((i, k) => want.set(i, Math.fround(want.get(i)! - Math.fround(l * Math.fround(val[k])))));
    assert.deepEqual(await e.sampleParams(idx), idx.map((i) => want.get(i)));
  } finally {
    await e.shutdown();
  }
});

test('malformed shards and checkpoints give clear error events; the engine keeps serving', async () => {
  const e = await Engine.start();
  try {
    await assert.rejects(e.eval({ shards: [SHARD], samples: [0] }), (x: unknown) => x instanceof EngineError && x.code === 'not_initialized');
    await e.init(tiny, 1);
    const badMagic = join(dir, 'bad-magic.bin');
    const raw = readFileSync(SHARD);
    const bm = Buffer.from(raw);
    bm.writeInt32LE(12345, 0);
    writeFileSync(badMagic, bm);
    const truncated = join(dir, 'truncated.bin');
    writeFileSync(truncated, raw.subarray(0, raw.length - 7));
    const tiny4 = join(dir, 'short.bin');
    writeFileSync(tiny4, Buffer.from([1, 2, 3, 4]));
    const badTok = join(dir, 'bad-token.bin');
    writeShard(badTok, Array.from({ length: 3 * T + 1 }, () => 60000));
    for (const [p, re] of [
      [badMagic, /bad magic 12345/],
      [truncated, /does not match its header/],
      [tiny4, /too short/],
      [badTok, /token id 60000/],
      [join(dir, 'missing.bin'), /cannot open shard/],
    ] as const) {
      await assert.rejects(
        collect(e.train({ shards: [p], samples: [0], micro_batch: 1 })),
        (x: unknown) => x instanceof EngineError && x.code === 'bad_shard' && re.test(x.message),
        `shard ${p}`,
      );
    }
    const good = join(dir, 'good.ckpt');
    await e.save(good);
    const bytes = readFileSync(good);
    const cases: [string, Buffer, RegExp][] = [
      ['garbage', Buffer.from('hello world, not a checkpoint at all'), /bad magic/],
      ['truncated', bytes.subarray(0, bytes.length - 4), /bytes; its header implies/],
      ['header', Buffer.concat([bytes.subarray(0, 16), Buffer.from('!'), bytes.subarray(17)]), /header is not valid JSON/],
      ['empty', Buffer.alloc(0), /truncated/],
    ];
    for (const [name, buf, re] of cases) {
      const p = join(dir, `bad-${name}.ckpt`);
      writeFileSync(p, buf);
      await assert.rejects(e.load(p), (x: unknown) => x instanceof EngineError && x.code === 'bad_checkpoint' && re.test(x.message), name);
    }
    // still serving, model unchanged after failed loads
    await e.load(good);
    assert.equal((await e.info()).initialized, true);
  } finally {
    await e.shutdown();
  }
  assert.equal(await waitGone(e.pid), true);
});

test('cancel stops a running train between steps; the engine keeps serving', async () => {
  const e = await Engine.start();
  try {
    await e.init(tiny, 3);
    const it = e.train({ shards: [SHARD], samples: ids(200 * B), micro_batch: B, lr: 1e-3 });
    const first = await it.next();
    assert.equal(first.done, false);
    const c = e.cancel();
    let r = await it.next();
    let n = 1;
    while (!r.done) {
      n++;
      r = await it.next();
    }
    assert.equal(r.value.cancelled, true);
    assert.equal(r.value.steps, n);
    assert.ok(n < 200);
    assert.equal((await c).cancelled, true);
    assert.equal((await e.info()).step, n);
    assert.equal((await e.cancel()).cancelled, false, 'nothing to cancel');
  } finally {
    await e.shutdown();
  }
});

test('killing the child mid-step: typed EngineError with the stderr tail, and no process left', async () => {
  const e = await Engine.start();
  await e.init(tiny, 3);
  const it = e.train({ shards: [SHARD], samples: ids(200 * B), micro_batch: B, lr: 1e-3 });
  const first = await it.next();
  assert.equal(first.done, false);
  // SIGKILL from outside (as the OOM killer would), while a step is running
  process.kill(e.pid, 'SIGKILL');
  await assert.rejects(
    (async () => {
      for await (const _ of it) {
        /* drain */
      }
    })(),
    (x: unknown) => x instanceof EngineError && x.kind === 'engine' && x.code === 'exited' && /SIGKILL/.test(x.message) && /loco-engine: ready/.test(x.stderrTail),
  );
  assert.equal(await waitGone(e.pid), true);
  await assert.rejects(e.info(), (x: unknown) => x instanceof EngineError && x.code === 'exited');
});

test('no orphans: the engine dies when its parent process is SIGKILLed mid-train', async () => {
  const script = `
    import { Engine } from ${JSON.stringify(join(ROOT, 'src', 'trainer', 'engine.ts'))};
    const e = await Engine.start();
    await e.init(${JSON.stringify(tiny)}, 1);
    const it = e.train({ shards: [${JSON.stringify(SHARD)}], samples: Array(4000).fill(0), micro_batch: 4 });
    await it.next();
    console.log(e.pid);
    for await (const _ of it) {}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /^(\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`parent exited early (${code})`)));
  });
  assert.ok(alive(pid));
  child.kill('SIGKILL');
  assert.equal(await waitGone(pid), true, `engine ${pid} outlived its SIGKILLed parent`);
});
