// The validator's CPU evaluation engine: the model of docs/model.md run by onnxruntime-node.
// One InferenceSession per (config, graph kind) is built once and cached; weights are fed as
// inputs, so evaluating many miners' models costs no rebuild.
import * as ort from 'onnxruntime-node';
import { LocoError } from '../errors.js';
import { paramSpecs, type ModelConfig } from '../trainer/configs.js';
import type { Checkpoint } from '../trainer/checkpoint.js';
import type { Batch } from '../data/shards.js';
import { buildModelBytes } from './graph.js';
import { mulberry32 } from '../util/random.js';

export type GraphKind = 'loss' | 'last';

export interface SessionOptions {
  /** ORT intra-op threads (default: ORT's own choice, one per physical core). */
  threads?: number;
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function configKey(c: ModelConfig): string {
  const { name: _name, ...rest } = c;
  return JSON.stringify(Object.keys(rest).sort().map((k) => [k, (rest as Record<string, unknown>)[k]]));
}

/** The cached session for a config and graph kind. */
export function getSession(c: ModelConfig, kind: GraphKind, opts: SessionOptions = {}): Promise<ort.InferenceSession> {
  const key = `${kind}|${opts.threads ?? 0}|${configKey(c)}`;
  let s = sessions.get(key);
  if (!s) {
    const bytes = buildModelBytes(c, kind === 'loss' ? { loss: true } : { loss: false, logits: 'last' });
    s = ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
    }).catch((e: unknown) => {
      sessions.delete(key);
      throw new LocoError('engine', `onnxruntime could not load the ${kind} graph: ${(e as Error).message}`);
    });
    sessions.set(key, s);
  }
  return s;
}

/** Release all cached sessions (tests, long-running validators switching configs). */
export async function releaseSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const p of all) {
    try {
      await (await p).release();
    } catch {
      /* already gone */
    }
  }
}

function weightFeeds(ck: Checkpoint): Record<string, ort.Tensor> {
  const specs = paramSpecs(ck.config);
  if (ck.params.length !== specs.length) throw new LocoError('invalidInput', `checkpoint has ${ck.params.length} tensors, config needs ${specs.length}`);
  const feeds: Record<string, ort.Tensor> = {};
  specs.forEach((s, i) => {
    const t = ck.params[i]!;
    if (t.length !== s.numel) throw new LocoError('invalidInput', `${s.name}: ${t.length} values, expected ${s.numel}`);
    feeds[s.name] = new ort.Tensor('float32', t, s.shape);
  });
  return feeds;
}

function int64(tokens: ArrayLike<number>, vocab: number, what: string): BigInt64Array {
  const out = new BigInt64Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t >= vocab) throw new LocoError('invalidInput', `${what} token ${t} is outside the vocabulary (vocab_size ${vocab})`);
    out[i] = BigInt(t);
  }
  return out;
}

function checkBatch(ck: Checkpoint, b: Batch): void {
  if (b.T < 1 || b.T > ck.config.seq_len) throw new LocoError('invalidInput', `batch length T=${b.T} is outside 1 … seq_len ${ck.config.seq_len}`);
  if (b.inputs.length !== b.B * b.T || b.targets.length !== b.B * b.T) throw new LocoError('invalidInput', 'batch arrays do not match B×T');
}

export interface EvalResult {
  /** Mean cross-entropy over every token of every batch (nats). */
  loss: number;
  tokens: number;
  seconds: number;
  /** Mean loss of each sample (row), in input order across all batches. */
  sampleLosses: number[];
}

export interface EvalOptions extends SessionOptions {
  /**
   * Rows per forward pass (default: as many rows of T as fit in 512 tokens, at least 1). Every
   * pass has the same shape (the last one is padded and its padding ignored), so onnxruntime's
   * memory arena is reused instead of faulting in fresh pages for each new shape.
   */
  microBatch?: number;
}

export const EVAL_TOKENS_PER_PASS = 512;

/**
 * Mean loss of a checkpoint's model over batches: the mean over all their tokens. Per-sample
 * means come back too (the validator scores per-sample improvements).
 */
export async function evalLoss(ck: Checkpoint, batches: Batch | Batch[], opts: EvalOptions = {}): Promise<EvalResult> {
  const list = Array.isArray(batches) ? batches : [batches];
  const t0 = performance.now();
  const session = await getSession(ck.config, 'loss', opts);
  const feeds = weightFeeds(ck);
  const V = ck.config.vocab_size;
  let sum = 0;
  let tokens = 0;
  const sampleLosses: number[] = [];
  for (const b of list) {
    checkBatch(ck, b);
    const T = b.T;
    const mb = Math.max(1, opts.microBatch ?? Math.floor(EVAL_TOKENS_PER_PASS / T));
    const rows = Math.min(mb, b.B);
    for (let r0 = 0; r0 < b.B; r0 += rows) {
      const real = Math.min(rows, b.B - r0);
      const inp = new BigInt64Array(rows * T);
      const tgt = new BigInt64Array(rows * T);
      inp.set(int64(b.inputs.subarray(r0 * T, (r0 + real) * T), V, 'input'));
      tgt.set(int64(b.targets.subarray(r0 * T, (r0 + real) * T), V, 'target'));
      // Padding rows (zeros) are computed and ignored.
      feeds.tokens = new ort.Tensor('int64', inp, [rows, T]);
      feeds.targets = new ort.Tensor('int64', tgt, [rows, T]);
      const out = await session.run(feeds, ['token_losses']);
      const tl = out.token_losses!.data as Float32Array;
      for (let r = 0; r < real; r++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += tl[r * T + t]!;
        sum += s;
        sampleLosses.push(s / T);
      }
      tokens += real * T;
      for (const v of Object.values(out)) v.dispose?.();
    }
  }
  if (tokens === 0) throw new LocoError('invalidInput', 'no tokens to evaluate');
  return { loss: sum / tokens, tokens, seconds: (performance.now() - t0) / 1000, sampleLosses };
}

/** Logits of the last position for each row of tokens [B,T] (flat, B × vocab_size). */
export async function lastLogits(ck: Checkpoint, tokens: ArrayLike<number>, B: number, T: number, opts: SessionOptions = {}): Promise<Float32Array> {
  if (T < 1 || T > ck.config.seq_len) throw new LocoError('invalidInput', `context length ${T} is outside 1 … seq_len ${ck.config.seq_len}`);
  const session = await getSession(ck.config, 'last', opts);
  const feeds = weightFeeds(ck);
  feeds.tokens = new ort.Tensor('int64', int64(tokens, ck.config.vocab_size, 'input'), [B, T]);
  const out = await session.run(feeds);
  return out.last_logits!.data as Float32Array;
}


/** Pick a token from logits: argmax when temperature ≤ 0, else a softmax(logits / temperature) draw. */
export function pickToken(logits: ArrayLike<number>, temperature: number, rand: () => number): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (!(temperature > 0)) return best;
  const max = logits[best]!;
  const p = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    p[i] = Math.exp((logits[i]! - max) / temperature);
    z += p[i]!;
  }
  let r = rand() * z;
  for (let i = 0; i < p.length; i++) {
    r -= p[i]!;
    if (r <= 0) return i;
  }
  return best;
}

export interface GenerateOptions extends SessionOptions {
  tokens: number;
  temperature?: number;
  seed?: number;
  /** Called with each new token as it is chosen. */
  onToken?: (token: number) => void;
}

/** Continue `prompt` (token ids) by `opts.tokens` tokens; the context is the last seq_len tokens. */
export async function generate(ck: Checkpoint, prompt: number[], opts: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new LocoError('usage', 'the prompt is empty');
  const rand = mulberry32(opts.seed ?? 0);
  const ctx = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < opts.tokens; i++) {
    const window = ctx.slice(-ck.config.seq_len);
    const logits = await lastLogits(ck, window, 1, window.length, opts);
    const next = pickToken(logits, opts.temperature ?? 0, rand);
    ctx.push(next);
    out.push(next);
    opts.onToken?.(next);
  }
  return out;
}

export interface MatmulBench {
  n: number;
  msPerIter: number;
  gflops: number;
  iters: number;
  threads: number | 'default';
}

/**
 * The machine's fp32 GEMM ceiling as ONNX Runtime sees it: an n×n×n MatMul with both inputs fed,
 * mean time over `iters` runs after `warmup` runs. GFLOP/s = 2n³ / time.
 */
export async function onnxMatmulGflops(opts: { n?: number; iters?: number; warmup?: number; threads?: number } = {}): Promise<MatmulBench> {
  const n = opts.n ?? 1024;
  const iters = opts.iters ?? 20;
  const warmup = opts.warmup ?? 3;
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const F = onnx.TensorProto.DataType.FLOAT;
  const vi = (name: string) => ({ name, type: { tensorType: { elemType: F, shape: { dim: [{ dimValue: n }, { dimValue: n }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'matmul',
      node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'], name: 'mm' }],
      input: [vi('a'), vi('b')],
      output: [vi('c')],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), {
    ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
  });
  const a = new Float32Array(n * n);
  const b = new Float32Array(n * n);
  for (let i = 0; i < a.length; i++) {
    a[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
    b[i] = ((i * 40503) % 997) / 997 - 0.5;
  }
  const feeds = { a: new ort.Tensor('float32', a, [n, n]), b: new ort.Tensor('float32', b, [n, n]) };
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await session.run(feeds);
  const ms = (performance.now() - t0) / iters;
  await session.release();
  return { n, msPerIter: ms, gflops: (2 * n ** 3) / (ms * 1e6), iters, threads: opts.threads ?? 'default' };
}
