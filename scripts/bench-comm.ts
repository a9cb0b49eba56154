// Communication overhead per window (issue #6, docs/benchmarks.md "Communication overhead"):
//   npm run bench -- comm          (or: node --import tsx scripts/bench-comm.ts)
//   env: LOCO_BENCH_COMM_WINDOWS (default 4), LOCO_BENCH_COMM_PEERS (15), LOCO_BENCH_COMM_JSON=FILE (raw numbers)
//
// (a) Measured, demo setting: the real Miner and Validator code (src/miner, src/validator), tiny
//     model, 1 validator + 3 miners, each with its own native engine (1 thread), file:// stores on
//     this machine, a manual window clock advanced as soon as the payloads are ready. Per miner and
//     window the phase events' `seconds` give compress, upload, gather (fetch + decode + signature
//     check) and apply (aggregate + outer step + sampled parameters); a separate pass over the last
//     window splits gather into fetch, decode+verify and aggregate. The window's length is the
//     demo's: 40 blocks × 250 ms = 10 s (src/demo at the time of writing).
// (b) Model, gpt2-124m on a 1 Gbit/s link with 15 peers: payload bytes from the real codec
//     (src/codec/bench.ts encodes a gpt2-124m-shaped pseudo-gradient), decode + verify and
//     aggregate times measured here for 15 peers at full size (TypeScript and the native codec),
//     the outer step's dense update measured as a 494 MB write + read + fp32 axpy, transfer times
//     from the link rate, against Templar's window (125 blocks × 12 s = 1500 s) and smaller ones.
//
// Both sequential (what the miner loop does today: communicate, then train the next window) and
// overlapped (a model: communication of window w hidden behind the training of w+1) are reported.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { decodePayload } from '../src/codec/payload.js';
import { expectationsFrom } from '../src/codec/manifest.js';
import { applyUpdate } from '../src/codec/sparseloco.js';
import { benchCodec } from '../src/codec/bench.js';
import { writeShard, ShardSet } from '../src/data/shards.js';
import { aggregateDense, ManualClock, staticPeers, writeDense, type Accepted } from '../src/miner/window.js';
import { Miner } from '../src/miner/miner.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import type { LocoEvent } from '../src/protocol/events.js';
import { keys } from '../src/protocol/naming.js';
import { openStore } from '../src/storage/index.js';
import { Engine } from '../src/trainer/engine.js';
import { Validator } from '../src/validator/validator.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';

const DEMO = { blockTimeMs: 250, blocksPerWindow: 40, innerSteps: 8, batch: 4, lr: 3e-3, uploadDeltaS: 6 };
const LINK_BPS = 1e9; // 1 Gbit/s
const REQUEST_S = 0.05; // per object request round trip to a remote store (assumed; R2/S3 PUT/GET first-byte latency is tens of ms)
const TEMPLAR_WINDOW_S = 125 * 12;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface DemoResult {
  windows: number;
  windowS: number;
  perWindow: { compress: number; upload: number; gather: number; apply: number; train: number; validatorGather: number; validatorEval: number; validatorApply: number };
  split: { fetch: number; decodeVerify: number; aggregate: number; payloadBytes: number };
  /** CPU seconds of the TypeScript side per miner and window (median): upload; gather + aggregate + outer-step bookkeeping */
  cpu: { upload: number; gatherApply: number };
  sequentialPct: number;
  overlappedPct: number;
  loadAverage: number[];
}

async function measureDemo(windows: number, log: (m: string) => void): Promise<DemoResult> {
  const dir = join(tmpdir(), `loco-bench-comm-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const T = 64;
  const N = 256;
  const shard = join(dir, 'data_train_000000.bin');
  let x = 7;
  writeShard(
    shard,
    Array.from({ length: N * T + 1 }, (_, i) => {
      x = (x * 1103515245 + 12345) >>> 0;
      return 100 + Math.min(Math.floor(i / T), N - 1) * 40 + ((x >>> 8) % 40);
    }),
  );
  const m = defaultManifest({ name: 'bench-comm', dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: DEMO.innerSteps, micro_batch: DEMO.batch, batch: DEMO.batch, lr: DEMO.lr, warmup_steps: 0 };
  m.window = { blocks_per_window: DEMO.blocksPerWindow, upload_delta_s: 60, validator_offset: 1 };
  m.eval = { ...m.eval, batch: 4 };
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const numSamples = new ShardSet([shard], T).numSamples;
  const MINERS = [0, 1, 2];
  const kp = await Promise.all([...MINERS, 9].map((u) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`bench-comm-${u}`).digest()))));
  const url = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  const peerList = await staticPeers(MINERS.map((u) => ({ uid: u, hotkey: kp[u].ss58Address, store: url(u) })));
  const peers = async () => peerList;
  const events: LocoEvent[] = [];
  const engines = await Promise.all([0, 1, 2, 3].map(() => Engine.start({ threads: 1 })));
  try {
    const miners = MINERS.map(
      (u) => new Miner({ engine: engines[u], manifest: loaded, shards: [shard], numSamples, uid: u, hotkey: kp[u], store: openStore(url(u)), peers, workDir: join(dir, `w${u}`), events: (e) => events.push(e) }),
    );
    const validator = new Validator({
      engine: engines[3],
      manifest: loaded,
      shards: [shard],
      numSamples,
      uid: 9,
      store: openStore(url(9)),
      peers,
      workDir: join(dir, 'wv'),
      events: (e) => events.push(e),
    });
    await Promise.all([...miners.map((mi) => mi.initModel()), validator.initModel()]);
    const clock = new ManualClock(0);
    const cpuUpload: number[] = [];
    const cpuSync: number[] = [];
    for (let w = 0; w < windows; w++) {
      await Promise.all(miners.map((mi) => mi.train(w)));
      clock.advance(w + 1, new Date(Date.now() - 1000));
      const t0 = await clock.startTime(w + 1);
      // one miner at a time, so the CPU seconds of this process (the TypeScript side: store I/O,
      // decode, signature checks, aggregate) belong to that miner's phase; the engine's own work in
      // `apply` runs in its child process and is in the wall time only
      for (const mi of miners) {
        const c = cpuS();
        await mi.upload(w);
        if (w > 0) cpuUpload.push(cpuS() - c);
      }
      for (const mi of miners) {
        const c = cpuS();
        const g = await mi.sync(w, t0);
        if (w > 0) cpuSync.push(cpuS() - c);
        if (g.accepted.length !== miners.length) throw new Error(`window ${w}: miner ${mi.o.uid} gathered ${g.accepted.length} payloads`);
      }
      await validator.processWindow(w, t0);
      log(`demo window ${w} done`);
    }
    // the last window again, split: fetch, decode + verify, aggregate (as gather() and the apply phase do them)
    const w = windows - 1;
    const run = miners[0].run;
    const exp = expectationsFrom(run.codec);
    let fetch = 0;
    let dec = 0;
    let bytes = 0;
    const accepted: Accepted[] = [];
    for (const p of peerList) {
      let t = performance.now();
      const got = await p.store.get(keys.gradient(loaded.runId, w, p.uid), { maxBytes: exp.maxBytes });
      fetch += (performance.now() - t) / 1000;
      bytes += got.data.length;
      t = performance.now();
      const payload = await decodePayload(got.data, { ...exp, expect: { ...exp.expect, window: w, uid: p.uid, hotkey: p.hotkey } });
      dec += (performance.now() - t) / 1000;
      accepted.push({ uid: p.uid, payload, info: got.info });
    }
    let t = performance.now();
    aggregateDense(run, accepted);
    const agg = (performance.now() - t) / 1000;

    // per window (skipping window 0: JIT and page-cache warm-up), per miner, median
    const phase = (role: string, name: string, win: number) =>
      events.filter((e) => e.role === role && e.window === win && e.event === 'phase' && e.phase === name && e.state === 'end').map((e) => (e as { seconds?: number }).seconds ?? 0);
    const stat = (role: string, name: string) => median(Array.from({ length: windows - 1 }, (_, i) => median(phase(role, name, i + 1))));
    const uploadS = median(events.filter((e) => e.event === 'upload' && (e.window ?? 0) > 0).map((e) => (e as { seconds: number }).seconds));
    const gatherS = median(events.filter((e) => e.event === 'gather' && e.role === 'miner' && (e.window ?? 0) > 0).map((e) => (e as { seconds: number }).seconds));
    const perWindow = {
      compress: stat('miner', 'compress'),
      upload: uploadS,
      gather: gatherS,
      apply: stat('miner', 'apply'),
      train: stat('miner', 'train'),
      validatorGather: stat('validator', 'gather'),
      validatorEval: stat('validator', 'eval'),
      validatorApply: stat('validator', 'apply'),
    };
    const windowS = (DEMO.blocksPerWindow * DEMO.blockTimeMs) / 1000;
    const comm = perWindow.upload + perWindow.gather + perWindow.apply;
    t = performance.now();
    return {
      windows,
      windowS,
      perWindow,
      split: { fetch: fetch, decodeVerify: dec, aggregate: agg, payloadBytes: bytes / peerList.length },
      cpu: { upload: median(cpuUpload), gatherApply: median(cpuSync) },
      sequentialPct: (100 * comm) / windowS,
      // overlapped model: upload, gather and the aggregate hidden behind the next window's training;
      // the engine's outer step (apply minus the aggregate) stays on the critical path
      overlappedPct: (100 * Math.max(0, perWindow.apply - agg)) / windowS,
      loadAverage: loadavg(),
    };
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ModelResult {
  peers: number;
  payloadBytes: number;
  denseBytes: number;
  ratio: number;
  uploadS: number;
  downloadS: number;
  decodeVerifyS: number;
  decodeVerifyCpuS: number;
  aggregateTsS: number;
  aggregateTsCpuS: number;
  aggregateNativeS: number | null;
  aggregateNativeCpuS: number | null;
  applyS: number;
  applyCpuS: number;
  loadAverage: number[];
}

async function measureModel(peers: number, log: (m: string) => void): Promise<ModelResult> {
  const r = await benchCodec({ config: 'gpt2-124m', peers, seed: 1, native: true, log });
  // the outer step's dense update: write the fp32 file the engine reads, read it back, θ ← θ − lr·u
  const dense = new Float32Array(r.values).fill(1e-4);
  const theta = new Float32Array(r.values).fill(0.01);
  const path = join(tmpdir(), `loco-bench-comm-update-${process.pid}.f32`);
  const c0 = cpuS();
  const t0 = performance.now();
  writeDense(path, dense);
  const back = readFileSync(path);
  applyUpdate(theta, new Float32Array(back.buffer, back.byteOffset, r.values), 1);
  const applyS = (performance.now() - t0) / 1000;
  const applyCpuS = cpuS() - c0;
  rmSync(path, { force: true });
  const bits = 8 * r.wire.bytes;
  return {
    peers,
    payloadBytes: r.wire.bytes,
    denseBytes: r.wire.denseFp32Bytes,
    ratio: r.wire.ratio,
    uploadS: bits / LINK_BPS + REQUEST_S,
    // 15 payloads share the link; requests go 8 at a time (gather's concurrency)
    downloadS: (peers * bits) / LINK_BPS + Math.ceil(peers / 8) * REQUEST_S,
    decodeVerifyS: r.ts.decodeS + r.ts.verifyS,
    decodeVerifyCpuS: r.tsCpu.decodeVerifyS,
    aggregateTsS: r.ts.aggregateS,
    aggregateTsCpuS: r.tsCpu.aggregateS,
    aggregateNativeS: r.native?.aggregate_s ?? null,
    aggregateNativeCpuS: r.native?.aggregate_cpu_s ?? null,
    applyS,
    applyCpuS,
    loadAverage: loadavg(),
  };
}

const f = (x: number, d = 3) => x.toFixed(d);
const pct = (x: number) => `${x < 0.1 ? x.toFixed(3) : x.toFixed(2)} %`;

export function report(d: DemoResult, g: ModelResult, cmd: string): string {
  const p = d.perWindow;
  const commDemo = p.upload + p.gather + p.apply;
  // gpt2-124m: the communication path of one miner per window, sequential, with TS decode/aggregate
  // (what the code does today) and with the native aggregate (what kernels/ offers)
  const seqTs = g.uploadS + g.downloadS + g.decodeVerifyS + g.aggregateTsS + g.applyS;
  const seqCpuTs = g.uploadS + g.downloadS + g.decodeVerifyCpuS + g.aggregateTsCpuS + g.applyCpuS;
  const seqNative = g.aggregateNativeCpuS === null ? null : g.uploadS + g.downloadS + g.decodeVerifyCpuS + g.aggregateNativeCpuS + g.applyCpuS;
  const windows = [TEMPLAR_WINDOW_S, 300, 60];
  const row = (name: string, s: number | null) =>
    s === null ? '' : `| ${name} | ${f(s, 2)} s | ${windows.map((W) => pct((100 * s) / W)).join(' | ')} | ${f(s / 0.03, 0)} s |`;
  return [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB, Node ${process.version}; load average during the run ${g.loadAverage.map((x) => x.toFixed(1)).join(' / ')} (shared machine).`,
    `Command: \`${cmd}\``,
    '',
    `### (a) Measured: demo setting (tiny, 1 validator + 3 miners, file:// stores, real Miner/Validator code)`,
    '',
    `${d.windows} windows, median over windows 1…${d.windows - 1} and the 3 miners; window length ${d.windowS} s (${DEMO.blocksPerWindow} blocks × ${DEMO.blockTimeMs} ms, the demo's); H = ${DEMO.innerSteps}, batch ${DEMO.batch}; 4 engines (1 thread each) on the 2 cores, load average ${d.loadAverage.map((x) => x.toFixed(1)).join(' / ')} at the end. Wall seconds from the phase events.`,
    '',
    '| per miner and window | seconds | share of the 10 s window |',
    '|---|---|---|',
    `| train (H inner steps, not communication) | ${f(p.train)} | ${pct((100 * p.train) / d.windowS)} |`,
    `| compress (Δ, error feedback, top-k, 2-bit, sign; not counted below) | ${f(p.compress)} | ${pct((100 * p.compress) / d.windowS)} |`,
    `| upload (put into the own store) | ${f(p.upload)} | ${pct((100 * p.upload) / d.windowS)} |`,
    `| gather (3 × head + get + decode + signature check) | ${f(p.gather)} | ${pct((100 * p.gather) / d.windowS)} |`,
    `| apply (aggregate + outer step in the engine + sampled parameters put) | ${f(p.apply)} | ${pct((100 * p.apply) / d.windowS)} |`,
    `| **communication, sequential** (upload + gather + apply) | **${f(commDemo)}** | **${pct(d.sequentialPct)}** |`,
    `| communication, overlapped (model: only the engine's outer step on the critical path) | ${f(Math.max(0, p.apply - d.split.aggregate))} | ${pct(d.overlappedPct)} |`,
    `| validator: gather / eval / apply | ${f(p.validatorGather)} / ${f(p.validatorEval)} / ${f(p.validatorApply)} | |`,
    `| TypeScript CPU seconds (robust to load): upload / gather + apply | ${f(d.cpu.upload, 4)} / ${f(d.cpu.gatherApply, 4)} | ${pct((100 * (d.cpu.upload + d.cpu.gatherApply)) / d.windowS)} |`,
    '',
    `Split of the last window (one pass, 3 payloads of ${Math.round(d.split.payloadBytes).toLocaleString('en-US')} B): fetch ${f(d.split.fetch, 4)} s, decode + verify ${f(d.split.decodeVerify, 4)} s, aggregate ${f(d.split.aggregate, 4)} s.`,
    '',
    `### (b) Model: gpt2-124m, ${g.peers} peers, 1 Gbit/s link`,
    '',
    `Payload ${g.payloadBytes.toLocaleString('en-US')} B from the real codec (${f(g.ratio, 1)}× smaller than the ${g.denseBytes.toLocaleString('en-US')} B dense fp32 Δ). Transfers at ${LINK_BPS / 1e9} Gbit/s plus ${REQUEST_S * 1000} ms per request round (assumed); decode, verify and aggregate measured here for ${g.peers} full-size payloads.`,
    '',
    '| step (one miner, one window) | seconds | how |',
    '|---|---|---|',
    `| upload own payload | ${f(g.uploadS)} | ${g.payloadBytes} B × 8 / 1 Gbit/s + one request |`,
    `| download ${g.peers} payloads | ${f(g.downloadS)} | ${g.peers} × ${g.payloadBytes} B over the same link, 8 requests at a time |`,
    `| decode + verify ${g.peers} payloads (TypeScript) | ${f(g.decodeVerifyS)} wall / ${f(g.decodeVerifyCpuS)} CPU | measured |`,
    `| aggregate ${g.peers} peers (TypeScript) | ${f(g.aggregateTsS)} wall / ${f(g.aggregateTsCpuS)} CPU | measured |`,
    g.aggregateNativeS === null ? '| aggregate (native) | not measured | |' : `| aggregate ${g.peers} peers (native, 2 threads) | ${f(g.aggregateNativeS)} wall / ${f(g.aggregateNativeCpuS!)} CPU | measured |`,
    `| outer step: write + read the 494 MB dense update, θ −= u | ${f(g.applyS)} wall / ${f(g.applyCpuS)} CPU | measured (TypeScript axpy standing in for the engine's) |`,
    '',
    `| communication per window | seconds | of 1500 s (Templar: 125 blocks × 12 s) | of 300 s | of 60 s | window for 3 % |`,
    '|---|---|---|---|---|---|',
    row('sequential, TypeScript decode/aggregate (wall, loaded machine)', seqTs),
    row('sequential, TypeScript (CPU seconds: an idle 2-core machine)', seqCpuTs),
    row('sequential, native aggregate (CPU seconds)', seqNative),
    row('overlapped (model), wall: only the outer step on the critical path', g.applyS),
    row('overlapped (model), CPU seconds', g.applyCpuS),
    '',
  ].join('\n');
}

export async function benchComm(): Promise<string> {
  // options through the environment (`npm run bench -- comm` passes section names only)
  const env = process.env;
  const windows = Number(env.LOCO_BENCH_COMM_WINDOWS ?? 4);
  const peers = Number(env.LOCO_BENCH_COMM_PEERS ?? 15);
  const log = (m: string) => console.error(m);
  const d = await measureDemo(windows, log);
  log(`demo: ${JSON.stringify(d)}`);
  const g = await measureModel(peers, log);
  log(`model: ${JSON.stringify(g)}`);
  if (env.LOCO_BENCH_COMM_JSON) writeFileSync(env.LOCO_BENCH_COMM_JSON, JSON.stringify({ demo: d, model: g }, null, 2));
  const set = ['LOCO_BENCH_COMM_WINDOWS', 'LOCO_BENCH_COMM_PEERS'].filter((k) => env[k]).map((k) => `${k}=${env[k]} `).join('');
  return report(d, g, `${set}npm run bench -- comm`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await benchComm());
