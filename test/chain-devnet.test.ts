// The client in-process against the embedded devnet (src/devnet, started here on a free port):
// create a subnet, register, stake, set weights, commit, read everything back, and check that the
// metagraph read through the runtime API equals the one assembled from storage.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyringPair } from '@polkadot/keyring/types';
import { ROOT } from './helpers.js';
import { connect, type Chain } from '../src/chain/client.js';
import { LocoError } from '../src/errors.js';

const have = existsSync(join(ROOT, 'src', 'devnet', 'node.ts'));
const skip = have ? false : 'src/devnet is not there yet: skipping the client-against-devnet test';
if (!have) console.log(`# ${skip}`);

const TAO = 1_000_000_000n;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
let devnet: Any;
let chain: Chain;
let alice: KeyringPair;
let bob: KeyringPair;
let charlie: KeyringPair;

before(async () => {
  if (!have) return;
  const { Devnet } = await import('../src/devnet/node.js' as string);
  devnet = await Devnet.start({ port: 0, blockTimeMs: 50 });
  chain = await connect(devnet.url, { timeoutMs: 15_000 });
  const { Keyring } = await import('@polkadot/keyring');
  const k = new Keyring({ type: 'sr25519', ss58Format: 42 });
  [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((u) => k.addFromUri(u));
});
after(async () => {
  await chain?.close();
  await devnet?.stop();
});

const eventData = (r: { events: Array<{ pallet: string; name: string; data: unknown }> }, pallet: string, name: string) =>
  r.events.find((e) => e.pallet === pallet && e.name === name)?.data as unknown[] | undefined;

test('against the devnet: create, register, stake, weights, commitment; runtime-API and storage metagraphs agree', { skip }, async () => {
  const start = await chain.balance(alice.address);
  assert.ok(start.free > 1000n * TAO, 'Alice is funded at genesis');

  const created = await chain.submit(chain.tx.registerNetwork(bob.address), alice, 'register_network');
  const netuid = Number(eventData(created, 'SubtensorModule', 'NetworkAdded')?.[0]);
  assert.ok(Number.isInteger(netuid) && netuid > 0, `new netuid ${netuid}`);
  assert.ok((await chain.netuids()).includes(netuid));
  const info = await chain.subnet(netuid);
  assert.equal(info.owner, alice.address);
  const hp = await chain.hyperparameters(netuid);
  assert.equal(hp.tempo, info.tempo);

  const reg = await chain.submit(chain.tx.burnedRegister(netuid, charlie.address), alice, 'burned_register');
  const uid = Number(eventData(reg, 'SubtensorModule', 'NeuronRegistered')?.[1]);
  assert.equal(await chain.uidOf(netuid, charlie.address), uid);
  await assert.rejects(
    chain.submit(chain.tx.burnedRegister(netuid, charlie.address), alice, 'burned_register'),
    (e: unknown) => e instanceof LocoError && e.kind === 'chain' && /SubtensorModule\.HotKeyAlreadyRegisteredInSubNet/.test(e.message),
  );

  await chain.submit(chain.tx.addStake(bob.address, netuid, 5n * TAO), alice, 'add_stake');
  const bobUid = await chain.uidOf(netuid, bob.address);
  assert.notEqual(bobUid, undefined, 'the owner hotkey has a uid');
  const vk = await chain.weightsVersionKey(netuid);
  if (!(await chain.commitRevealEnabled(netuid))) {
    await chain.submit(chain.tx.setWeights(netuid, [uid], [65535], vk), bob, 'set_weights');
  }
  await chain.submit(chain.tx.setCommitment(netuid, new TextEncoder().encode('file:///tmp/loco')), bob, 'set_commitment');
  const cs = await chain.commitments(netuid);
  assert.deepEqual(cs.map((c) => [c.hotkey, c.fields[0]?.text]), [[bob.address, 'file:///tmp/loco']]);

  const viaApi = await chain.metagraph(netuid, { source: 'runtime-api' });
  const viaStorage = await chain.metagraph(netuid, { source: 'storage' });
  assert.equal(viaApi.source, 'runtime-api');
  assert.equal(viaStorage.source, 'storage');
  assert.ok(viaApi.neurons.length >= 2);
  const strip = (n: Any) => ({ uid: n.uid, hotkey: n.hotkey, coldkey: n.coldkey, stake: n.stake, active: n.active, validatorPermit: n.validatorPermit, incentive: n.incentive, dividends: n.dividends, emission: n.emission, lastUpdate: n.lastUpdate });
  assert.deepEqual(viaStorage.neurons.map(strip), viaApi.neurons.map(strip));
  const b = viaApi.neurons.find((n) => n.hotkey === bob.address)!;
  assert.ok(b.stake > 0n, 'stake shows on the owner hotkey');
  assert.equal(viaApi.neurons.find((n) => n.uid === uid)?.hotkey, charlie.address);

  const end = await chain.balance(alice.address);
  assert.ok(end.free < start.free - 5n * TAO, 'burn, lock and stake were paid by the coldkey');
});
