// Commit–reveal weights on the embedded devnet (Subtensor's rules: reveal only in epoch
// commit_epoch + RevealPeriodEpochs, else RevealTooEarly / ExpiredWeightCommit): the validator's
// setWeights hook commits the SDK hash, the poller reveals in the right epoch, the weights read back
// from chain storage are the normalised ones; a new hook on the same state file (a restart) still
// reveals; a wrong salt is refused by the chain and the commit dropped with the chain's reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDevnet } from './helpers/devnet.js';
import { tempDir } from './helpers.js';
import { normaliseWeights } from '../src/chain/weights.js';
import { keypairFromSeed, type Keypair } from '../src/wallet/keypair.js';
import { chainSetWeights } from '../src/miner/chain.js';
import { epochIndex } from '../src/miner/commit-reveal.js';
import type { LocoEvent } from '../src/protocol/events.js';

const TAO = 1_000_000_000n;
const TEMPO = 14; // epochs of 15 blocks of 200 ms: room for a loaded machine to reveal in time
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const dir = tempDir('loco-commit-reveal-');
// the devnet, then (setup) a subnet with commit–reveal on, the validator and three miners
const net = useTestDevnet({ setup });
let netuid: number;
let vkey: Keypair;
let vuid: number;
let minerUids: number[];

const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-commit-reveal-${n}`).digest()));
const sudo = (call: Any) => net.chain.submit((net.chain.api.tx as Any).sudo.sudo(call), net.alice, 'sudo');
const onChainWeights = async (): Promise<Array<[number, number]>> => ((await (net.chain.api.query as Any).subtensorModule.weights(netuid, vuid)) as Any).toJSON();
async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function setup(): Promise<void> {
  vkey = await key('validator');
  const miners = await Promise.all(['m0', 'm1', 'm2'].map(key));
  const created = await net.chain.submit(net.chain.tx.registerNetwork(vkey.ss58Address), net.alice, 'register_network');
  netuid = Number((created.events.find((e) => e.pallet === 'SubtensorModule' && e.name === 'NetworkAdded')!.data as Any)[0]);
  await net.chain.submit(net.chain.tx.transferKeepAlive(vkey.ss58Address, 10n * TAO), net.alice, 'transfer');
  for (const k of miners) await net.chain.submit(net.chain.tx.burnedRegister(netuid, k.ss58Address), net.alice, 'burned_register');
  const tx = (net.chain.api.tx as Any).adminUtils;
  await sudo(tx.sudoSetTempo(netuid, TEMPO));
  await sudo(tx.sudoSetWeightsSetRateLimit(netuid, 0));
  await sudo(tx.sudoSetCommitRevealWeightsEnabled(netuid, true));
  assert.equal(await net.chain.commitRevealEnabled(netuid), true);
  assert.equal(Number(((await (net.chain.api.query as Any).subtensorModule.revealPeriodEpochs(netuid)) as Any).toString()), 1);
  vuid = (await net.chain.uidOf(netuid, vkey.ss58Address))!;
  minerUids = await Promise.all(miners.map(async (k) => (await net.chain.uidOf(netuid, k.ss58Address))!));
}

const weightEvents = (events: LocoEvent[]) => events.filter((e): e is Extract<LocoEvent, { event: 'weights' }> => e.event === 'weights');

test('commit–reveal: the hook commits the hash, the poller reveals in commit epoch + 1, chain weights = the normalised ones', { timeout: 60_000 }, async () => {
  const stateFile = join(dir, 'a', 'weights-commits.json');
  const events: LocoEvent[] = [];
  const hook = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 200, events: (e) => events.push(e), uid: vuid });
  try {
    const ws = [0.2, 0.5, 0.3];
    const r = await hook(minerUids, ws);
    assert.equal(r.mode, 'commit');
    assert.match(r.commitHash!, /^0x[0-9a-f]{64}$/);
    assert.equal(r.revealEpoch, epochIndex(r.block!, netuid, TEMPO) + 1);
    // the chain holds the hash; the salt is only in the 0600 state file
    const commits = ((await (net.chain.api.query as Any).subtensorModule.weightCommits(netuid, vkey.ss58Address)) as Any).unwrap();
    assert.equal(commits[0][0].toHex(), r.commitHash);
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    assert.equal(saved.pending.length, 1);
    assert.equal(saved.pending[0].salt.length, 8);
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.deepEqual(hook.commitReveal()!.pendingCommits.map((p) => Object.keys(p).includes('salt')), [false]);

    const reveal = await until('the reveal', () => weightEvents(events).find((e) => e.mode === 'reveal'));
    assert.equal(reveal.error, undefined, reveal.error);
    assert.equal(reveal.submitted, true);
    assert.equal(reveal.commitHash, r.commitHash);
    assert.equal(epochIndex(reveal.block!, netuid, TEMPO), r.revealEpoch, 'revealed in exactly the reveal epoch');
    assert.ok(!JSON.stringify(events).includes('salt'));
    const e = normaliseWeights(minerUids, ws);
    assert.deepEqual(await onChainWeights(), e.uids.map((u, i) => [u, e.values[i]]).sort((a, b) => a[0] - b[0]));
    assert.deepEqual(JSON.parse(readFileSync(stateFile, 'utf8')).pending, []);
  } finally {
    await hook.close();
  }
});

test('commit–reveal: a restart (a new hook on the same state file) still reveals the commit made before it', { timeout: 60_000 }, async () => {
  const stateFile = join(dir, 'b', 'weights-commits.json');
  const first = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 60_000 });
  const ws = [0.9, 0, 0.1];
  const r = await first(minerUids, ws);
  await first.close(); // "crash" before the reveal (its poller never ran)
  assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).pending.length, 1);

  const events: LocoEvent[] = [];
  const second = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 200, events: (e) => events.push(e), uid: vuid });
  try {
    const reveal = await until('the reveal after the restart', () => weightEvents(events).find((e) => e.mode === 'reveal'));
    assert.equal(reveal.error, undefined, reveal.error);
    assert.equal(reveal.commitHash, r.commitHash);
    const e = normaliseWeights(minerUids, ws);
    assert.deepEqual(e.uids.length, 2);
    assert.deepEqual(await onChainWeights(), e.uids.map((u, i) => [u, e.values[i]]).sort((a, b) => a[0] - b[0]));
  } finally {
    await second.close();
  }
});

test('commit–reveal: a wrong salt is refused by the chain (InvalidRevealCommitHashNotMatch) and the commit dropped with the reason', { timeout: 60_000 }, async () => {
  const stateFile = join(dir, 'c', 'weights-commits.json');
  const before = await onChainWeights();
  const first = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 60_000 });
  await first(minerUids, [1, 1, 1]);
  await first.close();
  const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
  saved.pending[0].salt[0] = (saved.pending[0].salt[0] + 1) % 65536;
  writeFileSync(stateFile, JSON.stringify(saved));

  const events: LocoEvent[] = [];
  const logs: string[] = [];
  const second = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 200, events: (e) => events.push(e), uid: vuid, log: (m) => logs.push(m) });
  try {
    const dropped = await until('the refused reveal', () => weightEvents(events).find((e) => e.mode === 'reveal'));
    assert.equal(dropped.submitted, false);
    assert.match(dropped.error!, /InvalidRevealCommitHashNotMatch/);
    assert.ok(logs.some((l) => /dropped commit .*InvalidRevealCommitHashNotMatch/.test(l)), logs.join('\n'));
    assert.deepEqual(JSON.parse(readFileSync(stateFile, 'utf8')).pending, []);
    assert.deepEqual(await onChainWeights(), before, 'the weights on chain did not change');
  } finally {
    await second.close();
  }
});

test('commit–reveal: after a crash while waiting for inclusion, the chain\'s WeightCommits gives the commit block (found: revealed; not found: dropped)', { timeout: 60_000 }, async () => {
  const stateFile = join(dir, 'd', 'weights-commits.json');
  const first = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 60_000 });
  const ws = [0.3, 0.3, 0.4];
  const r = await first(minerUids, ws);
  await first.close();
  const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
  // as written before commit_weights was sent: no block, no epochs
  Object.assign(saved.pending[0], { commitBlock: null, commitEpoch: null, revealEpoch: null });
  // and one that never reached the chain
  saved.pending.unshift({ ...saved.pending[0], commitHash: `0x${'11'.repeat(32)}` });
  writeFileSync(stateFile, JSON.stringify(saved));

  const events: LocoEvent[] = [];
  const second = chainSetWeights(net.chain, netuid, vkey, { stateFile, pollMs: 200, events: (e) => events.push(e), uid: vuid });
  try {
    const reveal = await until('the reveal', () => weightEvents(events).find((e) => e.mode === 'reveal' && e.commitHash === r.commitHash));
    assert.equal(reveal.error, undefined, reveal.error);
    assert.equal(epochIndex(reveal.block!, netuid, TEMPO), r.revealEpoch);
    const lost = weightEvents(events).find((e) => e.commitHash === `0x${'11'.repeat(32)}`)!;
    assert.match(lost.error!, /not on chain/);
    const e = normaliseWeights(minerUids, ws);
    assert.deepEqual(await onChainWeights(), e.uids.map((u, i) => [u, e.values[i]]).sort((a, b) => a[0] - b[0]));
  } finally {
    await second.close();
  }
});
