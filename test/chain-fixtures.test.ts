// The client against real finney data, offline: call bytes built over the spec-393 metadata
// (pinned, and decoded back to the same arguments), every call/storage item/runtime API the
// project uses exists there with the expected names, and the recorded get_neurons_lite response
// (spec 343, netuid 1) decodes into the project's metagraph model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiPromise } from '@polkadot/api';
import { SHARED } from './helpers.js';
import { OfflineProvider, readHexFile } from '../src/chain/offline.js';
import { Chain, SUBTENSOR_SIGNED_EXTENSIONS } from '../src/chain/client.js';
import { describeDispatchError } from '../src/chain/errors.js';
import { metagraphJson, totals } from '../src/chain/metagraph.js';
import { CALLS, CHAIN_USAGE, RUNTIME_APIS, STORAGE } from '../src/chain/usage.js';
import { describeUsage } from '../src/chain/describe.js';
import { keypairFromMnemonic } from '../src/wallet/keypair.js';

const FIX = join(SHARED, 'fixtures', 'subtensor');
const have = existsSync(join(FIX, 'finney-spec393-metadata-v15.hex'));
const skip = have ? false : `fixtures not found at ${FIX} (../shared/fixtures is absent): skipping the finney fidelity tests`;
if (!have) console.log(`# ${skip}`);

const COLD = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX'; // fixture wallet coldkey
const HOT = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV'; // fixture wallet hotkey
const HOT_HEX = '46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a';
const COLD_HEX = 'e4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446';

async function offlineApi(spec: 343 | 393, stateCalls: Record<string, string> = {}): Promise<ApiPromise> {
  const { ApiPromise } = await import('@polkadot/api');
  return ApiPromise.create({
    provider: new OfflineProvider({ metadataAtVersionHex: readHexFile(join(FIX, `finney-spec${spec}-metadata-v15.hex`)), specVersion: spec, blockNumber: 6852690, stateCalls }),
    noInitWarn: true,
    signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
  });
}

let api393: ApiPromise;
let chain: Chain;
before(async () => {
  if (!have) return;
  api393 = await offlineApi(393);
  chain = new Chain(api393);
});
after(async () => {
  await api393?.disconnect();
});

const C = () => chain;
// Fixed arguments → the exact call bytes on finney (pallet index, call index, SCALE args).
const CASES: Array<{ pallet: string; name: string; build: () => { method: { toHex(): string } }; hex: string; args: unknown[] }> = [
  {
    pallet: 'Balances', name: 'transfer_keep_alive', build: () => C().tx.transferKeepAlive(COLD, 1_500_000_000n),
    hex: `0x0503 00${COLD_HEX} 03002f6859`.replace(/ /g, ''), args: [{ id: COLD }, 1_500_000_000],
  },
  {
    pallet: 'Balances', name: 'transfer_allow_death', build: () => C().tx.transferAllowDeath(COLD, 500n),
    hex: `0x0500 00${COLD_HEX} d107`.replace(/ /g, ''), args: [{ id: COLD }, 500],
  },
  { pallet: 'SubtensorModule', name: 'burned_register', build: () => C().tx.burnedRegister(1, HOT), hex: `0x0707 0100 ${HOT_HEX}`.replace(/ /g, ''), args: [1, HOT] },
  { pallet: 'SubtensorModule', name: 'register_network', build: () => C().tx.registerNetwork(HOT), hex: `0x073b${HOT_HEX}`, args: [HOT] },
  {
    pallet: 'SubtensorModule', name: 'add_stake', build: () => C().tx.addStake(HOT, 1, 2_000_000_000n),
    hex: `0x0702 ${HOT_HEX} 0100 0094357700000000`.replace(/ /g, ''), args: [HOT, 1, 2_000_000_000],
  },
  {
    pallet: 'SubtensorModule', name: 'remove_stake', build: () => C().tx.removeStake(HOT, 1, 1000n),
    hex: `0x0703 ${HOT_HEX} 0100 e803000000000000`.replace(/ /g, ''), args: [HOT, 1, 1000],
  },
  {
    pallet: 'SubtensorModule', name: 'set_weights', build: () => C().tx.setWeights(1, [0, 5], [65535, 32768], 10002000n),
    hex: '0x0700 0100 08 0000 0500 08 ffff 0080 509e980000000000'.replace(/ /g, ''), args: [1, [0, 5], [65535, 32768], 10002000],
  },
  {
    pallet: 'SubtensorModule', name: 'commit_weights', build: () => C().tx.commitWeights(1, '0xbee4f72e1dc3f21e323e45885d797355c5ceeaf1886b2329c5161751163b9838'),
    hex: '0x0760 0100 bee4f72e1dc3f21e323e45885d797355c5ceeaf1886b2329c5161751163b9838'.replace(/ /g, ''),
    args: [1, '0xbee4f72e1dc3f21e323e45885d797355c5ceeaf1886b2329c5161751163b9838'],
  },
  {
    pallet: 'SubtensorModule', name: 'reveal_weights', build: () => C().tx.revealWeights(1, [0, 5], [65535, 32768], [1, 2, 3, 4, 5, 6, 7, 8], 10002000n),
    hex: '0x0761 0100 08 0000 0500 08 ffff 0080 20 0100 0200 0300 0400 0500 0600 0700 0800 509e980000000000'.replace(/ /g, ''),
    args: [1, [0, 5], [65535, 32768], [1, 2, 3, 4, 5, 6, 7, 8], 10002000],
  },
  {
    // The reference's checked vector: setCommitment(1, {fields: [{Raw5: "hello"}]})
    pallet: 'Commitments', name: 'set_commitment', build: () => C().tx.setCommitment(1, new TextEncoder().encode('hello')),
    hex: '0x12000100040668656c6c6f', args: [1, { fields: [{ raw5: '0x68656c6c6f' }] }],
  },
];

test('every call the project uses encodes over finney spec-393 metadata to the pinned bytes and decodes back', { skip }, () => {
  assert.deepEqual(new Set(CASES.map((c) => `${c.pallet}.${c.name}`)), new Set(CALLS.map((c) => `${c.pallet}.${c.name}`)), 'a case per call in usage.ts');
  for (const c of CASES) {
    const tx = c.build();

    const hex = tx.method.toHex();
    assert.equal(hex, c.hex, `${c.pallet}.${c.name} call bytes`);
    // decode the bytes back with the registry alone
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const call: any = api393.registry.createType('Call', hex);

    assert.equal(call.section.toLowerCase(), c.pallet.toLowerCase().replace('_', ''), `${c.name} section`);
    assert.equal(call.method, c.name.replace(/_([a-z])/g, (_, x: string) => x.toUpperCase()));
    const meta = CALLS.find((x) => x.pallet === c.pallet && x.name === c.name)!;
    const camel = (x: string) => x.replace(/_([a-z])/g, (_, y: string) => y.toUpperCase());
    assert.deepEqual(call.meta.args.map((a: { name: { toString(): string } }) => a.name.toString()), meta.args.map(camel), `${c.name} argument names`);
    assert.deepEqual(call.args.map((a: { toJSON(): unknown }) => a.toJSON()), JSON.parse(JSON.stringify(c.args)), `${c.name} decoded arguments`);
  }
});

test('a signed extrinsic (coldkey-signed burned_register, tip and nonce) decodes back with its signer and call', { skip }, async () => {
  const { Keyring } = await import('@polkadot/keyring');
  const cold = await keypairFromMnemonic('old leopard transfer rib spatial phone calm indicate online fire caution review');
  const pair = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromPair({ publicKey: cold.publicKey, secretKey: cold.secretKey! });
  const tx = chain.tx.burnedRegister(1, HOT);
  const genesis = api393.genesisHash.toHex();
  tx.sign(pair, { nonce: 7, tip: 123, blockHash: genesis, genesisHash: genesis, runtimeVersion: api393.runtimeVersion, signedExtensions: api393.registry.signedExtensions });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const back: any = api393.registry.createType('Extrinsic', tx.toHex());
  assert.equal(back.isSigned, true);
  assert.equal(back.signer.toString(), COLD);
  assert.equal(back.nonce.toNumber(), 7);
  assert.equal(back.tip.toNumber(), 123);
  assert.equal(back.method.toHex(), `0x07070100${HOT_HEX}`);
});

test('usage.ts: every call, storage item, runtime API and constant exists in finney spec-393 metadata (names, argument names, indices)', { skip }, () => {
  const d = describeUsage(api393);
  assert.equal(d.length, CHAIN_USAGE.length);
  for (const [i, u] of CHAIN_USAGE.entries()) {
    const x = d[i];
    if (!x.optional) assert.ok(x.found, `${x.id} is in finney's metadata`);
    if (u.kind === 'call') assert.deepEqual(x.args!.map((a) => a.name), u.args, `${x.id} argument names`);
  }
  const byId = Object.fromEntries(d.map((x) => [x.id, x]));
  // Subtensor's pallet/call indices (runtime/src/lib.rs, dispatches.rs)
  assert.deepEqual(byId['call SubtensorModule.burned_register'].index, [7, 7]);
  assert.deepEqual(byId['call SubtensorModule.set_weights'].index, [7, 0]);
  assert.deepEqual(byId['call SubtensorModule.commit_weights'].index, [7, 96]);
  assert.deepEqual(byId['call SubtensorModule.reveal_weights'].index, [7, 97]);
  assert.deepEqual(byId['call SubtensorModule.register_network'].index, [7, 59]);
  assert.deepEqual(byId['call Commitments.set_commitment'].index, [18, 0]);
  assert.deepEqual(byId['call Balances.transfer_keep_alive'].index, [5, 3]);
  assert.deepEqual(byId['call SubtensorModule.add_stake'].args!.map((a) => a.type), ['AccountId32', 'u16', 'u64']);
  assert.deepEqual(byId['storage SubtensorModule.Keys'].hashers, ['Identity', 'Identity']);
  assert.equal(byId['storage SubtensorModule.Keys'].value, 'AccountId32');
  assert.equal(byId['runtimeApi NeuronInfoRuntimeApi.get_neurons_lite'].args![0].name, 'netuid');
  assert.ok(STORAGE.length > 20 && RUNTIME_APIS.length >= 1);
});

test('recorded get_neurons_lite (finney spec 343, netuid 1) decodes into the metagraph model', { skip }, async () => {
  const raw = readHexFile(join(FIX, 'finney-spec343-neurons-lite-netuid1.hex'));
  const api = await offlineApi(343, { NeuronInfoRuntimeApi_get_neurons_lite: raw });
  try {
    const m = await new Chain(api).metagraph(1);
    assert.equal(m.source, 'runtime-api');
    assert.equal(m.block, 6852690);
    assert.equal(m.neurons.length, 1024);
    assert.deepEqual(m.neurons.map((n) => n.uid), Array.from({ length: 1024 }, (_, i) => i));
    for (const n of m.neurons) {
      assert.match(n.hotkey, /^5[1-9A-HJ-NP-Za-km-z]{47}$/);
      assert.match(n.coldkey, /^5[1-9A-HJ-NP-Za-km-z]{47}$/);
      assert.equal(n.netuid, 1);
      assert.equal(n.stake, n.stakes.reduce((a, s) => a + s.amount, 0n));
      for (const k of ['rank', 'trust', 'consensus', 'incentive', 'dividends', 'validatorTrust'] as const) assert.ok(n[k] >= 0 && n[k] <= 1, `${k} in [0,1]`);
    }
    const n0 = m.neurons[0];
    assert.equal(n0.hotkey, '5DkMmXtWf16RNdusZGCrJ7ca7ADPgRnZLVWCWbgA7s7sy1AQ');
    assert.equal(n0.coldkey, '5EhQWxcFdYAk7B9tNdQnJQFzww5N3964rbsMk55SujcX3PwM');
    assert.equal(n0.stake, 2_557_172_316n);
    assert.equal(n0.lastUpdate, 2_543_521);
    assert.deepEqual(n0.axon, { block: 6_575_906, version: 9_011_001, ip: '192.222.59.109', port: 6028, ipType: 4, protocol: 4 });
    const t = totals(m);
    assert.equal(t.stake, 414_026_131_830_337n);
    assert.equal(t.emission, 82_000_457_507n);
    assert.equal(t.validators, 12);
    assert.equal(t.active, 10);
    assert.ok(Math.abs(t.incentive - 1) < 1e-3, `incentives sum to ~1 (got ${t.incentive})`);
    const top = [...m.neurons].sort((a, b) => (b.stake > a.stake ? 1 : -1))[0];
    assert.equal(top.uid, 630);
    assert.equal(top.stake, 312_460_092_414_791n);
    // Cross-check against the raw SCALE decoded without the model: same stake per uid.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const plain: any[] = ((await (api.call as any).neuronInfoRuntimeApi.getNeuronsLite(1)) as any).toJSON();
    for (const p of plain) assert.equal(m.neurons[p.uid].stake, p.stake.reduce((a: bigint, s: [string, number | string]) => a + BigInt(s[1]), 0n));
    // JSON form has no bigints
    assert.doesNotThrow(() => JSON.stringify(metagraphJson(m)));
  } finally {
    await api.disconnect();
  }
});

test('module errors decode through the metadata into readable messages', { skip }, () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r: any = api393.registry;
  const pallet = api393.registry.metadata.pallets.find((p) => p.name.toString() === 'SubtensorModule')!;
  const errType = r.lookup.getSiType(pallet.errors.unwrap().type);
  const idx = errType.def.asVariant.variants.findIndex((v: { name: { toString(): string } }) => v.name.toString() === 'SettingWeightsTooFast');
  assert.ok(idx >= 0);
  const err = r.createType('DispatchError', { Module: { index: 7, error: [idx, 0, 0, 0] } });
  const d = describeDispatchError(r, err);
  assert.equal(d.module?.pallet, 'SubtensorModule');
  assert.equal(d.module?.name, 'SettingWeightsTooFast');
  assert.match(d.message, /^SubtensorModule\.SettingWeightsTooFast: WeightsSetRateLimit/);
});
