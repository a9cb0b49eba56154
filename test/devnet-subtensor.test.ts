// Subtensor behaviour on the devnet over WebSocket: create a subnet, register four neurons, stake,
// set weights, run through epochs; incentive, dividends and consensus match a small Yuma example
// computed by hand below; commit–reveal; sudo; get_neurons_lite; a restart keeps the subnet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aConcat } from '@polkadot/util';
import { blake2AsHex, cryptoWaitReady } from '@polkadot/util-crypto';
import { tempDir } from './helpers.js';
import { Devnet } from '../src/devnet/node.js';
import { weightedMedianCol, yumaEpoch } from '../src/devnet/yuma.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const TAO = 1_000_000_000n;
const dir = tempDir('loco-devnet-st-');
let devnet: Devnet;
let api: ApiPromise;
let K: Record<string, KeyringPair>;
let netuid = 0;

before(async () => {
  await cryptoWaitReady();
  devnet = await Devnet.start({ dir, port: 0, blockTimeMs: 100 });
  api = await ApiPromise.create({ provider: new WsProvider(devnet.url), noInitWarn: true });
  const kr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  K = Object.fromEntries(
    ['Alice', 'Bob', 'Charlie', 'Dave', 'Alice//v1', 'Bob//v2', 'Charlie//m1', 'Dave//m2', 'Eve//stranger'].map((n) => [n, kr.addFromUri(`//${n}`)]),
  );
});

after(async () => {
  await api?.disconnect();
  await devnet?.stop();
});

interface Sent {
  blockHash: string;
  blockNumber: number;
  events: Any[];
  dispatchError?: Any;
}

async function send(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair | null): Promise<Sent> {
  const cb = (resolve: (x: Any) => void, reject: (e: Error) => void) => (res: Any) => {
    if (res.status.isInBlock) resolve(res);
    if (res.isError) reject(new Error(`status ${res.status.type}`));
  };
  const r = await new Promise<Any>((resolve, reject) => {
    if (!signer) {
      tx.send(cb(resolve, reject)).catch(reject); // already signed
      return;
    }
    tx.signAndSend(signer, (res) => {
      if (res.status.isInBlock) resolve(res);
      if (res.isError) reject(new Error(`status ${res.status.type}`));
    }).catch(reject);
  });
  const h = await api.rpc.chain.getHeader(r.status.asInBlock);
  return { blockHash: r.status.asInBlock.toHex(), blockNumber: h.number.toNumber(), events: r.events, dispatchError: r.dispatchError };
}

async function ok(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair | null): Promise<Sent> {
  const r = await send(tx, signer);
  if (r.dispatchError) {
    const e = r.dispatchError.isModule ? api.registry.findMetaError(r.dispatchError.asModule) : null;
    throw new Error(`failed: ${e ? `${e.section}.${e.name}` : r.dispatchError.toString()}`);
  }
  return r;
}

async function moduleError(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair): Promise<string> {
  const r = await send(tx, signer);
  assert.ok(r.dispatchError?.isModule, 'expected a module error');
  const e = api.registry.findMetaError(r.dispatchError.asModule);
  return `${e.section}.${e.name}`;
}

async function waitForBlock(n: number): Promise<void> {
  for (;;) {
    if ((await api.rpc.chain.getHeader()).number.toNumber() >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** First epoch block > after, for this netuid (Subtensor ≤ v3.4.7 rule: (block + netuid + 1) % (tempo + 1) == 0). */
function nextEpoch(after: number, tempo: number): number {
  let b = after + 1;
  while ((b + netuid + 1) % (tempo + 1) !== 0) b++;
  return b;
}

const u16 = (x: number) => Math.round(x * 65535);

test('yuma: weighted median picks the largest value backed by κ of the stake', () => {
  assert.equal(weightedMedianCol([0.75, 0.25], [0.6, 0.2], 0.5), 0.6);
  assert.equal(weightedMedianCol([0.4, 0.6], [0.6, 0.2], 0.5), 0.2);
  assert.equal(weightedMedianCol([0.5, 0.5], [0.9, 0.1], 0.5), 0.9);
  assert.equal(weightedMedianCol([0, 0], [0.9, 0.1], 0.5), 0);
  // two validators, two miners, no prior bonds: the hand-computed example of the e2e test below
  const out = yumaEpoch({
    block: 100,
    stake: [3, 1, 0, 0],
    lastUpdate: [50, 50, 10, 10],
    blockAtRegistration: [1, 2, 3, 4],
    activityCutoff: 5000,
    permits: [true, true, false, false],
    maxAllowedValidators: 64,
    weights: [[[2, 65535], [3, 21845]], [[2, 21845], [3, 65535]], [], []],
    bonds: [[], [], [], []],
    kappa: 0.5,
    bondsAlpha: 0.1,
  });
  // W1 = [.75,.25], W2 = [.25,.75]; S = [.75,.25]; C = [.75, .25]; W̃2 = [.25,.25]
  // R = [.75·.75+.25·.25, .75·.25+.25·.25] = [.625, .25] → I = [5/7, 2/7]
  assert.ok(Math.abs(out.consensus[2]! - 0.75) < 1e-9 && Math.abs(out.consensus[3]! - 0.25) < 1e-9);
  assert.ok(Math.abs(out.incentive[2]! - 5 / 7) < 1e-9 && Math.abs(out.incentive[3]! - 2 / 7) < 1e-9);
  // ΔB col 2 = [.5625, .0625]/.625 = [.9, .1]; col 3 = [.1875, .0625]/.25 = [.75, .25]
  // D = [.9·5/7 + .75·2/7, .1·5/7 + .25·2/7] = [6/7, 1/7]
  assert.ok(Math.abs(out.dividends[0]! - 6 / 7) < 1e-9 && Math.abs(out.dividends[1]! - 1 / 7) < 1e-9);
  assert.deepEqual(out.newPermits, [true, true, false, false]);
});

test('devnet subtensor: create a subnet, register four neurons, stake, set weights, epoch = hand-computed Yuma', async () => {
  const { Alice, Bob, Charlie, Dave } = K as Record<string, KeyringPair>;
  const v1 = K['Alice//v1']!;
  const v2 = K['Bob//v2']!;
  const m1 = K['Charlie//m1']!;
  const m2 = K['Dave//m2']!;

  // subnet creation: the owner's hotkey becomes uid 0
  const cost = await (api.call as Any).subnetRegistrationRuntimeApi.getNetworkRegistrationCost();
  const aliceBefore = ((await api.query.system.account(Alice!.address)) as Any).data.free.toBigInt();
  const created = await ok(api.tx.subtensorModule.registerNetwork(v1.address), Alice!);
  const added = created.events.find((e) => e.event.method === 'NetworkAdded')!;
  netuid = added.event.data[0].toNumber();
  assert.equal(netuid, 1);
  const aliceAfter = ((await api.query.system.account.at(created.blockHash, Alice!.address)) as Any).data.free.toBigInt();
  assert.ok(aliceBefore - aliceAfter >= cost.toBigInt(), 'lock cost paid');
  await ok(api.tx.subtensorModule.startCall(netuid), Alice!);
  assert.equal(await moduleError(api.tx.subtensorModule.startCall(netuid), Alice!), 'subtensorModule.FirstEmissionBlockNumberAlreadySet');

  // burned registration: three more neurons (three coldkeys in the same block is fine)
  const burn = ((await api.query.subtensorModule.burn(netuid)) as Any).toBigInt();
  const bobBefore = ((await api.query.system.account(Bob!.address)) as Any).data.free.toBigInt();
  const regs = await Promise.all([
    ok(api.tx.subtensorModule.burnedRegister(netuid, v2.address), Bob!),
    ok(api.tx.subtensorModule.burnedRegister(netuid, m1.address), Charlie!),
    ok(api.tx.subtensorModule.burnedRegister(netuid, m2.address), Dave!),
  ]);
  const uidOf = (r: Sent) => r.events.find((e) => e.event.method === 'NeuronRegistered')!.event.data[1].toNumber();
  assert.deepEqual(regs.map(uidOf).sort(), [1, 2, 3]);
  const bobAfter = ((await api.query.system.account.at(regs[0]!.blockHash, Bob!.address)) as Any).data.free.toBigInt();
  const bobFee = regs[0]!.events.find((e) => e.event.method === 'TransactionFeePaid')!.event.data[1].toBigInt();
  assert.equal(bobBefore - bobAfter, burn + bobFee, 'burn + fee paid by the coldkey');
  assert.equal(await moduleError(api.tx.subtensorModule.burnedRegister(netuid, m1.address), Charlie!), 'subtensorModule.HotKeyAlreadyRegisteredInSubNet');
  assert.equal(await moduleError(api.tx.subtensorModule.burnedRegister(netuid, m1.address), Bob!), 'subtensorModule.HotKeyAlreadyRegisteredInSubNet');
  // uids in order of registration so that the example below is fixed
  const uids: Record<string, number> = {};
  for (const k of [v1, v2, m1, m2]) uids[k.address] = ((await api.query.subtensorModule.uids(netuid, k.address)) as Any).unwrap().toNumber();
  assert.equal(uids[v1.address], 0);
  const [U1, U2, M1, M2] = [uids[v1.address]!, uids[v2.address]!, uids[m1.address]!, uids[m2.address]!];
  assert.equal(((await api.query.subtensorModule.subnetworkN(netuid)) as Any).toNumber(), 4);

  // stake
  await Promise.all([
    ok(api.tx.subtensorModule.addStake(v1.address, netuid, 300n * TAO), Alice!),
    ok(api.tx.subtensorModule.addStake(v2.address, netuid, 100n * TAO), Bob!),
  ]);
  assert.equal(await moduleError(api.tx.subtensorModule.addStake(K['Eve//stranger']!.address, netuid, 10n * TAO), Alice!), 'subtensorModule.HotKeyAccountNotExists');
  assert.equal(await moduleError(api.tx.subtensorModule.removeStake(v2.address, netuid, 101n * TAO), Bob!), 'subtensorModule.NotEnoughStakeToWithdraw');

  // without a permit (no epoch yet since staking) a validator cannot set weights
  const tempo = ((await api.query.subtensorModule.tempo(netuid)) as Any).toNumber();
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  const permitEpoch = nextEpoch(head, tempo);
  await waitForBlock(permitEpoch);
  const permits = ((await api.query.subtensorModule.validatorPermit(netuid)) as Any).toJSON() as boolean[];
  assert.ok(permits[U1] && permits[U2] && !permits[M1] && !permits[M2], `permits ${permits}`);
  assert.equal(await moduleError(api.tx.subtensorModule.setWeights(netuid, [U1], [65535], 0), m1), 'subtensorModule.NeuronNoValidatorPermit');

  // weights: V1 → (M1: 65535, M2: 32767), V2 → (M1: 21845, M2: 65535); hotkeys sign, with no balance
  // both in one block, so that no epoch sees only one of them
  const t1 = await api.tx.subtensorModule.setWeights(netuid, [M1, M2], [65535, 32767], 0).signAsync(v1);
  const t2 = await api.tx.subtensorModule.setWeights(netuid, [M1, M2], [21845, 65535], 0).signAsync(v2);
  const [w1, w2] = await Promise.all([ok(t1, null), ok(t2, null)]);
  assert.equal(w1.blockNumber, w2.blockNumber);
  assert.ok(w1.events.some((e) => e.event.method === 'WeightsSet'));
  assert.equal(await moduleError(api.tx.subtensorModule.setWeights(netuid, [M1, M2], [1, 1], 0), v1), 'subtensorModule.SettingWeightsTooFast');
  assert.equal(await moduleError(api.tx.subtensorModule.setWeights(netuid, [M1, M1], [1, 1], 0), v2), 'subtensorModule.SettingWeightsTooFast');

  const E = nextEpoch(Math.max(w1.blockNumber, w2.blockNumber), tempo);
  await waitForBlock(E + 1);
  const hashE = await api.rpc.chain.getBlockHash(E);
  const hashPrev = await api.rpc.chain.getBlockHash(E - 1);
  const stakeAt = async (h: Any, hot: string) => ((await api.query.subtensorModule.totalHotkeyAlpha.at(h, hot, netuid)) as Any).toBigInt();
  const [sv1, sv2] = [Number(await stakeAt(hashPrev, v1.address)), Number(await stakeAt(hashPrev, v2.address))];
  const m1Before = await stakeAt(hashPrev, m1.address);

  // ---- the example by hand ----
  const s1 = sv1 / (sv1 + sv2);
  const s2 = sv2 / (sv1 + sv2);
  const a = 65535 / (65535 + 32767); // V1's normalised weight on M1 (1 − a on M2)
  // consensus: M1 ← a (V1 alone holds > κ = ½ of the stake), M2 ← 1 − a (both give ≥ 1 − a)
  const C1 = a;
  const C2 = 1 - a;
  // clipped: V1 [a, 1−a]; V2 [min(.25, a), min(.75, 1−a)] = [.25, 1−a]
  const R1 = s1 * a + s2 * 0.25;
  const R2 = s1 * (1 - a) + s2 * (1 - a);
  const I1 = R1 / (R1 + R2);
  const I2 = R2 / (R1 + R2);
  // bonds (no previous bonds): ΔB column-normalised; D_i = Σ_j B_ij I_j
  const B11 = (s1 * a) / R1;
  const B21 = (s2 * 0.25) / R1;
  const B12 = s1;
  const B22 = s2;
  const D1 = B11 * I1 + B12 * I2;
  const D2 = B21 * I1 + B22 * I2;

  const at = async (item: string) => ((await (api.query.subtensorModule as Any)[item].at(hashE, netuid)) as Any).toJSON() as number[];
  const [incentive, dividends, consensus] = [await at('incentive'), await at('dividends'), await at('consensus')];
  const close = (got: number, want: number, what: string) => assert.ok(Math.abs(got - u16(want)) <= 1, `${what}: ${got} vs ${u16(want)}`);
  close(incentive[M1]!, I1, 'incentive M1');
  close(incentive[M2]!, I2, 'incentive M2');
  close(incentive[U1]!, 0, 'incentive V1');
  close(dividends[U1]!, D1, 'dividends V1');
  close(dividends[U2]!, D2, 'dividends V2');
  close(dividends[M1]!, 0, 'dividends M1');
  close(consensus[M1]!, C1, 'consensus M1');
  close(consensus[M2]!, C2, 'consensus M2');

  // emission: 1 TAO of alpha per block, tempo + 1 blocks, 18% to the owner, half of the rest to miners
  const pending = BigInt(tempo + 1) * TAO;
  const ownerCut = (pending * 11796n) / 65535n;
  const minerTotal = (pending - ownerCut) / 2n;
  const m1After = await stakeAt(hashE, m1.address);
  const want = Number(minerTotal) * I1;
  assert.ok(Math.abs(Number(m1After - m1Before) - want) <= want * 1e-6 + 2, `M1 emission ${m1After - m1Before} vs ${want}`);

  // the runtime API gives the same metagraph
  const lite = (await (api.call as Any).neuronInfoRuntimeApi.getNeuronsLite.at?.(hashE, netuid)) ?? (await (api.call as Any).neuronInfoRuntimeApi.getNeuronsLite(netuid));
  assert.equal(lite.length, 4);
  const n1 = lite.find((n: Any) => n.uid.toNumber() === M1);
  assert.equal(n1.hotkey.toString(), m1.address);
  assert.equal(n1.coldkey.toString(), Charlie!.address);
  assert.ok(n1.incentive.toNumber() > 0);
  const nv1 = lite.find((n: Any) => n.uid.toNumber() === U1);
  assert.ok(nv1.validatorPermit.isTrue);
  assert.ok(nv1.stake.length >= 1);
});

test('devnet subtensor: sudo toggles commit–reveal; hash commit then reveal in the next epoch', async () => {
  const Alice = K.Alice!;
  const v2 = K['Bob//v2']!;
  const m1 = K['Charlie//m1']!;
  assert.equal(await moduleError(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetCommitRevealWeightsEnabled(netuid, true)), K.Bob!), 'sudo.RequireSudo');
  const r = await ok(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetCommitRevealWeightsEnabled(netuid, true)), Alice);
  const sudid = r.events.find((e) => e.event.method === 'Sudid')!;
  assert.ok(sudid.event.data[0].isOk);
  assert.equal(((await api.query.subtensorModule.commitRevealWeightsEnabled(netuid)) as Any).isTrue, true);
  assert.equal(await moduleError(api.tx.subtensorModule.setWeights(netuid, [2, 3], [1, 1], 0), v2), 'subtensorModule.CommitRevealEnabled');

  // epochs of 41 blocks (4 s) instead of 11 (1.1 s), and the commit right after an epoch starts: a
  // loaded machine must not cross into the reveal epoch before the too-early reveal is tried
  const tempo0 = ((await api.query.subtensorModule.tempo(netuid)) as Any).toNumber();
  const tempo = 40;
  await ok(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetTempo(netuid, tempo)), Alice);
  await waitForBlock(nextEpoch((await api.rpc.chain.getHeader()).number.toNumber(), tempo));
  const uids = [2, 3];
  const values = [65535, 100];
  const salt = [1, 2, 3, 4, 5, 6, 7, 8];
  const reg = api.registry;
  const hash = blake2AsHex(
    u8aConcat(
      v2.publicKey,
      reg.createType('u16', netuid).toU8a(),
      reg.createType('Vec<u16>', uids).toU8a(),
      reg.createType('Vec<u16>', values).toU8a(),
      reg.createType('Vec<u16>', salt).toU8a(),
      reg.createType('u64', 0).toU8a(),
    ),
  );
  const c = await ok(api.tx.subtensorModule.commitWeights(netuid, hash), v2);
  assert.ok(c.events.some((e) => e.event.method === 'WeightsCommitted'));
  const commits = ((await api.query.subtensorModule.weightCommits(netuid, v2.address)) as Any).unwrap();
  assert.equal(commits[0][0].toHex(), hash);
  assert.equal(await moduleError(api.tx.subtensorModule.revealWeights(netuid, uids, values, salt, 0), v2), 'subtensorModule.RevealTooEarly');
  // reveal in the next epoch
  await waitForBlock(nextEpoch(c.blockNumber, tempo));
  assert.equal(
    await moduleError(api.tx.subtensorModule.revealWeights(netuid, uids, [65535, 101], salt, 0), v2),
    'subtensorModule.InvalidRevealCommitHashNotMatch',
  );
  const rv = await ok(api.tx.subtensorModule.revealWeights(netuid, uids, values, salt, 0), v2);
  assert.ok(rv.events.some((e) => e.event.method === 'WeightsRevealed'));
  const w = ((await api.query.subtensorModule.weights(netuid, 1)) as Any).toJSON();
  assert.deepEqual(w, [[2, 65535], [3, 100]]);
  await ok(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetTempo(netuid, tempo0)), Alice);

  // commitments: set by a registered hotkey, refused for others
  await ok(api.tx.commitments.setCommitment(netuid, { fields: [{ Raw5: '0x68656c6c6f' }] } as Any), m1);
  const cm = ((await api.query.commitments.commitmentOf(netuid, m1.address)) as Any).unwrap();
  assert.equal(cm.info.fields[0].asRaw5.toHex(), '0x68656c6c6f');
  assert.equal(await moduleError(api.tx.commitments.setCommitment(netuid, { fields: [] } as Any), K['Eve//stranger']!), 'commitments.AccountNotAllowedCommit');
});

test('devnet subtensor: a full subnet replaces the lowest pruning score outside immunity', async () => {
  const Alice = K.Alice!;
  const newcomer = K['Eve//stranger']!;
  const eve = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Eve');
  // no more epochs during this test; a full subnet of 4
  await ok(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetTempo(netuid, 60000)), Alice);
  await ok(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetMaxAllowedUids(netuid, 4)), Alice);
  assert.equal(await moduleError(api.tx.subtensorModule.burnedRegister(netuid, newcomer.address), eve), 'subtensorModule.NoNeuronIdAvailable');
  // the owner may change owner-level hyperparameters directly; tempo is root-only
  assert.equal((await send(api.tx.adminUtils.sudoSetTempo(netuid, 5), K.Bob!)).dispatchError?.isBadOrigin, true);
  await ok(api.tx.adminUtils.sudoSetImmunityPeriod(netuid, 0), Alice);
  const scores = ((await api.query.subtensorModule.pruningScores(netuid)) as Any).toJSON() as number[];
  let want = 1; // uid 0 is the owner's hotkey, never replaced; ties go to the oldest (all registered together: lowest uid)
  for (let u = 2; u < scores.length; u++) if (scores[u]! < scores[want]!) want = u;
  const r = await ok(api.tx.subtensorModule.burnedRegister(netuid, newcomer.address), eve);
  const ev = r.events.find((e) => e.event.method === 'NeuronRegistered')!;
  assert.equal(ev.event.data[1].toNumber(), want, `scores ${scores}`);
  assert.equal(((await api.query.subtensorModule.keys(netuid, want)) as Any).toString(), newcomer.address);
  assert.equal(((await api.query.subtensorModule.subnetworkN(netuid)) as Any).toNumber(), 4);
  replaced = want;
});

let replaced = -1;

test('devnet subtensor: a restart keeps subnets, neurons, stake and weights', async () => {
  const before = {
    n: ((await api.query.subtensorModule.subnetworkN(netuid)) as Any).toNumber(),
    stake: ((await api.query.subtensorModule.totalHotkeyAlpha(K['Bob//v2']!.address, netuid)) as Any).toBigInt(),
    weights: ((await api.query.subtensorModule.weights(netuid, 0)) as Any).toJSON(),
  };
  await api.disconnect();
  await devnet.stop();
  devnet = await Devnet.start({ dir, port: 0, blockTimeMs: 100 });
  api = await ApiPromise.create({ provider: new WsProvider(devnet.url), noInitWarn: true });
  assert.equal(((await api.query.subtensorModule.subnetworkN(netuid)) as Any).toNumber(), before.n);
  const stakeNow = ((await api.query.subtensorModule.totalHotkeyAlpha(K['Bob//v2']!.address, netuid)) as Any).toBigInt();
  assert.ok(stakeNow >= before.stake, 'stake kept (and maybe grown by an epoch)');
  assert.deepEqual(((await api.query.subtensorModule.weights(netuid, 0)) as Any).toJSON(), before.weights);
  assert.ok((before.weights as unknown[]).length > 0);
  assert.equal(((await api.query.subtensorModule.keys(netuid, replaced)) as Any).toString(), K['Eve//stranger']!.address);
});
