// What miners and validators share in a window (docs/mining.md): the window source, the peer list,
// gathering and checking the peers' payloads, the aggregate (median-norm clip + scatter-mean over
// the accepted payloads in uid order, so every participant computes the same bits), the sampled
// parameter positions of the sync check, and the model's initial seed.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocoError } from '../errors.js';
import { PayloadRejection, decodePayload, type DecodedPayload } from '../codec/payload.js';
import { expectationsFrom, parseCodecManifest, type CodecManifest } from '../codec/manifest.js';
import { aggregateTensor, clipScales, densify } from '../codec/sparseloco.js';
import { deriveSeed } from '../protocol/assignment.js';
import { uploadTiming } from '../protocol/clock.js';
import { keys, parseGradientKey } from '../protocol/naming.js';
import type { LoadedManifest } from '../protocol/manifest.js';
import { mapLimit, openStore, type ObjectInfo, type ObjectStore } from '../storage/index.js';
import { paramSpecs, sameModel, type ParamSpec } from '../trainer/configs.js';
import { publicKeypair } from '../wallet/keypair.js';
import type { Engine } from '../trainer/engine.js';

// ---- window source ----------------------------------------------------------------------------

/** Where the window number comes from: chain blocks, or a clock a test drives. */
export interface WindowSource {
  current(): Promise<number>;
  /** Resolves once the current window is ≥ w. */
  waitFor(w: number): Promise<void>;
  /** The (chain) time at which window w began; only asked for windows that have begun. */
  startTime(w: number): Promise<Date>;
}

/** A window clock advanced by hand (tests, demos): window w begins when `advance()` reaches it. */
export class ManualClock implements WindowSource {
  private w: number;
  private starts = new Map<number, Date>();
  private waiters: { w: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.w = start;
    this.starts.set(start, new Date());
  }

  get window(): number {
    return this.w;
  }

  /** Move to the next window (or to `to`), stamping its start with `at` (default: now). */
  advance(to = this.w + 1, at = new Date()): number {
    if (to <= this.w) throw new LocoError('invalidInput', `the clock is at window ${this.w}; cannot go to ${to}`);
    for (let x = this.w + 1; x <= to; x++) this.starts.set(x, at);
    this.w = to;
    const ready = this.waiters.filter((x) => x.w <= to);
    this.waiters = this.waiters.filter((x) => x.w > to);
    for (const x of ready) x.resolve();
    return to;
  }

  async current(): Promise<number> {
    return this.w;
  }

  waitFor(w: number): Promise<void> {
    if (w <= this.w) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ w, resolve }));
  }

  async startTime(w: number): Promise<Date> {
    const t = this.starts.get(w);
    if (!t) throw new LocoError('invalidInput', `window ${w} has not begun (the clock is at ${this.w})`);
    return t;
  }
}

/** Windows of fixed wall-clock length since the Unix epoch (no chain): window = ⌊now / seconds⌋. */
export class WallClock implements WindowSource {
  constructor(readonly seconds: number) {
    if (!(seconds > 0)) throw new LocoError('usage', `window length must be positive (got ${seconds})`);
  }
  async current(): Promise<number> {
    return Math.floor(Date.now() / (this.seconds * 1000));
  }
  async waitFor(w: number): Promise<void> {
    // 50 ms past the boundary: a file store's mtime comes from the kernel's coarse clock, which can
    // read a few ms behind Date.now(), and an upload stamped before the window's start is too_early
    const at = w * this.seconds * 1000 + WallClock.MARGIN_MS;
    while (Date.now() < at) await new Promise((r) => setTimeout(r, Math.min(1000, at - Date.now() + 1)));
  }
  static readonly MARGIN_MS = 50;
  async startTime(w: number): Promise<Date> {
    return new Date(w * this.seconds * 1000);
  }
}

/** Wait for `p`, or resolve false as soon as `signal` aborts (the loop then stops between phases). */
export async function unlessAborted(p: Promise<void>, signal?: AbortSignal): Promise<boolean> {
  if (!signal) {
    await p;
    return true;
  }
  if (signal.aborted) {
    p.catch(() => {}); // nobody waits for it now: a later failure (chain closed on shutdown) is not an error
    return false;
  }
  let onAbort: () => void = () => {};
  const aborted = new Promise<boolean>((r) => {
    onAbort = () => r(false);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p.then(() => true), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

// ---- peers ------------------------------------------------------------------------------------

export interface Peer {
  uid: number;
  /** 32-byte sr25519 public key of the hotkey */
  hotkey: Uint8Array;
  ss58: string;
  store: ObjectStore;
}

export interface PeerSpec {
  uid: number;
  hotkey: string; // SS58 address
  store: string; // storage URL
}

/** Peers from a fixed list of (uid, hotkey SS58, store URL). */
export async function staticPeers(list: readonly PeerSpec[]): Promise<Peer[]> {
  const out: Peer[] = [];
  const seen = new Set<number>();
  for (const p of list) {
    if (seen.has(p.uid)) throw new LocoError('invalidInput', `peer list: uid ${p.uid} appears twice`);
    seen.add(p.uid);
    const kp = await publicKeypair({ ss58: p.hotkey });
    out.push({ uid: p.uid, hotkey: kp.publicKey, ss58: kp.ss58Address, store: openStore(p.store) });
  }
  return out.sort((a, b) => a.uid - b.uid);
}

/**
 * Peers from a JSON file holding a list of {uid, hotkey, store} (`--peers` of mine, validate and
 * audit), validated as staticPeers does.
 */
export async function readPeersFile(path: string): Promise<Peer[]> {
  let list: PeerSpec[];
  try {
    list = JSON.parse(readFileSync(path, 'utf8')) as PeerSpec[];
  } catch (e) {
    throw new LocoError('invalidInput', `${path}: not a JSON list of {uid, hotkey, store} (${(e as Error).message})`);
  }
  if (!Array.isArray(list)) throw new LocoError('invalidInput', `${path}: not a JSON list of {uid, hotkey, store}`);
  return staticPeers(list);
}

// ---- the run ----------------------------------------------------------------------------------

/** Everything a participant derives once from the run manifest. */
export interface Run {
  loaded: LoadedManifest;
  codec: CodecManifest;
  specs: ParamSpec[];
  /** offset (in elements) of each tensor in the canonical flat order */
  offsets: number[];
  params: number;
}

export function runFrom(loaded: LoadedManifest): Run {
  const codec = parseCodecManifest(loaded.bytes);
  const specs = paramSpecs(loaded.model);
  const offsets: number[] = [];
  let n = 0;
  for (const s of specs) {
    offsets.push(n);
    n += s.numel;
  }
  return { loaded, codec, specs, offsets, params: n };
}

/** The engine's init seed: every participant starts from the same θ₀. */
export function initSeed(loaded: LoadedManifest): bigint {
  return deriveSeed('loco/init/v1', loaded.hash);
}

/** Flat positions sampled for the sync check: elements 10 and 11 of every tensor (Templar's flatten()[10:12]). */
export function debugIndices(run: Run): number[] {
  const out: number[] = [];
  run.specs.forEach((s, i) => {
    for (const j of [10, 11]) out.push(run.offsets[i] + Math.min(j, s.numel - 1));
  });
  return out;
}

export interface DebugObject {
  v: 1;
  window: number;
  uid: number;
  indices: number[];
  values: number[];
}

// ---- checkpoints --------------------------------------------------------------------------------

/** `keys.latestCheckpoint`: where a participant's newest checkpoint is. */
export interface LatestCheckpoint {
  window: number;
  key: string;
}

/** A store's newest checkpoint pointer for the run (null: none, or unreadable). */
export async function latestCheckpoint(store: ObjectStore, runId: string): Promise<LatestCheckpoint | null> {
  try {
    const got = await store.get(keys.latestCheckpoint(runId), { maxBytes: 1 << 16 });
    const x = JSON.parse(Buffer.from(got.data).toString('utf8')) as LatestCheckpoint;
    if (!Number.isSafeInteger(x.window) || x.window < 0 || typeof x.key !== 'string' || !x.key.startsWith(`${runId}/checkpoints/`)) return null;
    return x;
  } catch {
    return null;
  }
}

/** Save the engine's parameters (no optimiser state) as the checkpoint of `window` and point LATEST at it. */
export async function publishCheckpoint(engine: Engine, store: ObjectStore, runId: string, window: number, workDir: string): Promise<{ key: string; bytes: number }> {
  const path = join(workDir, `window-${window}.ckpt`);
  await engine.save(path, { window, optimizer: false });
  const bytes = readFileSync(path);
  const key = keys.checkpoint(runId, window);
  try {
    await store.put(key, bytes);
    await store.put(keys.latestCheckpoint(runId), Buffer.from(JSON.stringify({ window, key } satisfies LatestCheckpoint)));
  } finally {
    rmSync(path, { force: true });
  }
  return { key, bytes: bytes.length };
}

/**
 * Load the newest checkpoint among `stores` (the first store wins ties: pass the own store first)
 * whose window is ≤ `atMost`; returns its window, or null when there is none.
 */
export async function loadNewestCheckpoint(run: Run, engine: Engine, stores: readonly ObjectStore[], workDir: string, atMost = Infinity): Promise<number | null> {
  const runId = run.loaded.runId;
  // a parameters-only checkpoint: header + fp32 values; 64 KiB covers any header
  let best: { store: ObjectStore; at: LatestCheckpoint } | null = null;
  for (const store of stores) {
    const at = await latestCheckpoint(store, runId);
    if (at && at.window <= atMost && (!best || at.window > best.at.window)) best = { store, at };
  }
  if (!best) return null;
  const path = join(workDir, `resume-${best.at.window}.ckpt`);
  try {
    writeFileSync(path, (await best.store.get(best.at.key, { maxBytes: run.params * 4 + (1 << 16) })).data);
    const info = await engine.load(path);
    if (!sameModel(info.config, run.loaded.model)) throw new LocoError('invalidInput', `checkpoint ${best.at.key} is of another model than the run's`);
    if (info.window !== null && info.window !== best.at.window) throw new LocoError('corrupt', `checkpoint ${best.at.key} says window ${info.window}, LATEST says ${best.at.window}`);
  } finally {
    rmSync(path, { force: true });
  }
  return best.at.window;
}

/** The first window any of `stores` holds a payload for (the run's start, as far as they keep it); null: none. */
export async function earliestPayloadWindow(stores: readonly ObjectStore[], runId: string): Promise<number | null> {
  let first: number | null = null;
  for (const store of stores) {
    try {
      for (const o of await store.list(`${runId}/gradient/`)) {
        const k = parseGradientKey(runId, o.key);
        if (k && (first === null || k.window < first)) first = k.window;
        if (k) break; // listings come back in key order: windows are zero-padded
      }
    } catch {
      /* an unreachable peer says nothing */
    }
  }
  return first;
}

// ---- gather -----------------------------------------------------------------------------------

export interface Accepted {
  uid: number;
  payload: DecodedPayload;
  info: ObjectInfo;
}

export interface Rejected {
  uid: number;
  reason: string;
  message: string;
  info?: ObjectInfo;
}

export interface GatherResult {
  window: number;
  /** in uid order */
  accepted: Accepted[];
  rejected: Rejected[];
  missing: number[];
  bytes: number;
  seconds: number;
}

export interface GatherOptions {
  run: Run;
  window: number;
  peers: readonly Peer[];
  /** start of window + 1 (chain time): uploads count only in [t0, t0 + Δt] */
  nextWindowStart: Date;
  /** keep polling for missing payloads until this time (default: no waiting) */
  waitUntil?: Date;
  pollMs?: number;
  concurrency?: number;
}

/** Fetch and check every peer's payload for a window. Never throws for a peer's fault. */
export async function gather(o: GatherOptions): Promise<GatherResult> {
  const t0 = performance.now();
  const { run, window } = o;
  const m = run.loaded.manifest;
  const exp = expectationsFrom(run.codec);
  const key = (uid: number) => keys.gradient(run.loaded.runId, window, uid);
  const done = new Map<number, Accepted | Rejected>();
  let bytes = 0;
  const attempt = async (p: Peer) => {
    let got: { data: Uint8Array; info: ObjectInfo };
    try {
      const head = await p.store.head(key(p.uid));
      if (!head) return;
      const timing = uploadTiming(head.lastModified, o.nextWindowStart, m.window.upload_delta_s);
      if (timing !== 'on_time') {
        done.set(p.uid, { uid: p.uid, reason: timing, message: `uploaded at ${head.lastModified.toISOString()}`, info: head });
        return;
      }
      got = await p.store.get(key(p.uid), { maxBytes: exp.maxBytes });
    } catch (e) {
      const le = e as LocoError;
      if (le.kind === 'notFound') return;
      const reason = /more than the allowed/.test(le.message) ? 'too_large' : 'fetch_failed';
      done.set(p.uid, { uid: p.uid, reason, message: le.message });
      return;
    }
    bytes += got.data.length;
    const timing = uploadTiming(got.info.lastModified, o.nextWindowStart, m.window.upload_delta_s);
    if (timing !== 'on_time') {
      done.set(p.uid, { uid: p.uid, reason: timing, message: `uploaded at ${got.info.lastModified.toISOString()}`, info: got.info });
      return;
    }
    try {
      const payload = await decodePayload(got.data, { ...exp, expect: { ...exp.expect, window, uid: p.uid, hotkey: p.hotkey } });
      done.set(p.uid, { uid: p.uid, payload, info: got.info });
    } catch (e) {
      if (e instanceof PayloadRejection) done.set(p.uid, { uid: p.uid, reason: e.reason, message: e.message, info: got.info });
      else done.set(p.uid, { uid: p.uid, reason: 'invalid', message: (e as Error).message, info: got.info });
    }
  };
  for (;;) {
    const todo = o.peers.filter((p) => !done.has(p.uid));
    await mapLimit(todo, o.concurrency ?? 8, attempt);
    if (done.size === o.peers.length || !o.waitUntil || Date.now() >= o.waitUntil.getTime()) break;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
  }
  const accepted: Accepted[] = [];
  const rejected: Rejected[] = [];
  const missing: number[] = [];
  for (const p of o.peers) {
    const r = done.get(p.uid);
    if (!r) missing.push(p.uid);
    else if ('payload' in r) accepted.push(r);
    else rejected.push(r);
  }
  accepted.sort((a, b) => a.uid - b.uid);
  return { window, accepted, rejected, missing, bytes, seconds: (performance.now() - t0) / 1000 };
}

// ---- aggregation ------------------------------------------------------------------------------

/** The dense aggregate over all accepted payloads (uid order), in canonical flat order. */
export function aggregateDense(run: Run, accepted: readonly Accepted[]): Float32Array {
  const out = new Float32Array(run.params);
  if (accepted.length === 0) return out;
  run.specs.forEach((s, i) => {
    aggregateTensor(
      accepted.map((a) => a.payload.tensors[i]),
      out.subarray(run.offsets[i], run.offsets[i] + s.numel),
    );
  });
  return out;
}

/**
 * One peer's update alone, as a validator applies it for evaluation: each tensor decoded and
 * clipped to the median norm of that window's accepted payloads.
 */
export function singleUpdateDense(run: Run, accepted: readonly Accepted[], uid: number): Float32Array {
  const at = accepted.findIndex((a) => a.uid === uid);
  if (at < 0) throw new LocoError('invalidInput', `uid ${uid} has no accepted payload`);
  const out = new Float32Array(run.params);
  run.specs.forEach((_, i) => {
    const scales = clipScales(accepted.map((a) => a.payload.tensors[i]));
    const d = densify(accepted[at].payload.tensors[i]);
    const s = scales[at];
    const dst = out.subarray(run.offsets[i], run.offsets[i] + d.length);
    for (let j = 0; j < d.length; j++) dst[j] = d[j] * s;
  });
  return out;
}

/**
 * Fraction of top-k indices two payloads share, over all chunks of all tensors (weighted by chunks × k,
 * as gauntlet.indexOverlap); indices are ascending within a chunk, so each chunk is one merge.
 */
export function payloadOverlap(a: DecodedPayload, b: DecodedPayload): number {
  let shared = 0;
  let total = 0;
  for (let t = 0; t < Math.min(a.tensors.length, b.tensors.length); t++) {
    const A = a.tensors[t];
    const B = b.tensors[t];
    const k = A.layout.k;
    if (B.layout.k !== k || B.layout.nChunks !== A.layout.nChunks || k === A.layout.len) continue; // dense tensors carry no choice
    for (let ch = 0; ch < A.layout.nChunks; ch++) {
      let i = ch * k;
      let j = ch * k;
      const ie = i + k;
      const je = j + k;
      while (i < ie && j < je) {
        const x = A.indices[i];
        const y = B.indices[j];
        if (x === y) {
          shared++;
          i++;
          j++;
        } else if (x < y) i++;
        else j++;
      }
      total += k;
    }
  }
  return total ? shared / total : 0;
}

export function l2(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** Write a dense fp32 LE file (the engine's `apply` format). */
export function writeDense(path: string, x: Float32Array): void {
  writeFileSync(path, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
}
