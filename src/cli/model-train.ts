// `loco model init` and `loco model train`: the native engine driven from the command line.
// Training order is a seeded permutation of the training split, epoch by epoch, indexed by the
// checkpoint's step counter, so a run stopped and resumed sees the same samples in the same order.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { LocoError } from '../errors.js';
import { intFlag } from './flags.js';
import { ShardSet, listShardFiles } from '../data/shards.js';
import { SplitMix64, deriveSeed, permutationPrefix } from '../protocol/assignment.js';
import { getConfig, paramCount } from '../trainer/configs.js';
import { Engine, type StepEvent } from '../trainer/engine.js';
import type { Ctx } from './context.js';

/** A required integer flag (or `dflt` when absent). */
function int(v: unknown, flag: string, min: number, dflt?: number): number {
  const n = intFlag(v, flag, min) ?? dflt;
  if (n === undefined) throw new LocoError('usage', `${flag} is required`);
  return n;
}

function num(v: unknown, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new LocoError('usage', `${flag} must be a number ≥ 0 (got ${JSON.stringify(v)})`);
  return n;
}

/** Close the engine on Ctrl-C / SIGTERM too, so no child outlives the command. */
async function withEngine<T>(fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await Engine.start();
  const stop = () => void engine.kill().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await fn(engine);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await engine.shutdown().catch(() => engine.kill());
  }
}

export async function init(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const o = cmd.opts() as { config?: string; seed?: string; out?: string; overwrite?: boolean };
  const config = getConfig(o.config ?? 'tiny');
  const seed = int(o.seed, '--seed', 0, 0);
  if (!o.out) throw new LocoError('usage', '--out FILE is required');
  if (existsSync(o.out) && !o.overwrite) throw new LocoError('alreadyExists', `${o.out} already exists; pass --overwrite to replace it`);
  const r = await withEngine(async (e) => {
    await e.init(config, seed);
    await e.save(o.out!, { optimizer: false, window: null });
    return e.info();
  });
  ctx.out.result(
    { out: o.out, config: config.name, seed, params: r.params, backend: r.describe },
    `initialised ${config.name} (${(paramCount(config) / 1e6).toFixed(2)} M parameters, seed ${seed}) → ${o.out}`,
  );
}

/** Sample ids for training steps [fromStep, fromStep + steps): epochs of seeded permutations. */
export function trainingOrder(numSamples: number, perStep: number, fromStep: number, steps: number, dataSeed: number): number[] {
  const start = fromStep * perStep;
  const end = (fromStep + steps) * perStep;
  const out: number[] = [];
  for (let epoch = Math.floor(start / numSamples); epoch * numSamples < end; epoch++) {
    const rng = new SplitMix64(deriveSeed('loco/train-order/v1', Buffer.from(`${dataSeed}:${epoch}`)));
    const perm = permutationPrefix(rng, numSamples, numSamples);
    const lo = Math.max(start, epoch * numSamples) - epoch * numSamples;
    const hi = Math.min(end, (epoch + 1) * numSamples) - epoch * numSamples;
    out.push(...perm.slice(lo, hi));
  }
  return out;
}

export async function train(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const o = cmd.opts() as Record<string, string | undefined>;
  if (!o.checkpoint) throw new LocoError('usage', '--checkpoint FILE is required');
  if (!o.data) throw new LocoError('usage', '--data DIR is required');
  const steps = int(o.steps, '--steps', 1);
  const microBatch = int(o.microBatch, '--micro-batch', 1, 8);
  const gradAccum = int(o.gradAccum, '--grad-accum', 1, 1);
  const dataSeed = int(o.dataSeed, '--data-seed', 0, 0);
  const out = o.out ?? o.checkpoint;
  const files = listShardFiles(o.data, o.data.endsWith('.bin') ? undefined : 'train');

  const summary = await withEngine(async (e) => {
    const loaded = await e.load(o.checkpoint!);
    const set = new ShardSet(files, loaded.config.seq_len);
    if (set.numSamples === 0) throw new LocoError('invalidInput', `${o.data}: the training split has no sample of ${loaded.config.seq_len + 1} tokens`);
    const perStep = microBatch * gradAccum;
    const samples = trainingOrder(set.numSamples, perStep, loaded.step, steps, dataSeed);
    const lr = num(o.lr, '--lr', 1e-3);
    const it = e.train({
      shards: files,
      samples,
      micro_batch: microBatch,
      grad_accum: gradAccum,
      steps,
      lr,
      min_lr: lr * 0.1,
      warmup_steps: int(o.warmup, '--warmup', 0, 10),
      total_steps: int(o.totalSteps, '--total-steps', 0, 0),
      weight_decay: num(o.weightDecay, '--weight-decay', 0.1),
      grad_clip: 1.0,
    });
    let first: StepEvent | undefined;
    let last: StepEvent | undefined;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        await e.save(out, { optimizer: true });
        return { done: r.value, first, last, startStep: loaded.step, config: loaded.config.name };
      }
      const s = r.value;
      first ??= s;
      last = s;
      if (ctx.out.json) {
        ctx.out.event({ event: 'step', step: s.step, inner: s.inner, loss: s.loss, lr: s.lr, grad_norm: s.grad_norm, tokens: s.tokens, tokens_per_s: s.tokens_per_s, ms: s.ms });
      }
      else ctx.out.info(`step ${String(s.step).padStart(6)}  loss ${s.loss?.toFixed(4) ?? 'nan'}  lr ${s.lr.toExponential(2)}  |g| ${s.grad_norm?.toFixed(3) ?? 'nan'}  ${Math.round(s.tokens_per_s)} tok/s  ${Math.round(s.ms)} ms`);
    }
  });
  const result = {
    checkpoint: out,
    config: summary.config,
    steps,
    from_step: summary.startStep,
    to_step: summary.done.step,
    first_loss: summary.first?.loss ?? null,
    last_loss: summary.last?.loss ?? null,
    mean_loss: summary.done.mean_loss,
    tokens: summary.done.tokens,
    seconds: summary.done.ms / 1000,
  };
  ctx.out.result(result, `trained ${steps} steps (${result.from_step} → ${result.to_step}); loss ${result.first_loss?.toFixed(4)} → ${result.last_loss?.toFixed(4)}; saved ${out}`);
}

/** The native engine as a `loco model eval` engine: the same samples the ONNX path evaluates. */
export async function evalNative(checkpointPath: string, dataPath: string, o: { samples?: number; batchSize?: number; split: 'train' | 'val' }) {
  const { spreadIds } = await import('../eval/dataset.js');
  const files = listShardFiles(dataPath, dataPath.endsWith('.bin') ? undefined : o.split);
  return withEngine(async (e) => {
    const loaded = await e.load(checkpointPath);
    const set = new ShardSet(files, loaded.config.seq_len);
    if (set.numSamples === 0) throw new LocoError('invalidInput', `${dataPath}: the ${o.split} split has no sample of ${loaded.config.seq_len + 1} tokens`);
    const ids = spreadIds(set.numSamples, o.samples ?? 64);
    const r = await e.eval({ shards: files, samples: ids, micro_batch: o.batchSize ?? Math.max(1, Math.floor(512 / loaded.config.seq_len)) });
    if (r.loss === null) throw new LocoError('invalidInput', `${checkpointPath}: the model's loss is not finite (diverged weights)`);
    return { loss: r.loss, tokens: r.tokens, samples: r.samples, seconds: r.ms / 1000 };
  });
}
