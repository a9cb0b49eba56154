// A small subnet on the test devnet, shared by test/audit-devnet.test.ts and test/window-devnet.test.ts:
// a validator and two miners, the window protocol's manifest for it, and the two miners and the validator
// driven window by window (no role-loop timers): train in w; once w+1 begins, upload, gather (sync) and
// the validator's processWindow of w.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestDevnet } from './devnet.js';
import { defaultManifest, parseManifest, serializeManifest, type LoadedManifest } from '../../src/protocol/manifest.js';
import type { WeightsEvent } from '../../src/protocol/events.js';
import { openStore } from '../../src/storage/index.js';
import { ShardSet } from '../../src/data/shards.js';
import { Engine } from '../../src/trainer/engine.js';
import { keypairFromSeed, type Keypair } from '../../src/wallet/keypair.js';
import { ChainClock, chainSetWeights, commitmentPeers, storeCommitment } from '../../src/miner/chain.js';
import type { GatherResult, Peer } from '../../src/miner/window.js';
import { Miner } from '../../src/miner/miner.js';
import { Validator, type ValidatorOptions, type WindowReport } from '../../src/validator/validator.js';
import { RAO_PER_TAO as TAO } from '../../src/chain/amount.js';

export interface SubnetOptions {
  /** stores (`store-<uid>`) and work folders go here */
  dir: string;
  /** key `n` ('validator', 'miner0', 'miner1') is derived from sha256(keyPrefix + n) */
  keyPrefix: string;
  manifestName: string;
  /** the one training shard, named data_train_000000.bin, of `seqLen`-token samples */
  shard: string;
  seqLen: number;
  /** the validator commits its own store too (the miners always do) */
  commitValidatorStore?: boolean;
}

export interface Subnet {
  netuid: number;
  vkey: Keypair;
  vuid: number;
  minerKeys: Keypair[];
  minerUids: number[];
  storeUrl: (uid: number) => string;
  /** the miners, as commitmentPeers finds them (the validator excluded) */
  peerList: Peer[];
  loaded: LoadedManifest;
  numSamples: number;
  clock: ChainClock;
  shard: string;
  dir: string;
}

/**
 * A subnet owned by Alice with the validator's hotkey, two miners registered (burned_register) and
 * funded, the validator staked; every miner commits its file:// store URL. The manifest: two inner
 * steps of micro-batch 2, windows of 5 blocks, weights every 2 windows.
 */
export async function setUpSubnet(net: TestDevnet, o: SubnetOptions): Promise<Subnet> {
  const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`${o.keyPrefix}${n}`).digest()));
  const [vkey, m0, m1] = await Promise.all(['validator', 'miner0', 'miner1'].map(key));
  const created = await net.chain.submit(net.chain.tx.registerNetwork(vkey.ss58Address), net.alice, 'register_network');
  const netuid = Number((created.events.find((e) => e.pallet === 'SubtensorModule' && e.name === 'NetworkAdded')?.data as unknown[] | undefined)?.[0]);
  for (const k of [vkey, m0, m1]) await net.chain.submit(net.chain.tx.transferKeepAlive(k.ss58Address, 10n * TAO), net.alice, 'transfer');
  for (const k of [m0, m1]) await net.chain.submit(net.chain.tx.burnedRegister(netuid, k.ss58Address), net.alice, 'burned_register');
  await net.chain.submit(net.chain.tx.addStake(vkey.ss58Address, netuid, 5n * TAO), net.alice, 'add_stake');
  const uidOf = async (k: Keypair) => (await net.chain.uidOf(netuid, k.ss58Address))!;
  const vuid = await uidOf(vkey);
  const minerKeys = [m0, m1];
  const minerUids = await Promise.all(minerKeys.map(uidOf));
  const storeUrl = (u: number) => pathToFileURL(join(o.dir, `store-${u}`)).href;
  const committers = minerKeys.map((k, i) => [k, minerUids[i]] as const);
  if (o.commitValidatorStore) committers.push([vkey, vuid] as const);
  for (const [k, u] of committers) await net.chain.submit(net.chain.tx.setCommitment(netuid, storeCommitment(storeUrl(u))), k, 'set_commitment');
  const peerList = await commitmentPeers(net.chain, netuid, { exclude: [vuid] });

  const m = defaultManifest({ name: o.manifestName, netuid, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
  m.train = { ...m.train, inner_steps: 2, micro_batch: 2, batch: 2, lr: 4e-3, warmup_steps: 0 };
  m.window = { blocks_per_window: 5, upload_delta_s: 60, validator_offset: 1 };
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring.windows_per_weights = 2;
  m.checkpoint.every_windows = 1000;
  const loaded = parseManifest(serializeManifest(m));
  const numSamples = new ShardSet([o.shard], o.seqLen).numSamples;
  const clock = new ChainClock(net.chain, m.window.blocks_per_window, 100);
  return { netuid, vkey, vuid, minerKeys, minerUids, storeUrl, peerList, loaded, numSamples, clock, shard: o.shard, dir: o.dir };
}

export interface Participants {
  /** one engine per miner, then the validator's */
  engines: Engine[];
  miners: Miner[];
  validator: Validator;
  /** the validator's 'weights' events */
  weights: WeightsEvent[];
  /** shuts the engines down */
  shutdown: () => Promise<void>;
}

/**
 * Three engines (one thread each), the two miners and the validator (weights through set_weights with
 * the validator's hotkey, peers the subnet's peerList), their models initialised. The caller shuts the
 * engines down with `shutdown` (here on failure).
 */
export async function startParticipants(net: TestDevnet, s: Subnet, opts: { nonce?: ValidatorOptions['nonce'] } = {}): Promise<Participants> {
  const engines = await Promise.all([0, 1, 2].map(() => Engine.start({ threads: 1 })));
  const shutdown = async () => void (await Promise.all(engines.map((e) => e.shutdown())));
  try {
    const peers = async () => s.peerList;
    const common = { manifest: s.loaded, shards: [s.shard], numSamples: s.numSamples, peers };
    const miners = s.minerKeys.map(
      (k, i) => new Miner({ ...common, engine: engines[i], uid: s.minerUids[i], hotkey: k, store: openStore(s.storeUrl(s.minerUids[i])), workDir: join(s.dir, `work-${i}`) }),
    );
    const weights: WeightsEvent[] = [];
    const validator = new Validator({
      ...common,
      engine: engines[2],
      uid: s.vuid,
      store: openStore(s.storeUrl(s.vuid)),
      workDir: join(s.dir, 'work-v'),
      setWeights: chainSetWeights(net.chain, s.netuid, s.vkey),
      nonce: opts.nonce,
      events: (e) => e.event === 'weights' && weights.push(e),
    });
    await Promise.all([...miners.map((x) => x.initModel()), validator.initModel()]);
    return { engines, miners, validator, weights, shutdown };
  } catch (e) {
    await shutdown();
    throw e;
  }
}

/** The current window, or the next one where its parity is not `parity`, once it has begun. */
export async function startOnWindow(s: Subnet, parity: 0 | 1): Promise<number> {
  let w = await s.clock.current();
  if (w % 2 !== parity) w += 1;
  await s.clock.waitFor(w);
  return w;
}

/**
 * One window w: the miners train; once w+1 begins (t0, its first block's timestamp), `started(t0)`,
 * the miners upload and sync, `synced(gathers)`, and the validator processes w; returns its report.
 */
export async function playWindow(
  s: Subnet,
  p: Participants,
  w: number,
  checks: { started?: (t0: Date) => Promise<void>; synced?: (gathers: GatherResult[]) => void } = {},
): Promise<WindowReport> {
  await Promise.all(p.miners.map((x) => x.train(w)));
  await s.clock.waitFor(w + 1);
  const t0 = await s.clock.startTime(w + 1);
  await checks.started?.(t0);
  await Promise.all(p.miners.map((x) => x.upload(w)));
  const gathers = await Promise.all(p.miners.map((x) => x.sync(w, t0)));
  checks.synced?.(gathers);
  return p.validator.processWindow(w, t0);
}
