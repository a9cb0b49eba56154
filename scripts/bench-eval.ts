// Benchmarks of the ONNX evaluator (CPU) for docs/benchmarks.md:
//   node --import tsx scripts/bench-eval.ts [--configs tiny,small] [--passes N]
// Prints: ORT MatMul 1024³ GFLOP/s (default threads and 1 thread), steady-state eval tokens/s per
// config (512-token passes, after warm-up), first-pass time, and `data prepare` time on all sources.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConfig, flopsPerToken } from '../src/trainer/configs.js';
import { randomCheckpoint } from '../src/trainer/checkpoint.js';
import { evalLoss, onnxMatmulGflops, releaseSessions, EVAL_TOKENS_PER_PASS } from '../src/eval/onnx.js';
import { prepareData } from '../src/data/prepare.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : def;
};
const configs = arg('--configs', 'tiny,small').split(',');
const passes = Number(arg('--passes', '10'));

const mm = await onnxMatmulGflops();
const mm1 = await onnxMatmulGflops({ threads: 1 });
console.log(`matmul 1024^3: ${mm.msPerIter.toFixed(2)} ms = ${mm.gflops.toFixed(1)} GFLOP/s (default threads); ${mm1.msPerIter.toFixed(2)} ms = ${mm1.gflops.toFixed(1)} GFLOP/s (1 thread)`);

for (const name of configs) {
  const c = getConfig(name);
  const ck = randomCheckpoint(c, 1);
  const B = Math.max(1, Math.floor(EVAL_TOKENS_PER_PASS / c.seq_len));
  const T = c.seq_len;
  const inputs = new Uint16Array(B * T).map((_, i) => (i * 7919) % 50257);
  const targets = new Uint16Array(B * T).map((_, i) => (i * 104729 + 1) % 50257);
  const batch = { B, T, inputs, targets };
  let t = performance.now();
  await evalLoss(ck, batch); // session build + first pass (memory faulted in)
  const first = performance.now() - t;
  await evalLoss(ck, batch);
  t = performance.now();
  let loss = 0;
  for (let i = 0; i < passes; i++) loss = (await evalLoss(ck, batch)).loss;
  const ms = (performance.now() - t) / passes;
  const tps = (B * T) / (ms / 1000);
  const gf = (tps * flopsPerToken(c, { t: T })) / 1e9;
  console.log(
    `eval ${name}: B=${B} T=${T}: ${ms.toFixed(1)} ms/pass, ${Math.round(tps)} tokens/s, ${gf.toFixed(1)} GFLOP/s model FLOPs (${((100 * gf) / mm.gflops).toFixed(0)}% of MatMul), first pass incl. session ${first.toFixed(0)} ms, loss ${loss.toFixed(3)}`,
  );
  await releaseSessions();
}

const out = mkdtempSync(join(tmpdir(), 'loco-bench-data-'));
const t0 = performance.now();
const r = await prepareData({ out });
const secs = (performance.now() - t0) / 1000;
const m = r.manifest;
console.log(
  `data prepare (sotu,moby-dick): ${secs.toFixed(2)} s, ${m.sources.map((s) => `${s.name} ${s.documents} docs ${(s.bytes / 1e6).toFixed(2)} MB ${s.tokens} tokens`).join('; ')}; train ${m.splits.train.tokens} tokens / ${m.splits.train.shards} shards, val ${m.splits.val.tokens} / ${m.splits.val.shards}; sha256 ${m.sha256}`,
);
rmSync(out, { recursive: true, force: true });
