// "The Gauntlet holds" (issue #6): one validator, three honest miners and four adversaries on the
// embedded devnet (windows from blocks, peers from commitments, weights through set_weights), with
// file:// or S3 (s3rver on loopback) storage. Shared by test/gauntlet-holds.test.ts and
// test/gauntlet-holds-s3.test.ts.
//
// The adversaries, each as cheap as it can be while still looking valid to everything but the check
// meant to catch it:
//   noise  — uploads validly signed random noise (top-k + 2-bit of Gaussian noise), and republishes an
//            honest miner's sampled parameters as its own so the sync check passes: only the loss
//            score can catch it;
//   copier — re-signs an honest miner's payload as its own (and its sampled parameters); it copies
//            the honest miner with the HIGHER uid, so a uid tie-break on equal LastModified (S3 has
//            whole seconds) would blame the victim: the index-overlap check has to get it right;
//   late   — trains honestly and stays in sync, but uploads after Δt: only the timing rule catches it;
//   lazy   — a real miner in sync that never trains on its assigned data (it trains on a fresh random
//            draw of the training set each window): only the own-vs-random indicator catches it.
//
// The driver runs the windows itself (no role-loop timers) so that every participant sees the same
// uploads: train in w; once w+1 begins, the on-time uploads, then every miner gathers and applies the
// outer step and starts training w+1, while the late miner waits out Δt and the validator (one
// window behind, as validator_offset says) scores w. Training data: every sample draws its tokens
// from its own 40 ids, so training on a sample helps that sample far more than others — the
// property the own-vs-random test measures.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { KeyringPair } from '@polkadot/keyring/types';
import S3rver from 's3rver';
import { tempDir } from '../helpers.js';
import { connect, type Chain } from '../../src/chain/client.js';
import { decodePayloadUnverified, encodePayload } from '../../src/codec/payload.js';
import { encodeTensor, type EncodedTensor } from '../../src/codec/sparseloco.js';
import { writeShard, ShardSet } from '../../src/data/shards.js';
import { defaultManifest, parseManifest, serializeManifest, type LoadedManifest } from '../../src/protocol/manifest.js';
import { keys } from '../../src/protocol/naming.js';
import { SplitMix64, deriveSeed, permutationPrefix } from '../../src/protocol/assignment.js';
import type { LocoEvent } from '../../src/protocol/events.js';
import { openStore, S3Store, type ObjectStore } from '../../src/storage/index.js';
import { Engine } from '../../src/trainer/engine.js';
import { getConfig } from '../../src/trainer/configs.js';
import { mulberry32 } from '../../src/util/random.js';
import { keypairFromSeed, type Keypair } from '../../src/wallet/keypair.js';
import { ChainClock, chainSetWeights, commitmentPeers, storeCommitment } from '../../src/miner/chain.js';
import { Miner } from '../../src/miner/miner.js';
import { Validator, type WindowReport } from '../../src/validator/validator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const TAO = 1_000_000_000n;

export type Role = 'honest' | 'noise' | 'copier' | 'late' | 'lazy';

export interface ScenarioOptions {
  storage: 'file' | 's3';
  /** windows scored (and trained) */
  windows: number;
  /** tiny with a smaller vocabulary (the synthetic data uses ids below 2,660) */
  vocab?: number;
  /** progress lines on stderr */
  verbose?: boolean;
}

export interface ScenarioResult {
  validatorUid: number;
  /** uid → role */
  roles: Map<number, Role>;
  /** the validator's weights as stored on chain (Weights storage), as fractions summing to 1 */
  weightsOnChain: Map<number, number>;
  /** the validator's last computed weights (before u16 normalisation) */
  weightsComputed: Map<number, number>;
  /** held-out validation loss of the shared model before the first and after the last outer step */
  lossStart: number;
  lossEnd: number;
  reports: WindowReport[];
  events: LocoEvent[];
  /** per uid: the Gauntlet's state at the end */
  peers: ReturnType<Validator['gauntlet']['state']>['peers'];
  seconds: number;
  /** the validator's last published peer list */
  peerList: { peers: number[]; reserve: number[]; first_effective_window: number };
  /** whether the validator published a checkpoint (every 5 windows here) */
  validatorCheckpoint: boolean;
}

/** One row per uid: role, weight on chain, final score, indicator MA, rating; for messages and logs. */
export function describe(r: ScenarioResult): string {
  const rows = [...r.roles.entries()].map(([uid, role]) => {
    const p = r.peers.find((x) => x.uid === uid);
    const w = r.weightsOnChain.get(uid) ?? 0;
    return `uid ${uid} ${role.padEnd(6)} weight ${w.toFixed(4)} final ${(p?.final ?? 0).toFixed(3)} MA ${(p?.binaryMA ?? 0).toFixed(3)} mu ${(p?.mu ?? 0).toFixed(2)} sigma ${(p?.sigma ?? 0).toFixed(2)}`;
  });
  return [...rows, `validation loss ${r.lossStart.toFixed(4)} → ${r.lossEnd.toFixed(4)} in ${r.seconds.toFixed(1)} s`].join('\n');
}

/** Miner that never trains on its assigned data: a fresh random draw of the training set each window. */
class LazyMiner extends Miner {
  protected override trainingSamples(window: number): number[] {
    const k = this.assignedSamples(window).length;
    return permutationPrefix(new SplitMix64(deriveSeed('lazy', Buffer.from(String(window)))), this.o.numSamples, k);
  }
}

const T = 64; // tiny's seq_len
const N = 64; // training samples: 8 disjoint slices of 8 (inner_steps 2 × batch 4), one per miner uid
const TOPIC = 40;

function syntheticShard(path: string, seed: number): void {
  const rand = mulberry32(seed);
  const tokens: number[] = [];
  for (let i = 0; i < N * T + 1; i++) tokens.push(100 + Math.min(Math.floor(i / T), N - 1) * TOPIC + Math.floor(rand() * TOPIC));
  writeShard(path, tokens);
}

const sleepUntil = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

export async function runGauntletScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const log = (s: string) => o.verbose && process.stderr.write(`[gauntlet ${o.storage}] ${s}\n`);
  const dir = tempDir(`loco-gauntlet-${o.storage}-`);
  const TRAIN = join(dir, 'data_train_000000.bin');
  const VAL = join(dir, 'data_val_000000.bin');
  syntheticShard(TRAIN, 1234);
  syntheticShard(VAL, 98765); // the same 64 topics, other draws: held out

  const cleanups: Array<() => Promise<unknown>> = [];
  const engines: Engine[] = [];
  try {
    // ---- storage -----------------------------------------------------------------------------
    let urlOf: (name: string) => string;
    if (o.storage === 's3') {
      const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3rver') });
      const { port } = await server.run();
      cleanups.push(() => server.close());
      const endpoint = `http://127.0.0.1:${port}`;
      const saved = { id: process.env.LOCO_S3_ACCESS_KEY_ID, secret: process.env.LOCO_S3_SECRET_ACCESS_KEY };
      process.env.LOCO_S3_ACCESS_KEY_ID = 'S3RVER';
      process.env.LOCO_S3_SECRET_ACCESS_KEY = 'S3RVER';
      cleanups.push(async () => {
        for (const [k, v] of [['LOCO_S3_ACCESS_KEY_ID', saved.id], ['LOCO_S3_SECRET_ACCESS_KEY', saved.secret]] as const) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      });
      await new S3Store({ bucket: 'loco-gauntlet', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }).ensureBucket();
      urlOf = (name) => `s3://loco-gauntlet/${name}?endpoint=${encodeURIComponent(endpoint)}`;
    } else {
      urlOf = (name) => pathToFileURL(join(dir, `store-${name}`)).href;
    }

    // ---- chain: a subnet, the validator (owner hotkey, staked), seven miners with commitments ---
    const { Devnet } = await import('../../src/devnet/node.js');
    const devnet = await Devnet.start({ port: 0, blockTimeMs: 200 });
    cleanups.push(() => devnet.stop());
    // The driver holds the first block of the next window until every miner has its payload (as the
    // window-loop test advances its manual clock): fast blocks otherwise, real block timestamps, and no
    // window is lost to a slow, shared CI machine.
    let holdAt = Infinity;
    const produce = devnet.produceBlock.bind(devnet);
    (devnet as Any).produceBlock = () => (devnet.head.number + 1 >= holdAt ? devnet.head : produce());
    const chain: Chain = await connect(devnet.url, { timeoutMs: 30_000 });
    cleanups.push(() => chain.close());
    const { Keyring } = await import('@polkadot/keyring');
    const alice: KeyringPair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
    const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-gauntlet-${n}`).digest()));
    // registration order fixes the uids: the copier (uid 2) copies honest uid 3
    const order: Role[] = ['honest', 'copier', 'honest', 'noise', 'honest', 'late', 'lazy'];
    const vkey = await key('validator');
    const minerKeys = await Promise.all(order.map((_, i) => key(`miner-${i}`)));
    const created = await chain.submit(chain.tx.registerNetwork(vkey.ss58Address), alice, 'register_network');
    const netuid = Number((created.events.find((e) => e.name === 'NetworkAdded')?.data as unknown[])[0]);
    for (const k of [vkey, ...minerKeys]) await chain.submit(chain.tx.transferKeepAlive(k.ss58Address, 10n * TAO), alice, 'transfer');
    for (const k of minerKeys) await chain.submit(chain.tx.burnedRegister(netuid, k.ss58Address), alice, 'burned_register');
    await chain.submit(chain.tx.addStake(vkey.ss58Address, netuid, 5n * TAO), alice, 'add_stake');
    // weights every window: lift the rate limit (a root call, as a subnet's operator would for a test net)
    await chain.submit((chain.api.tx as Any).sudo.sudo((chain.api.tx as Any).adminUtils.sudoSetWeightsSetRateLimit(netuid, 0)), alice, 'rate limit');
    const vuid = (await chain.uidOf(netuid, vkey.ss58Address))!;
    const uids = await Promise.all(minerKeys.map(async (k) => (await chain.uidOf(netuid, k.ss58Address))!));
    const roles = new Map<number, Role>(uids.map((u, i) => [u, order[i]]));
    const uidOf = (role: Role, nth = 0) => uids.filter((u) => roles.get(u) === role)[nth];
    const keyOf = new Map<number, Keypair>(uids.map((u, i) => [u, minerKeys[i]]));
    for (const u of uids) await chain.submit(chain.tx.setCommitment(netuid, storeCommitment(urlOf(`m${u}`))), keyOf.get(u)!, 'set_commitment');
    const peerList = await commitmentPeers(chain, netuid, { exclude: [vuid] });
    assert.deepEqual(peerList.map((p) => p.uid), [...uids].sort((a, b) => a - b), 'every miner is found through its commitment');
    const peers = async () => peerList;
    const storeOf = (u: number): ObjectStore => peerList.find((p) => p.uid === u)!.store;
    log(`netuid ${netuid}, validator uid ${vuid}, miners ${uids.map((u) => `${u}:${roles.get(u)}`).join(' ')}`);

    // ---- the run ------------------------------------------------------------------------------
    const model = o.vocab ? { ...getConfig('tiny'), vocab_size: o.vocab, padded_vocab_size: o.vocab } : 'tiny';
    const m = defaultManifest({ name: `gauntlet-${o.storage}`, netuid, model, dataset: { name: 'synthetic', shards: ['data_train_000000.bin'], sha256: '0'.repeat(64) } });
    m.train = { ...m.train, inner_steps: 2, micro_batch: 4, batch: 4, lr: 4e-3, warmup_steps: 0 };
    // windows of ≥ 2 s (held until the payloads are ready); Δt = 5 s (S3 keeps whole seconds: an upload within ~4 s of the window's first block counts; a loaded CI machine needs the slack)
    m.window = { blocks_per_window: 10, upload_delta_s: 5, validator_offset: 1 };
    m.eval = { uids_per_window: 15, batch: 8, eval_lr_factor: 1 };
    m.scoring.windows_per_weights = 1;
    m.checkpoint.every_windows = 5;
    const loaded: LoadedManifest = parseManifest(serializeManifest(m));
    const numSamples = new ShardSet([TRAIN], T).numSamples;
    assert.equal(numSamples, N);
    const clock = new ChainClock(chain, m.window.blocks_per_window, 50);

    const trainerUids = uids.filter((u) => ['honest', 'late', 'lazy'].includes(roles.get(u)!));
    for (let i = 0; i < trainerUids.length + 1; i++) engines.push(await Engine.start({ threads: 1 }));
    const minerOf = new Map<number, Miner>();
    const phaseSeconds = new Map<string, number>();
    const timePhases = (e: LocoEvent) => {
      if (e.event === 'phase' && e.state === 'end') phaseSeconds.set(`${e.role}.${e.phase}`, (phaseSeconds.get(`${e.role}.${e.phase}`) ?? 0) + (e.seconds ?? 0));
    };
    trainerUids.forEach((u, i) => {
      const opts = { engine: engines[i], manifest: loaded, shards: [TRAIN], numSamples, uid: u, hotkey: keyOf.get(u)!, store: storeOf(u), peers, workDir: join(dir, `work-${u}`), events: timePhases };
      minerOf.set(u, roles.get(u) === 'lazy' ? new LazyMiner(opts) : new Miner(opts));
    });
    const events: LocoEvent[] = [];
    const validator = new Validator({
      engine: engines[trainerUids.length],
      manifest: loaded,
      shards: [TRAIN],
      numSamples,
      uid: vuid,
      store: openStore(urlOf(`v${vuid}`)),
      peers,
      workDir: join(dir, 'work-v'),
      setWeights: chainSetWeights(chain, netuid, vkey),
      nonce: (w) => new Uint8Array(createHash('sha256').update(`gauntlet-nonce-${w}`).digest()),
      events: (e) => {
        events.push(e);
        timePhases(e);
        if (o.verbose && ['evaluation', 'penalty', 'weights'].includes(e.event)) log(JSON.stringify({ ...e, v: undefined, t: undefined, role: undefined, uid: undefined }));
      },
    });
    await Promise.all([...[...minerOf.values()].map((x) => x.initModel()), validator.initModel()]);
    const valLoss = async () => {
      const r = await validator.o.engine.eval({ shards: [VAL], samples: Array.from({ length: N }, (_, i) => i), micro_batch: 8 });
      return r.loss!;
    };
    const lossStart = await valLoss();

    // the noise adversary: random Gaussian "Δ" through the codec, signed with its own key
    const noiseUid = uidOf('noise');
    const noiseRand = mulberry32(noiseUid * 7919);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - noiseRand())) * Math.cos(2 * Math.PI * noiseRand());
    const noiseEf = minerOf.get(trainerUids[0])!.run.specs.map((s) => new Float32Array(s.numel));
    const noisePayload = async (w: number) => {
      const run = minerOf.get(trainerUids[0])!.run;
      const enc: EncodedTensor[] = run.specs.map((s, i) => {
        const e = noiseEf[i];
        for (let j = 0; j < e.length; j++) e[j] = 1e-3 * gauss();
        return encodeTensor(s.name, s.shape, e, run.codec.codec);
      });
      return encodePayload({ manifestHash: loaded.hash, window: w, uid: noiseUid }, enc, keyOf.get(noiseUid)!);
    };
    const copierUid = uidOf('copier');
    const victimUid = uidOf('honest', 1);
    assert.ok(victimUid > copierUid);
    const lateUid = uidOf('late');
    const onTime = trainerUids.filter((u) => u !== lateUid);

    // ---- windows ------------------------------------------------------------------------------
    let w = (await clock.current()) + 1;
    await clock.waitFor(w);
    const first = w;
    const windowStart = (x: number) => x * m.window.blocks_per_window;
    holdAt = windowStart(w + 1);
    const reports: WindowReport[] = [];
    let validatorChain: Promise<void> = Promise.resolve();
    const trainAll = async (x: number) => {
      const t = Date.now();
      await Promise.all([...minerOf.values()].map((mi) => mi.train(x)));
      log(`trained window ${x} in ${((Date.now() - t) / 1000).toFixed(2)} s`);
    };
    let training: Promise<unknown> = trainAll(w);
    for (; w < first + o.windows; w++) {
      await training;
      const noise = await noisePayload(w);
      assert.equal(await clock.current(), w);
      holdAt = windowStart(w + 2);
      await clock.waitFor(w + 1);
      const t0 = await clock.startTime(w + 1);
      // on-time uploads: honest, lazy, noise; then the copier re-signs what the victim uploaded
      await Promise.all([...onTime.map((u) => minerOf.get(u)!.upload(w)), storeOf(noiseUid).put(keys.gradient(loaded.runId, w, noiseUid), noise)]);
      const victim = await storeOf(victimUid).get(keys.gradient(loaded.runId, w, victimUid));
      const tensors = decodePayloadUnverified(victim.data).tensors as unknown as EncodedTensor[];
      await storeOf(copierUid).put(keys.gradient(loaded.runId, w, copierUid), await encodePayload({ manifestHash: loaded.hash, window: w, uid: copierUid }, tensors, keyOf.get(copierUid)!));
      const uploadedAfter = (Date.now() - t0.getTime()) / 1000;
      log(`window ${w}: uploads done ${uploadedAfter.toFixed(2)} s after t0`);
      // every miner (the late one too: it follows the model) gathers and takes the outer step
      const gathers = await Promise.all([...minerOf.values()].map((x) => x.sync(w, t0)));
      for (const g of gathers) {
        assert.deepEqual(g.accepted.map((a) => a.uid), uids.filter((u) => u !== lateUid).sort((a, b) => a - b), `window ${w}: ${JSON.stringify(g.rejected)} missing ${g.missing} (uploads done ${uploadedAfter.toFixed(2)} s after t0)`);
      }
      // the copiers republish the victim's sampled parameters as theirs (so only the checks meant for them can catch them)
      const dbg = JSON.parse(Buffer.from((await storeOf(victimUid).get(keys.debug(loaded.runId, w, victimUid))).data).toString('utf8'));
      for (const u of [noiseUid, copierUid]) await storeOf(u).put(keys.debug(loaded.runId, w, u), Buffer.from(JSON.stringify({ ...dbg, uid: u })));
      if (w + 1 < first + o.windows) {
        const next = w + 1;
        training = trainAll(next);
      }
      // the late miner uploads once Δt is over (by the store's clock, in whole seconds); then the validator scores w
      const ww = w;
      validatorChain = validatorChain.then(async () => {
        await sleepUntil(Math.floor(t0.getTime() / 1000) * 1000 + (m.window.upload_delta_s + 1) * 1000 + 50);
        await minerOf.get(lateUid)!.upload(ww);
        const tv = Date.now();
        const r = await validator.processWindow(ww, t0);
        log(`validator: window ${ww} in ${((Date.now() - tv) / 1000).toFixed(2)} s`);
        reports.push(r);
        log(`window ${ww}: accepted ${r.gather.accepted.map((a) => a.uid)} rejected ${JSON.stringify(r.gather.rejected.map((x) => [x.uid, x.reason]))}; weights ${[...r.weights].map(([u, x]) => `${u}:${x.toFixed(3)}`).join(' ')}`);
      });
    }
    await training;
    holdAt = Infinity;
    await validatorChain;
    const lossEnd = await valLoss();

    // the weights as the chain holds them
    const onChain: Array<[number, number]> = ((await (chain.api.query as Any).subtensorModule.weights(netuid, vuid)) as Any).toJSON();
    const total = onChain.reduce((s, [, v]) => s + v, 0);
    const weightsOnChain = new Map<number, number>(onChain.map(([u, v]) => [u, total ? v / total : 0]));
    const lastWindow = first + o.windows - 1;
    const vstore = openStore(urlOf(`v${vuid}`));
    const peerListKey = keys.peers(loaded.runId, lastWindow + 2 + m.window.validator_offset);
    const peerList2 = JSON.parse(Buffer.from((await vstore.get(peerListKey)).data).toString('utf8')) as ScenarioResult['peerList'];
    const checkpointAt = (await vstore.head(keys.latestCheckpoint(loaded.runId))) !== null;
    const result: ScenarioResult = {
      peerList: peerList2,
      validatorCheckpoint: checkpointAt,
      validatorUid: vuid,
      roles,
      weightsOnChain,
      weightsComputed: reports[reports.length - 1]?.weights ?? new Map(),
      lossStart,
      lossEnd,
      reports,
      events,
      peers: validator.gauntlet.state().peers,
      seconds: (Date.now() - started) / 1000,
    };
    log(describe(result));
    log(`seconds per phase, all windows (miners summed): ${[...phaseSeconds].map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    return result;
  } finally {
    await Promise.allSettled(engines.map((e) => e.shutdown()));
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }
}

/** The thresholds of issue #6, asserted on a scenario's result. */
export function assertGauntletHolds(r: ScenarioResult): void {
  const msg = `\n${describe(r)}`;
  let honest = 0;
  for (const [uid, role] of r.roles) {
    const w = r.weightsOnChain.get(uid) ?? 0;
    if (role === 'honest') honest += w;
    else assert.ok(w <= 0.02, `${role} uid ${uid} has weight ${w.toFixed(4)} on chain (> 2 %)${msg}`);
  }
  assert.ok(honest >= 0.9, `the honest miners have ${honest.toFixed(4)} of the weight on chain (< 90 %)${msg}`);
  assert.ok(r.lossEnd < r.lossStart, `the shared model's validation loss did not go down${msg}`);
}
