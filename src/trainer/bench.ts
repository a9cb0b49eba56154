// Training-engine benchmark: tokens/s and achieved GFLOP/s of the native engine for a named
// config on a synthetic shard (`loco bench train`, scripts/bench-train.ts, docs/benchmarks.md).
// FLOPs are counted two ways:
//   executed: what the engine computes per trained token = 6·N_nonemb (weight matmuls, fwd+bwd)
//             + 6·vocab_size·d (logits matmul over the real vocabulary, fwd+bwd)
//             + 6·n_layers·d·(T+1)/2·2 (causal q·kᵀ and att·v, fwd+bwd; position t attends to t+1 keys)
//   model:    flopsPerToken(config, {training: true}) (PaLM/llm.c convention: padded vocabulary,
//             full T×T attention), for comparison with other sections.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeShard } from '../data/shards.js';
import { getConfig, flopsPerToken, type ModelConfig } from './configs.js';
import { Engine, PACKAGE_ROOT, type StepEvent } from './engine.js';

export interface TrainBench {
  config: string;
  micro_batch: number;
  seq_len: number;
  steps: number;
  tokens_per_s: number;
  ms_per_step: number;
  /** Fastest single step (the machine may be shared: this is the least disturbed one). */
  best_ms_per_step: number;
  best_tokens_per_s: number;
  best_executed_gflops: number;
  executed_gflops: number;
  model_gflops: number;
  executed_flops_per_token: number;
  final_loss: number | null;
  backend: string;
  loadavg_1m: number;
}

/** FLOPs the engine executes per trained token (forward + backward). */
export function executedFlopsPerToken(c: ModelConfig, T = c.seq_len): number {
  const d = c.d_model;
  const matmul = 6 * nonEmbeddingMatmulParams(c);
  const logits = 6 * c.vocab_size * d;
  const attention = 3 * c.n_layers * 2 * 2 * d * ((T + 1) / 2);
  return matmul + logits + attention;
}

function nonEmbeddingMatmulParams(c: ModelConfig): number {
  return c.n_layers * (4 * c.d_model * c.d_model + 3 * c.d_model * c.d_ff);
}

/** A shard of n pseudo-random tokens (speed does not depend on the data). */
function syntheticShard(path: string, n: number, vocab: number, seed: number): void {
  const toks = new Uint16Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    toks[i] = s % vocab;
  }
  writeShard(path, toks);
}

export async function benchTrain(
  name: string,
  opts: { steps?: number; microBatch?: number; threads?: number; warmup?: number } = {},
): Promise<TrainBench> {
  const c = getConfig(name);
  const B = opts.microBatch ?? 8;
  const steps = opts.steps ?? 5;
  const warm = opts.warmup ?? 1;
  const T = c.seq_len;
  const dir = mkdtempSync(join(tmpdir(), 'loco-bench-train-'));
  try {
    const shard = join(dir, 'bench.bin');
    const nsamples = (steps + warm) * B;
    syntheticShard(shard, nsamples * T + 1, c.vocab_size, 42);
    const e = await Engine.start({ threads: opts.threads });
    try {
      await e.init(c, 1);
      const samples = Array.from({ length: nsamples }, (_, i) => i);
      const evs: StepEvent[] = [];
      for await (const ev of e.train({ shards: [shard], samples, micro_batch: B, steps: steps + warm, lr: 1e-3 })) evs.push(ev);
      const timed = evs.slice(warm);
      const ms = timed.reduce((a, s) => a + s.ms, 0);
      const tokens = timed.reduce((a, s) => a + s.tokens, 0);
      const tps = (tokens / ms) * 1000;
      const best = Math.min(...timed.map((s) => s.ms));
      const btps = (timed[0].tokens / best) * 1000;
      return {
        best_ms_per_step: best,
        best_tokens_per_s: btps,
        best_executed_gflops: (btps * executedFlopsPerToken(c, T)) / 1e9,
        config: name,
        micro_batch: B,
        seq_len: T,
        steps,
        tokens_per_s: tps,
        ms_per_step: ms / timed.length,
        executed_gflops: (tps * executedFlopsPerToken(c, T)) / 1e9,
        model_gflops: (tps * flopsPerToken(c, { training: true, t: T })) / 1e9,
        executed_flops_per_token: executedFlopsPerToken(c, T),
        final_loss: timed[timed.length - 1].loss,
        backend: String(e.ready.describe ?? e.ready.backend),
        loadavg_1m: loadavg()[0],
      };
    } finally {
      await e.shutdown();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine's gemm alone (kernels/build/bench-matmul): square 1024³ GFLOP/s. */
export function benchMatmul(): { gflops: number; impl: string } | null {
  const kernels = join(PACKAGE_ROOT, 'kernels');
  const mk = spawnSync('make', ['-s', '-C', kernels, 'build/bench-matmul'], { encoding: 'utf8' });
  if (mk.status !== 0) return null;
  const r = spawnSync(join(kernels, 'build', 'bench-matmul'), [], { encoding: 'utf8' });
  const line = r.stdout.split('\n').find((l) => l.includes('"square"'));
  if (!line) return null;
  const j = JSON.parse(line) as { gflops: number; impl: string };
  return { gflops: j.gflops, impl: j.impl };
}

