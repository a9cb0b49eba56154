// `loco audit --window W --validator HOTKEY` against the devnet, as a third party runs it: the
// validator's store and the miners' stores come from their commitments, window start times from
// block timestamps, and the weights from the validator's set_weights on chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useTestDevnet } from './helpers/devnet.js';
import { LOCO, tempDir, writeBandedShard } from './helpers.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import type { LocoEvent } from '../src/protocol/events.js';
import { openStore } from '../src/storage/index.js';
import { ShardSet } from '../src/data/shards.js';
import { Engine } from '../src/trainer/engine.js';
import { keypairFromSeed, type Keypair } from '../src/wallet/keypair.js';
import { ChainClock, chainSetWeights, commitmentPeers, storeCommitment } from '../src/miner/chain.js';
import { Miner } from '../src/miner/miner.js';
import { Validator } from '../src/validator/validator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const TAO = 1_000_000_000n;
const dir = tempDir('loco-audit-devnet-');
const net = useTestDevnet();

const T = 64;
const N = 48;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 31337);
const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-audit-devnet-${n}`).digest()));

function loco(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: Any }> {
  const env = { ...process.env, HOME: dir, LOCO_CONFIG_DIR: join(dir, '.cfg'), NO_COLOR: '1' } as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    execFile(process.execPath, [LOCO, ...args, '--network', net.devnet.url, '--json'], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      let json: Any;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* asserted by the caller */
      }
      resolve({ code: err ? ((err as Any).code ?? -1) : 0, stdout, stderr, json });
    });
  });
}

test('loco audit on the devnet: stores from commitments, times from blocks, weights from set_weights', { timeout: 240_000 }, async () => {
  const [vkey, m0, m1] = await Promise.all(['validator', 'miner0', 'miner1'].map(key));
  const created = await net.chain.submit(net.chain.tx.registerNetwork(vkey.ss58Address), net.alice, 'register_network');
  const netuid = Number((created.events.find((e) => e.name === 'NetworkAdded')?.data as unknown[])[0]);
  for (const k of [vkey, m0, m1]) await net.chain.submit(net.chain.tx.transferKeepAlive(k.ss58Address, 10n * TAO), net.alice, 'transfer');
  for (const k of [m0, m1]) await net.chain.submit(net.chain.tx.burnedRegister(netuid, k.ss58Address), net.alice, 'burned_register');
  await net.chain.submit(net.chain.tx.addStake(vkey.ss58Address, netuid, 5n * TAO), net.alice, 'add_stake');
  const uidOf = async (k: Keypair) => (await net.chain.uidOf(netuid, k.ss58Address))!;
  const vuid = await uidOf(vkey);
  const minerKeys = [m0, m1];
  const minerUids = await Promise.all(minerKeys.map(uidOf));
  const storeUrl = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  // every participant, the validator included, commits its store
  for (const [k, u] of [...minerKeys.map((k, i) => [k, minerUids[i]] as const), [vkey, vuid] as const]) {
    await net.chain.submit(net.chain.tx.setCommitment(netuid, storeCommitment(storeUrl(u))), k, 'set_commitment');
  }
  const peerList = await commitmentPeers(net.chain, netuid, { exclude: [vuid] });
  const peers = async () => peerList;

  const m = defaultManifest({ name: 'audit-devnet', netuid, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window = { blocks_per_window: 5, upload_delta_s: 60, validator_offset: 1 };
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring.windows_per_weights = 2;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const manifestFile = join(dir, 'run.json');
  writeFileSync(manifestFile, loaded.bytes);
  const numSamples = new ShardSet([SHARD], T).numSamples;
  const clock = new ChainClock(net.chain, m.window.blocks_per_window, 100);

  const engines = await Promise.all([0, 1, 2].map(() => Engine.start({ threads: 1 })));
  const weights: Extract<LocoEvent, { event: 'weights' }>[] = [];
  let audited: number;
  try {
    const miners = minerKeys.map(
      (k, i) => new Miner({ engine: engines[i], manifest: loaded, shards: [SHARD], numSamples, uid: minerUids[i], hotkey: k, store: openStore(storeUrl(minerUids[i])), peers, workDir: join(dir, `work-${i}`) }),
    );
    const validator = new Validator({
      engine: engines[2],
      manifest: loaded,
      shards: [SHARD],
      numSamples,
      uid: vuid,
      store: openStore(storeUrl(vuid)),
      peers,
      workDir: join(dir, 'work-v'),
      setWeights: chainSetWeights(net.chain, netuid, vkey),
      events: (e) => e.event === 'weights' && weights.push(e),
    });
    await Promise.all([...miners.map((x) => x.initModel()), validator.initModel()]);
    // two windows, starting on an even one so the second is a weights window ((w+1) % 2 == 0)
    let w = await clock.current();
    if (w % 2 === 1) w += 1;
    await clock.waitFor(w);
    const first = w;
    for (; w < first + 2; w++) {
      await Promise.all(miners.map((x) => x.train(w)));
      await clock.waitFor(w + 1);
      const t0 = await clock.startTime(w + 1);
      await Promise.all(miners.map((x) => x.upload(w)));
      await Promise.all(miners.map((x) => x.sync(w, t0)));
      const r = await validator.processWindow(w, t0);
      assert.deepEqual(r.gather.accepted.map((a) => a.uid), minerUids);
    }
    audited = first + 1;
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
  const sent = weights.filter((e) => e.submitted);
  assert.equal(sent.length, 1, JSON.stringify(weights));

  const r = await loco(['audit', '--window', String(audited), '--validator', vkey.ss58Address, '--manifest', manifestFile, '--data', SHARD, '--threads', '1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rep = r.json.data;
  assert.equal(rep.match, true);
  assert.deepEqual(rep.replayed, [audited - 1, audited]);
  assert.deepEqual(rep.miners.map((x: Any) => [x.uid, x.match, x.recomputed.status]), minerUids.map((u) => [u, true, 'gathered']));
  assert.equal(rep.weights.due, true);
  assert.equal(rep.weights.chainMatch, true);
  assert.equal(rep.weights.chain.block, sent[0].block);
});
