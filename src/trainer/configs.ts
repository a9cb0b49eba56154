// Named model configs (docs/model.md is the contract) and the size/FLOP arithmetic every layer
// shares: the checkpoint reader checks shapes with paramSpecs(), the ONNX evaluator binds its
// inputs in the same order, and benchmarks turn tokens/s into FLOP/s with flopsPerToken().
import { LocoError } from '../errors.js';

export interface ModelConfig {
  name: string;
  vocab_size: number;
  padded_vocab_size: number;
  seq_len: number;
  d_model: number;
  n_layers: number;
  n_heads: number;
  d_ff: number;
  rope_theta: number;
  norm_eps: number;
  init_std: number;
}

const COMMON = { vocab_size: 50257, padded_vocab_size: 50304, rope_theta: 10000, norm_eps: 1e-5, init_std: 0.02 } as const;

export const CONFIGS: Readonly<Record<string, Readonly<ModelConfig>>> = Object.freeze({
  tiny: Object.freeze({ name: 'tiny', ...COMMON, seq_len: 64, d_model: 64, n_layers: 2, n_heads: 4, d_ff: 176 }),
  small: Object.freeze({ name: 'small', ...COMMON, seq_len: 128, d_model: 256, n_layers: 4, n_heads: 8, d_ff: 688 }),
  'gpt2-124m': Object.freeze({ name: 'gpt2-124m', ...COMMON, seq_len: 1024, d_model: 768, n_layers: 12, n_heads: 12, d_ff: 2048 }),
  '1b': Object.freeze({ name: '1b', ...COMMON, seq_len: 2048, d_model: 2048, n_layers: 16, n_heads: 16, d_ff: 5504 }),
});

export const CONFIG_NAMES = Object.keys(CONFIGS);

/** A fresh (mutable) copy of a named config. */
export function getConfig(name: string): ModelConfig {
  const c = CONFIGS[name];
  if (!c) throw new LocoError('usage', `unknown model config "${name}" (known: ${CONFIG_NAMES.join(', ')})`);
  return { ...c };
}

const INT_KEYS = ['vocab_size', 'padded_vocab_size', 'seq_len', 'd_model', 'n_layers', 'n_heads', 'd_ff'] as const;
const NUM_KEYS = ['rope_theta', 'norm_eps', 'init_std'] as const;

/** Check an untrusted object is a usable model config; returns a clean copy. `what` names the source in errors. */
export function validateConfig(raw: unknown, what = 'model config'): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LocoError('invalidInput', `${what}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  const name = o.name === undefined ? 'custom' : o.name;
  if (typeof name !== 'string') throw new LocoError('invalidInput', `${what}: "name" must be a string`);
  const out: Record<string, unknown> = { name };
  for (const k of INT_KEYS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      throw new LocoError('invalidInput', `${what}: "${k}" must be a positive integer (got ${JSON.stringify(v)})`);
    }
    out[k] = v;
  }
  for (const k of NUM_KEYS) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new LocoError('invalidInput', `${what}: "${k}" must be a positive number (got ${JSON.stringify(v)})`);
    }
    out[k] = v;
  }
  const c = out as unknown as ModelConfig;
  if (c.d_model % c.n_heads !== 0) throw new LocoError('invalidInput', `${what}: d_model ${c.d_model} is not divisible by n_heads ${c.n_heads}`);
  if ((c.d_model / c.n_heads) % 2 !== 0) throw new LocoError('invalidInput', `${what}: head_dim ${c.d_model / c.n_heads} must be even for RoPE`);
  if (c.padded_vocab_size < c.vocab_size) {
    throw new LocoError('invalidInput', `${what}: padded_vocab_size ${c.padded_vocab_size} < vocab_size ${c.vocab_size}`);
  }
  if (c.padded_vocab_size % 64 !== 0) throw new LocoError('invalidInput', `${what}: padded_vocab_size ${c.padded_vocab_size} is not a multiple of 64`);
  return c;
}

/** True when two configs describe the same model (names are labels and are ignored). */
export function sameModel(a: ModelConfig, b: ModelConfig): boolean {
  return [...INT_KEYS, ...NUM_KEYS].every((k) => a[k] === b[k]);
}

export function headDim(c: ModelConfig): number {
  return c.d_model / c.n_heads;
}

export interface ParamSpec {
  name: string;
  shape: number[];
  numel: number;
  /** 2-D tensors (matrices and embed) get weight decay; norm scales do not. */
  matrix: boolean;
}

/** Parameters in the canonical order of docs/model.md. */
export function paramSpecs(c: ModelConfig): ParamSpec[] {
  const d = c.d_model;
  const specs: ParamSpec[] = [];
  const add = (name: string, shape: number[]) =>
    specs.push({ name, shape, numel: shape.reduce((a, b) => a * b, 1), matrix: shape.length === 2 });
  add('embed', [c.padded_vocab_size, d]);
  for (let i = 0; i < c.n_layers; i++) {
    const p = `layers.${i}.`;
    add(p + 'attn_norm', [d]);
    add(p + 'wq', [d, d]);
    add(p + 'wk', [d, d]);
    add(p + 'wv', [d, d]);
    add(p + 'wo', [d, d]);
    add(p + 'mlp_norm', [d]);
    add(p + 'w_gate', [c.d_ff, d]);
    add(p + 'w_up', [c.d_ff, d]);
    add(p + 'w_down', [d, c.d_ff]);
  }
  add('final_norm', [d]);
  return specs;
}

/** Total parameter count (the padded embedding included, counted once: it is tied). */
export function paramCount(c: ModelConfig): number {
  const d = c.d_model;
  return c.padded_vocab_size * d + c.n_layers * (4 * d * d + 3 * d * c.d_ff + 2 * d) + d;
}

/** Parameters outside the embedding (the usual "non-embedding" count). */
export function nonEmbeddingParamCount(c: ModelConfig): number {
  return paramCount(c) - c.padded_vocab_size * c.d_model;
}

/**
 * Matmul FLOPs per token (1 multiply-add = 2 FLOPs), with context length `t` (default seq_len):
 * forward = 2·(L·(4d² + 3·d·d_ff) + V_pad·d) for the projections and the tied output layer, plus
 * 4·L·t·d for q·kᵀ and att·v (the PaLM/llm.c convention, not halved for the causal mask).
 * Training (forward + backward) = 3 × forward. Norms, softmax and RoPE are not counted.
 */
export function flopsPerToken(c: ModelConfig, opts: { training?: boolean; t?: number } = {}): number {
  const d = c.d_model;
  const t = opts.t ?? c.seq_len;
  const fwd = 2 * (c.n_layers * (4 * d * d + 3 * d * c.d_ff) + c.padded_vocab_size * d) + 4 * c.n_layers * t * d;
  return opts.training ? 3 * fwd : fwd;
}

/** Bytes of one fp32 copy of the parameters. */
export function paramBytes(c: ModelConfig): number {
  return 4 * paramCount(c);
}
