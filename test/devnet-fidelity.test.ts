// The devnet's metadata against finney's (spec 393, recorded): for every call, storage item,
// runtime API and constant the project uses (src/chain/usage.ts), the same names, argument names,
// Rust type names, resolved types and pallet/call indices; and the same call bytes for the same
// arguments. A drift fails here. Skips where ../shared/fixtures is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TypeRegistry } from '@polkadot/types';
import { Metadata } from '@polkadot/types/metadata';
import { decorateExtrinsics } from '@polkadot/types/metadata/decorate';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import type { ApiPromise } from '@polkadot/api';
import { SHARED } from './helpers.js';
import { buildMetadata } from '../src/devnet/metadata.js';
import { describeUsage } from '../src/chain/describe.js';
import { CHAIN_USAGE } from '../src/chain/usage.js';

const FIX = join(SHARED, 'fixtures', 'subtensor', 'finney-spec393-metadata-v15.hex');
const skip = existsSync(FIX) ? false : `finney fixture not found (${FIX}): skipping the devnet fidelity tests`;
if (skip) console.log(`# ${skip}`);

function finney(): { registry: TypeRegistry; metadata: Metadata } {
  const registry = new TypeRegistry();
  const opt = registry.createType('Option<OpaqueMetadata>', hexToU8a(readFileSync(FIX, 'utf8').trim()));
  const metadata = new Metadata(registry, opt.unwrap().toU8a(true));
  registry.setMetadata(metadata);
  return { registry, metadata };
}

const asApi = (registry: unknown) => ({ registry }) as unknown as ApiPromise;

test('devnet metadata: every call/storage/runtime API/constant the project uses matches finney spec 393', { skip }, () => {
  const fin = describeUsage(asApi(finney().registry));
  const dev = describeUsage(asApi(buildMetadata().registry));
  const problems: string[] = [];
  for (let i = 0; i < CHAIN_USAGE.length; i++) {
    const f = fin[i]!;
    const d = dev[i]!;
    if (!f.found) continue; // not on finney either (the client reads it only where present)
    if (!d.found) {
      if (!d.optional) problems.push(`${d.id}: missing on the devnet`);
      continue;
    }
    for (const k of ['args', 'hashers', 'key', 'value', 'output', 'index'] as const) {
      const a = JSON.stringify(f[k]);
      const b = JSON.stringify(d[k]);
      if (a !== b) problems.push(`${d.id} ${k}: finney ${a} devnet ${b}`);
    }
  }
  assert.deepEqual(problems, []);
  const found = dev.filter((d) => d.found).length;
  assert.ok(found >= CHAIN_USAGE.length - 6, `devnet has ${found} of ${CHAIN_USAGE.length} entries`);
});

test('devnet metadata: signed extensions are finney\'s, in finney\'s order', { skip }, () => {
  const f = finney().metadata.asLatest.extrinsic.transactionExtensions.map((e) => e.identifier.toString());
  const d = buildMetadata().metadata.asLatest.extrinsic.transactionExtensions.map((e) => e.identifier.toString());
  assert.deepEqual(d, f);
});

test('devnet metadata: call bytes equal finney\'s for the same arguments, and decode back', { skip }, () => {
  const fin = finney();
  const dev = buildMetadata();
  const ftx = decorateExtrinsics(fin.registry, fin.metadata.asLatest, fin.metadata.version);
  const dtx = decorateExtrinsics(dev.registry, dev.metadata.asLatest, dev.metadata.version);
  const HOT = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV';
  const COLD = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX';
  const cases: [string, string, unknown[]][] = [
    ['balances', 'transferKeepAlive', [{ Id: COLD }, 123_456_789n]],
    ['balances', 'transferAllowDeath', [{ Id: COLD }, 500n]],
    ['subtensorModule', 'burnedRegister', [1, HOT]],
    ['subtensorModule', 'registerNetwork', [HOT]],
    ['subtensorModule', 'addStake', [HOT, 3, 2_000_000_000n]],
    ['subtensorModule', 'removeStake', [HOT, 3, 1_000_000n]],
    ['subtensorModule', 'setWeights', [1, [0, 5], [65535, 32768], 10002000n]],
    ['subtensorModule', 'commitWeights', [1, '0xbee4f72e1dc3f21e323e45885d797355c5ceeaf1886b2329c5161751163b9838']],
    ['subtensorModule', 'revealWeights', [1, [0, 5], [65535, 32768], [1, 2, 3, 4, 5, 6, 7, 8], 10002000n]],
    ['subtensorModule', 'serveAxon', [1, 1, 3232235777n, 8091, 4, 4, 0, 0]],
    ['subtensorModule', 'startCall', [2]],
    ['commitments', 'setCommitment', [1, { fields: [{ Raw5: '0x68656c6c6f' }] }]],
    ['timestamp', 'set', [1_700_000_000_000n]],
    ['system', 'remark', ['0x0102']],
  ];
  for (const [section, method, args] of cases) {
    const a = (ftx as any)[section][method](...args).toU8a();
    const b = (dtx as any)[section][method](...args).toU8a();
    assert.equal(u8aToHex(b), u8aToHex(a), `${section}.${method}`);
    const back = dev.registry.createType('Call', b);
    assert.equal(`${back.section}.${back.method}`, `${section}.${method}`);
    assert.equal(u8aToHex(back.toU8a()), u8aToHex(a));
  }
  // the example from the reference: set_commitment(1, Raw5 "hello")
  assert.equal(u8aToHex((dtx as any).commitments.setCommitment(1, { fields: [{ Raw5: '0x68656c6c6f' }] }).toU8a()), '0x12000100040668656c6c6f');
  // sudo wraps a call byte-identically
  const inner = (dtx as any).adminUtils.sudoSetTempo(1, 10);
  const fi = (ftx as any).adminUtils.sudoSetTempo(1, 10);
  assert.equal(u8aToHex((dtx as any).sudo.sudo(inner).toU8a()), u8aToHex((ftx as any).sudo.sudo(fi).toU8a()));
});

test('devnet metadata: module error indices match finney for the errors the devnet raises', { skip }, () => {
  const fin = finney();
  const dev = buildMetadata();
  for (const [pallet, errors] of Object.entries(dev.errorIndex)) {
    const p = fin.metadata.asLatest.pallets.find((x) => x.name.toString() === pallet)!;
    assert.ok(p, pallet);
    const variants = fin.registry.lookup.getSiType(p.errors.unwrap().type).def.asVariant.variants;
    for (const [name, idx] of Object.entries(errors)) {
      const v = variants.find((x) => x.name.toString() === name);
      assert.ok(v, `${pallet}.${name} exists on finney`);
      assert.equal(idx, v!.index.toNumber(), `${pallet}.${name}`);
    }
    assert.equal(p.index.toNumber(), dev.palletIndex[pallet], `${pallet} index`);
  }
});
