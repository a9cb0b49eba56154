// The run manifest (DESIGN contract 4): every hyperparameter of a run in one JSON file, created by
// the subnet owner, published as an object whose location and hash go into a chain commitment.
// Its SHA-256 over the exact bytes identifies the run: every payload carries it, object keys are
// prefixed with it, so a changed manifest is a different run.
import { readFileSync } from 'node:fs';
import { LocoError, fromFsError } from '../errors.js';
import { manifestHash } from '../codec/manifest.js';
import { getConfig, validateConfig, type ModelConfig } from '../trainer/configs.js';

export const MANIFEST_FORMAT = 'loco-run-manifest';
export const MANIFEST_VERSION = 1;

export interface RunManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** A human name for the run; not an identifier (the hash is). */
  name: string;
  netuid: number;
  /** A named config (docs/model.md) or a full config object. */
  model: string | ModelConfig;
  /** The training data: shard file names in order and the SHA-256 over their concatenated bytes. */
  dataset: { name: string; shards: string[]; sha256: string };
  /** Inner optimisation (H AdamW steps per window). */
  train: {
    inner_steps: number;
    micro_batch: number; // sequences per micro-batch
    batch: number; // sequences per inner step (a multiple of micro_batch)
    lr: number;
    min_lr_ratio: number;
    warmup_steps: number;
    total_steps: number;
    weight_decay: number;
    grad_clip: number;
  };
  sparseloco: { topk: number; chunk: number; bits: 2; ef_beta: number; outer_lr: number };
  window: { blocks_per_window: number; upload_delta_s: number; validator_offset: number };
  peers: { gather: number; reserve: number; minimum: number };
  eval: { uids_per_window: number; batch: number; eval_lr_factor: number };
  scoring: {
    openskill_beta: number;
    openskill_tau: number;
    binary_ma_alpha: number;
    sync_max_steps_behind: number;
    idx_overlap_threshold: number;
    gather_slash_threshold: number;
    reset_inactivity_windows: number;
    windows_per_weights: number;
  };
  checkpoint: { every_windows: number };
}

/** Defaults: Templar's constants where they carry over, scaled for small CPU runs where they do not. */
export function defaultManifest(over: { name?: string; netuid?: number; model?: string | ModelConfig; dataset?: RunManifest['dataset'] } = {}): RunManifest {
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    name: over.name ?? 'loco-run',
    netuid: over.netuid ?? 1,
    model: over.model ?? 'tiny',
    dataset: over.dataset ?? { name: 'default', shards: [], sha256: '0'.repeat(64) },
    train: { inner_steps: 30, micro_batch: 4, batch: 8, lr: 1e-3, min_lr_ratio: 0.1, warmup_steps: 100, total_steps: 100_000, weight_decay: 0.1, grad_clip: 1.0 },
    sparseloco: { topk: 64, chunk: 64, bits: 2, ef_beta: 0.95, outer_lr: 1.0 },
    window: { blocks_per_window: 125, upload_delta_s: 70, validator_offset: 1 },
    peers: { gather: 20, reserve: 10, minimum: 1 },
    eval: { uids_per_window: 15, batch: 8, eval_lr_factor: 0.2 },
    scoring: {
      openskill_beta: 7,
      openskill_tau: 0.1,
      binary_ma_alpha: 0.05,
      sync_max_steps_behind: 3,
      idx_overlap_threshold: 0.4,
      gather_slash_threshold: 0.4,
      reset_inactivity_windows: 3,
      windows_per_weights: 2,
    },
    checkpoint: { every_windows: 10 },
  };
}

/** Canonical bytes: the fields in the order above, two-space JSON, one trailing newline. */
export function serializeManifest(m: RunManifest): Uint8Array {
  return Buffer.from(`${JSON.stringify(m, null, 2)}\n`, 'utf8');
}

type Spec = { [k: string]: 'int' | 'pos-int' | 'num' | 'pos-num' | 'frac' | 'str' | Spec };

const SPEC: Spec = {
  train: { inner_steps: 'pos-int', micro_batch: 'pos-int', batch: 'pos-int', lr: 'pos-num', min_lr_ratio: 'frac', warmup_steps: 'int', total_steps: 'pos-int', weight_decay: 'num', grad_clip: 'pos-num' },
  sparseloco: { topk: 'pos-int', chunk: 'pos-int', bits: 'pos-int', ef_beta: 'frac', outer_lr: 'pos-num' },
  window: { blocks_per_window: 'pos-int', upload_delta_s: 'pos-num', validator_offset: 'int' },
  peers: { gather: 'pos-int', reserve: 'int', minimum: 'pos-int' },
  eval: { uids_per_window: 'pos-int', batch: 'pos-int', eval_lr_factor: 'pos-num' },
  scoring: {
    openskill_beta: 'pos-num', openskill_tau: 'num', binary_ma_alpha: 'frac', sync_max_steps_behind: 'int',
    idx_overlap_threshold: 'frac', gather_slash_threshold: 'frac', reset_inactivity_windows: 'pos-int', windows_per_weights: 'pos-int',
  },
  checkpoint: { every_windows: 'pos-int' },
};

function checkSection(what: string, spec: Spec, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new LocoError('invalidInput', `${what}: must be an object`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!(k in spec)) throw new LocoError('invalidInput', `${what}: unknown field "${k}"`);
  for (const [k, kind] of Object.entries(spec)) {
    const v = o[k];
    const at = `${what}.${k}`;
    if (typeof kind === 'object') {
      checkSection(at, kind, v);
      continue;
    }
    if (kind === 'str') {
      if (typeof v !== 'string') throw new LocoError('invalidInput', `${at}: must be a string`);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new LocoError('invalidInput', `${at}: must be a finite number`);
    const bad =
      (kind === 'int' && (!Number.isSafeInteger(v) || v < 0)) ||
      (kind === 'pos-int' && (!Number.isSafeInteger(v) || v < 1)) ||
      (kind === 'num' && v < 0) ||
      (kind === 'pos-num' && v <= 0) ||
      (kind === 'frac' && (v < 0 || v > 1));
    if (bad) throw new LocoError('invalidInput', `${at}: ${v} is out of range (${kind})`);
  }
}

/** Validate a parsed manifest; returns it typed, with the model resolved. */
export function validateManifest(raw: unknown, what = 'run manifest'): { manifest: RunManifest; model: ModelConfig } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LocoError('invalidInput', `${what}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  if (o.format !== MANIFEST_FORMAT) throw new LocoError('invalidInput', `${what}: "format" must be "${MANIFEST_FORMAT}"`);
  if (o.version !== MANIFEST_VERSION) throw new LocoError('unsupported', `${what}: version ${JSON.stringify(o.version)} is not supported (this loco reads ${MANIFEST_VERSION})`);
  const known = new Set(['format', 'version', 'name', 'netuid', 'model', 'dataset', ...Object.keys(SPEC)]);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new LocoError('invalidInput', `${what}: unknown field "${k}"`);
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 128) throw new LocoError('invalidInput', `${what}.name: a string of 1–128 characters`);
  if (!Number.isSafeInteger(o.netuid) || (o.netuid as number) < 0 || (o.netuid as number) > 65535) throw new LocoError('invalidInput', `${what}.netuid: an integer 0–65535`);
  const model = typeof o.model === 'string' ? getConfig(o.model) : validateConfig(o.model, `${what}.model`);
  const d = o.dataset as Record<string, unknown> | undefined;
  if (!d || typeof d.name !== 'string' || !Array.isArray(d.shards) || !d.shards.every((s) => typeof s === 'string') || typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) {
    throw new LocoError('invalidInput', `${what}.dataset: needs name, shards (file names) and sha256 (64 hex digits)`);
  }
  for (const section of Object.keys(SPEC)) checkSection(`${what}.${section}`, SPEC[section] as Spec, o[section]);
  const m = o as unknown as RunManifest;
  if (m.sparseloco.bits !== 2) throw new LocoError('unsupported', `${what}.sparseloco.bits: only 2-bit codes are supported`);
  if (m.train.batch % m.train.micro_batch !== 0) throw new LocoError('invalidInput', `${what}.train.batch must be a multiple of micro_batch`);
  if (m.sparseloco.topk > m.sparseloco.chunk * m.sparseloco.chunk) throw new LocoError('invalidInput', `${what}.sparseloco.topk exceeds a chunk`);
  if (m.window.upload_delta_s <= 0) throw new LocoError('invalidInput', `${what}.window.upload_delta_s must be positive`);
  return { manifest: m, model };
}

export interface LoadedManifest {
  manifest: RunManifest;
  model: ModelConfig;
  bytes: Uint8Array;
  hash: Uint8Array;
  hashHex: string;
  /** Short run id used in object keys: the first 16 hex digits of the hash. */
  runId: string;
}

export function parseManifest(bytes: Uint8Array, what = 'run manifest'): LoadedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    throw new LocoError('invalidInput', `${what}: not JSON (${(e as Error).message})`);
  }
  const { manifest, model } = validateManifest(raw, what);
  const hash = manifestHash(bytes);
  const hashHex = Buffer.from(hash).toString('hex');
  return { manifest, model, bytes, hash, hashHex, runId: hashHex.slice(0, 16) };
}

export function readManifest(path: string): LoadedManifest {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw fromFsError(e, `run manifest ${path}`);
  }
  return parseManifest(bytes, path);
}

/** Check a fetched manifest against the hash a chain commitment names. */
export function verifyManifestHash(loaded: LoadedManifest, expectedHex: string): void {
  if (loaded.hashHex !== expectedHex.toLowerCase().replace(/^0x/, '')) {
    throw new LocoError('invalidInput', `run manifest hash ${loaded.hashHex} does not match the committed ${expectedHex}`);
  }
}
