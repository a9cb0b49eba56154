// The window protocol on the embedded devnet: windows come from chain blocks and block timestamps,
// miners are found through their on-chain commitments (store URLs), and the validator's weights
// land on chain through set_weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useTestDevnet } from './helpers/devnet.js';
import { tempDir, writeBandedShard } from './helpers.js';
import { defaultManifest, parseManifest, serializeManifest } from '../src/protocol/manifest.js';
import { openStore } from '../src/storage/index.js';
import { ShardSet } from '../src/data/shards.js';
import { Engine } from '../src/trainer/engine.js';
import { keypairFromSeed, type Keypair } from '../src/wallet/keypair.js';
import { ChainClock, chainSetWeights, commitmentPeers, storeCommitment } from '../src/miner/chain.js';
import { debugIndices } from '../src/miner/window.js';
import { windowOf } from '../src/protocol/clock.js';
import { Miner } from '../src/miner/miner.js';
import { Validator } from '../src/validator/validator.js';

const TAO = 1_000_000_000n;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const dir = tempDir('loco-window-devnet-');
const net = useTestDevnet();

const T = 64;
const N = 64;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 777);

const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-window-devnet-${n}`).digest()));

test('on the devnet: windows from blocks, peers from commitments, weights on chain', { timeout: 240_000 }, async () => {
  const [vkey, m0, m1] = await Promise.all(['validator', 'miner0', 'miner1'].map(key));
  const eventData = (r: { events: Array<{ pallet: string; name: string; data: unknown }> }, pallet: string, name: string) =>
    r.events.find((e) => e.pallet === pallet && e.name === name)?.data as unknown[] | undefined;

  // subnet owned by Alice with the validator's hotkey; two miners registered and funded
  const created = await net.chain.submit(net.chain.tx.registerNetwork(vkey.ss58Address), net.alice, 'register_network');
  const netuid = Number(eventData(created, 'SubtensorModule', 'NetworkAdded')?.[0]);
  for (const k of [vkey, m0, m1]) await net.chain.submit(net.chain.tx.transferKeepAlive(k.ss58Address, 10n * TAO), net.alice, 'transfer');
  for (const k of [m0, m1]) await net.chain.submit(net.chain.tx.burnedRegister(netuid, k.ss58Address), net.alice, 'burned_register');
  await net.chain.submit(net.chain.tx.addStake(vkey.ss58Address, netuid, 5n * TAO), net.alice, 'add_stake');
  const uidOf = async (k: Keypair) => (await net.chain.uidOf(netuid, k.ss58Address))!;
  const vuid = await uidOf(vkey);
  const minerKeys = [m0, m1];
  const minerUids = await Promise.all(minerKeys.map(uidOf));
  const storeUrl = (u: number) => pathToFileURL(join(dir, `store-${u}`)).href;
  for (const [i, k] of minerKeys.entries()) await net.chain.submit(net.chain.tx.setCommitment(netuid, storeCommitment(storeUrl(minerUids[i]))), k, 'set_commitment');

  const peerList = await commitmentPeers(net.chain, netuid, { exclude: [vuid] });
  assert.deepEqual(peerList.map((p) => [p.uid, p.ss58, p.store.url]), minerUids.map((u, i) => [u, minerKeys[i].ss58Address, storeUrl(u)]));
  const peers = async () => peerList;

  const m = defaultManifest({ name: 'devnet-window-test', netuid, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window = { blocks_per_window: 5, upload_delta_s: 60, validator_offset: 1 };
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring.windows_per_weights = 2;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const numSamples = new ShardSet([SHARD], T).numSamples;
  const clock = new ChainClock(net.chain, m.window.blocks_per_window, 100);

  const engines = await Promise.all([0, 1, 2].map(() => Engine.start({ threads: 1 })));
  try {
    const miners = minerKeys.map(
      (k, i) => new Miner({ engine: engines[i], manifest: loaded, shards: [SHARD], numSamples, uid: minerUids[i], hotkey: k, store: openStore(storeUrl(minerUids[i])), peers, workDir: join(dir, `work-${i}`) }),
    );
    const weightsEvents: Any[] = [];
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
      nonce: (x) => new Uint8Array(createHash('sha256').update(`nonce-${x}`).digest()),
      events: (e) => e.event === 'weights' && weightsEvents.push(e),
    });
    await Promise.all([...miners.map((x) => x.initModel()), validator.initModel()]);

    // start on an odd window so that the second one processed is a weights window ((w+1) % 2 == 0)
    let w = await clock.current();
    if (w % 2 === 0) w += 1;
    await clock.waitFor(w);
    const first = w;
    for (; w < first + 2; w++) {
      await Promise.all(miners.map((x) => x.train(w)));
      await clock.waitFor(w + 1);
      const t0 = await clock.startTime(w + 1);
      assert.ok(t0.getTime() <= Date.now() && Date.now() - t0.getTime() < 60_000, 'window start comes from the block timestamp');
      assert.equal(windowOf(await net.chain.blockNumber(), m.window.blocks_per_window) >= w + 1, true);
      await Promise.all(miners.map((x) => x.upload(w)));
      const gs = await Promise.all(miners.map((x) => x.sync(w, t0)));
      for (const g of gs) assert.deepEqual(g.accepted.map((a) => a.uid), minerUids, JSON.stringify(g.rejected));
      const r = await validator.processWindow(w, t0);
      assert.deepEqual(r.gather.accepted.map((a) => a.uid), minerUids);
    }
    const probe = debugIndices(miners[0].run);
    const vals = await Promise.all(engines.map((e) => e.sampleParams(probe)));
    assert.deepEqual(vals[1], vals[0]);
    assert.deepEqual(vals[2], vals[0]);

    // the weights of the second window went on chain
    const submitted = weightsEvents.filter((e) => e.submitted);
    assert.equal(submitted.length, 1, JSON.stringify(weightsEvents));
    assert.equal(submitted[0].included, true);
    const onChain: Array<[number, number]> = ((await (net.chain.api.query as Any).subtensorModule.weights(netuid, vuid)) as Any).toJSON();
    assert.deepEqual(onChain.map(([u]) => u), submitted[0].uids.slice().sort((a: number, b: number) => a - b));
    for (const [u] of onChain) assert.ok(minerUids.includes(u));
  } finally {
    await Promise.all(engines.map((e) => e.shutdown()));
  }
});
