// Restarts at the process level (issue #6): two `loco mine` processes and one `loco validate`
// process on wall-clock windows with a static peer list and file:// stores. Miner 0 is killed with
// SIGKILL in the middle of a window's training (its engine child must die with it), restarted with
// the same command line, resumes from its own published checkpoint, replays the outer steps since
// then from the stored payloads, and must get a positive sync score from the validator within two
// windows. Then the validator is killed with SIGKILL and restarted: it keeps its ratings (the next
// indicator average continues from the saved one) and, having rebuilt its model from its checkpoint
// and the stored payloads, still finds both miners in sync. Also: a miner that joins before any
// checkpoint exists replays the run from θ₀ over the stored payloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCO, tempDir } from './helpers.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { openStore } from '../src/storage/index.js';
import { Engine } from '../src/trainer/engine.js';
import { ManualClock, staticPeers, debugIndices } from '../src/miner/window.js';
import { Miner } from '../src/miner/miner.js';
import { parseEvent, type LocoEvent } from '../src/protocol/events.js';
import { getConfig } from '../src/trainer/configs.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { writeHotkey } from '../src/wallet/wallet.js';
import { writeShard } from '../src/data/shards.js';
import { mulberry32 } from '../src/util/random.js';

const WINDOW_S = 5;

interface Proc {
  name: string;
  child: ChildProcess;
  events: LocoEvent[];
  stderr: string;
  exited: Promise<number | null>;
}

test('a SIGKILLed loco mine is back in sync within two windows; a SIGKILLed loco validate keeps its ratings and its model', { timeout: 200_000 }, async () => {
  const home = tempDir('loco-restart-');
  const T = 64;
  const N = 32;
  const shard = join(home, 'data_train_000000.bin');
  const rand = mulberry32(4242);
  writeShard(shard, Array.from({ length: N * T + 1 }, (_, i) => 100 + Math.min(Math.floor(i / T), N - 1) * 40 + Math.floor(rand() * 40)));
  // tiny with a 4,096-id vocabulary (the data uses fewer than 1,400 ids): every engine call ~10× cheaper
  const m = defaultManifest({ name: 'restart-test', model: { ...getConfig('tiny'), vocab_size: 4096, padded_vocab_size: 4096 }, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window.upload_delta_s = 2;
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.checkpoint.every_windows = 2;
  const manifestPath = join(home, 'run.json');
  writeFileSync(manifestPath, serializeManifest(m));

  const wallets = join(home, 'wallets');
  const names = ['m0', 'm1', 'v'];
  const kps = await Promise.all(names.map((n) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-restart-${n}`).digest()))));
  for (const [i, n] of names.entries()) await writeHotkey({ path: wallets, name: 'w' }, n, kps[i], {});
  const store = (n: string) => pathToFileURL(join(home, `store-${n}`)).href;
  const peersPath = join(home, 'peers.json');
  writeFileSync(peersPath, JSON.stringify([0, 1].map((u) => ({ uid: u, hotkey: kps[u].ss58Address, store: store(`m${u}`) }))));

  const args = (role: 'mine' | 'validate', name: string, uid: number) => [
    LOCO, role, '--json', '--wallet-path', wallets, '--wallet-name', 'w', '--hotkey', name,
    '--manifest', manifestPath, '--data', shard, '--store', store(name), '--peers', peersPath, '--uid', String(uid),
    '--window-seconds', String(WINDOW_S), '--threads', '1', '--work-dir', join(home, `work-${name}`),
  ];
  const env = { ...process.env, HOME: home, LOCO_CONFIG_DIR: join(home, '.config-loco'), NO_COLOR: '1' };
  const procs: Proc[] = [];
  const start = (name: string, argv: string[]): Proc => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const p: Proc = { name, child, events: [], stderr: '', exited: new Promise((r) => child.on('exit', (code) => r(code))) };
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const e = parseEvent(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (e) p.events.push(e);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (p.stderr = (p.stderr + d.toString()).slice(-4000)));
    procs.push(p);
    return p;
  };
  const wait = async (what: string, ok: () => boolean, timeoutS: number) => {
    const until = Date.now() + timeoutS * 1000;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => `--- ${p.name} (${p.events.length} events) stderr:\n${p.stderr}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const nowWindow = () => Math.floor(Date.now() / 1000 / WINDOW_S);
  const childrenOf = (pid: number) =>
    spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .map((x) => Number(x.trim()))
      .filter((x) => x > 0);
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  try {
    let m0 = start('m0', args('mine', 'm0', 0));
    start('m1', args('mine', 'm1', 1));
    let v = start('v', args('validate', 'v', 9));

    // miner 0 has published a checkpoint; kill it as it starts training a later window
    await wait('miner 0 to publish a checkpoint', () => m0.events.some((e) => e.event === 'checkpoint'), 60);
    const seen = m0.events.length;
    await wait('miner 0 to start training', () => m0.events.slice(seen).some((e) => e.event === 'inner_step' || (e.event === 'phase' && e.phase === 'train' && e.state === 'start')), 30);
    const engines = childrenOf(m0.child.pid!);
    assert.ok(engines.length >= 1, 'miner 0 has its engine child');
    const killedIn = nowWindow();
    m0.child.kill('SIGKILL');
    assert.equal(await m0.exited, null);
    await wait('miner 0\'s engine to die with it', () => engines.every((pid) => !alive(pid)), 10);

    // restart with the same command line: it resumes from its checkpoint and replays since then
    m0 = start('m0 (restarted)', args('mine', 'm0', 0));
    const spawnedIn = nowWindow();
    await wait('the restarted miner to load its checkpoint', () => m0.events.some((e) => e.event === 'checkpoint' && e.loaded), 30);
    // "back" from the window in which the new process is up (a loaded machine takes seconds to start node, unlock, start the engine)
    const restartedIn = nowWindow();
    // the validator scores miner 0 in sync for a window the restarted process trained: within two windows
    const backInSync = () =>
      v.events.find((e) => e.event === 'evaluation' && e.peer === 0 && e.window! >= restartedIn && e.sync > 0) as (LocoEvent & { event: 'evaluation' }) | undefined;
    await wait('a positive sync score for the restarted miner', () => !!backInSync(), 60);
    const back = backInSync()!;
    const trace = () =>
      [
        ...m0.events.filter((e) => e.event !== 'inner_step').map((e) => `m0 ${e.t.slice(11, 23)} w${e.window} ${e.event}${e.event === 'phase' ? ` ${e.phase} ${e.state}` : ''}${e.event === 'gather' ? ` ${JSON.stringify({ a: e.accepted, r: e.rejected, m: e.missing })}` : ''}`),
        ...v.events.filter((e) => e.event === 'evaluation' || e.event === 'penalty').map((e) => `v  ${e.t.slice(11, 23)} w${e.window} ${JSON.stringify(e).slice(60, 260)}`),
      ].join('\n');
    assert.ok(back.window! <= restartedIn + 1, `back in sync only in window ${back.window} (killed in ${killedIn}, restarted in ${spawnedIn}, up in ${restartedIn})\n${trace()}`);
    // and it trained that window itself: the payload the validator scored came from the new process
    assert.ok(m0.events.some((e) => e.event === 'upload' && e.window === back.window), 'the restarted process uploaded the scored window');

    // the validator: SIGKILL, restart with the same work dir
    const statePath = join(home, 'work-v', 'validator-state.json');
    await wait('the validator to save its state', () => {
      try {
        return JSON.parse(readFileSync(statePath, 'utf8')).lastWindow >= back.window!;
      } catch {
        return false;
      }
    }, 30);
    v.child.kill('SIGKILL');
    await v.exited;
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as { lastWindow: number; gauntlet: { peers: Array<{ uid: number; binaryMA: number; mu: number }> } };
    v = start('v (restarted)', args('validate', 'v', 9));
    const next = () => v.events.find((e) => e.event === 'evaluation' && e.peer === 1) as (LocoEvent & { event: 'evaluation' }) | undefined;
    await wait('the restarted validator to score miner 1', () => !!next(), 60);
    const e1 = next()!;
    assert.equal(e1.window, saved.lastWindow + 1, 'the restarted validator continues after its last saved window');
    const before = saved.gauntlet.peers.find((p) => p.uid === 1)!;
    const alpha = m.scoring.binary_ma_alpha;
    assert.ok(Math.abs(e1.binary_ma - ((1 - alpha) * before.binaryMA + alpha * e1.indicator)) < 1e-9, `indicator average ${e1.binary_ma} does not continue from the saved ${before.binaryMA}`);
    assert.ok(before.mu !== 25, 'miner 1 had been rated before the restart');
    const replayed = v.events.filter((e) => e.event === 'outer_step' && e.window! <= saved.lastWindow).length;
    assert.ok(v.events.some((e) => e.event === 'checkpoint' && e.loaded) || replayed > 0, 'the restarted validator rebuilt its model (checkpoint and/or replayed outer steps)');
    assert.ok(e1.sync > 0, `the restarted validator finds miner 1 out of sync (${e1.sync}): its model was not rebuilt`);
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))])));
    for (const [i, p] of procs.entries()) if (codes[i] === 'timeout') p.child.kill('SIGKILL');
  }
});

test('a miner that joins before any checkpoint replays from θ₀ over the stored payloads to the same bits', { timeout: 120_000 }, async () => {
  const dir = tempDir('loco-late-join-');
  const T = 64;
  const N = 16;
  const shard = join(dir, 'data_train_000000.bin');
  writeShard(shard, Array.from({ length: N * T + 1 }, (_, i) => 100 + ((i * 131) % 900)));
  const m = defaultManifest({ name: 'late-join', model: { ...getConfig('tiny'), vocab_size: 4096, padded_vocab_size: 4096 }, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window.upload_delta_s = 60;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const kps = await Promise.all([0, 1].map((u) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`late-join-${u}`).digest()))));
  const url = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  const list = await staticPeers(kps.map((k, u) => ({ uid: u, hotkey: k.ss58Address, store: url(u) })));
  const engines = await Promise.all([0, 1].map(() => Engine.start({ threads: 1 })));
  try {
    const miner = (u: number) => new Miner({ engine: engines[u], manifest: loaded, shards: [shard], numSamples: N, uid: u, hotkey: kps[u], store: openStore(url(u)), peers: async () => list, workDir: join(dir, `w${u}`) });
    const a = miner(0);
    assert.equal(await a.resume(), null, 'a fresh run: θ₀, nothing to replay');
    const clock = new ManualClock(3);
    for (let w = 3; w < 5; w++) {
      await a.train(w);
      clock.advance(w + 1, new Date(Date.now() - 1000));
      await a.upload(w);
      await a.sync(w, await clock.startTime(w + 1));
    }
    const b = miner(1);
    const from = await b.resume();
    assert.equal(from, 2, 'no checkpoint: θ₀ and a replay from the first window with payloads (3)');
    assert.equal(await b.catchUp(from! + 1, 4, (x) => clock.startTime(x)), 2);
    const probe = [...debugIndices(a.run), ...Array.from({ length: 50 }, (_, i) => i * 7001)];
    assert.deepEqual(await engines[1].sampleParams(probe), await engines[0].sampleParams(probe));
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
});
