// The devnet as a node: @polkadot/api connects over WebSocket exactly as to Subtensor, reads the
// runtime version and metadata, follows heads, transfers between dev accounts (balance, fee,
// nonce, events), gets Substrate's errors for bad input and keeps serving, and keeps its state
// across a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { u8aToHex } from '@polkadot/util';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { tempDir } from './helpers.js';
import { Devnet } from '../src/devnet/node.js';
import { BASE_FEE, LENGTH_FEE, WEIGHT_FEE_DIVISOR } from '../src/devnet/runtime.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const dir = tempDir('loco-devnet-');
let devnet: Devnet;
let api: ApiPromise;
let alice: KeyringPair;
let bob: KeyringPair;

async function connect(url: string): Promise<ApiPromise> {
  return ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
}

before(async () => {
  await cryptoWaitReady();
  devnet = await Devnet.start({ dir, port: 0, blockTimeMs: 100 });
  api = await connect(devnet.url);
  const kr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  alice = kr.addFromUri('//Alice');
  bob = kr.addFromUri('//Bob');
});

after(async () => {
  await api?.disconnect();
  await devnet?.stop();
});

interface Sent {
  blockHash: string;
  events: Any[];
  dispatchError?: Any;
}

function send(tx: SubmittableExtrinsic<'promise'>, signer: KeyringPair, opts: Any = {}): Promise<Sent> {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, opts, (r) => {
      if (r.status.isInBlock) resolve({ blockHash: r.status.asInBlock.toHex(), events: r.events, dispatchError: r.dispatchError });
      if (r.isError) reject(new Error(`status ${r.status.type}`));
    }).catch(reject);
  });
}

const free = async (addr: string): Promise<bigint> => ((await api.query.system.account(addr)) as Any).data.free.toBigInt();

test('devnet: @polkadot/api connects; runtime version, properties and metadata are Subtensor-shaped', async () => {
  assert.equal(api.runtimeVersion.specName.toString(), 'node-subtensor');
  assert.equal(api.registry.chainSS58, 42);
  assert.deepEqual(api.registry.chainTokens, ['TAO']);
  assert.deepEqual(api.registry.chainDecimals, [9]);
  assert.ok(api.tx.subtensorModule.burnedRegister, 'SubtensorModule.burned_register');
  assert.ok(api.query.subtensorModule.incentive, 'SubtensorModule.Incentive');
  assert.ok((api.call as Any).neuronInfoRuntimeApi?.getNeuronsLite, 'NeuronInfoRuntimeApi.get_neurons_lite');
  assert.equal(api.genesisHash.toHex(), devnet.genesisHash);
  assert.equal((api.consts.balances.existentialDeposit as Any).toNumber(), 500);
  const health = await api.rpc.system.health();
  assert.equal(health.isSyncing.toJSON(), false);
  const methods = await api.rpc.rpc.methods();
  assert.ok(methods.methods.map(String).includes('author_submitAndWatchExtrinsic'));
});

test('devnet: new and finalized heads arrive in order, blocks and hashes agree', async () => {
  const seen: number[] = [];
  await new Promise<void>((resolve) => {
    let unsub: (() => void) | undefined;
    void api.rpc.chain
      .subscribeNewHeads((h) => {
        seen.push(h.number.toNumber());
        if (seen.length === 3) {
          unsub?.();
          resolve();
        }
      })
      .then((u) => (unsub = u));
  });
  assert.ok(seen[1]! > seen[0]! && seen[2]! > seen[1]!, `increasing: ${seen}`);
  const hash = await api.rpc.chain.getBlockHash(seen[1]);
  const block = await api.rpc.chain.getBlock(hash);
  assert.equal(block.block.header.number.toNumber(), seen[1]);
  assert.equal(block.block.header.hash.toHex(), hash.toHex(), 'header hash = blake2(SCALE header)');
  assert.equal(block.block.extrinsics[0]!.method.section, 'timestamp');
  const fin = await api.rpc.chain.getFinalizedHead();
  const finHeader = await api.rpc.chain.getHeader(fin);
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(finHeader.number.toNumber() <= best && finHeader.number.toNumber() >= best - devnet.finalityLag - 2, `finalized ${finHeader.number} best ${best}`);
});

test('devnet: transfer between dev accounts changes balances, charges the documented fee, bumps the nonce', async () => {
  const amount = 1_234_567_890n;
  const [a0, b0] = [await free(alice.address), await free(bob.address)];
  const nonce0 = ((await api.query.system.account(alice.address)) as Any).nonce.toNumber();
  const tx = api.tx.balances.transferKeepAlive(bob.address, amount);
  const info = await tx.paymentInfo(alice);
  const r = await send(tx, alice);
  assert.equal(r.dispatchError, undefined);
  const names = r.events.map((e) => `${e.event.section}.${e.event.method}`);
  assert.deepEqual(names, ['balances.Withdraw', 'balances.Transfer', 'transactionPayment.TransactionFeePaid', 'system.ExtrinsicSuccess']);
  const feePaid = r.events.find((e) => e.event.method === 'TransactionFeePaid')!.event.data[1].toBigInt();
  const len = BigInt(tx.encodedLength);
  assert.equal(feePaid, BASE_FEE + LENGTH_FEE * len + 200_000_000n / WEIGHT_FEE_DIVISOR);
  assert.equal(feePaid, info.partialFee.toBigInt(), 'paymentInfo predicts the fee');
  const [a1, b1] = [(await api.query.system.account.at(r.blockHash, alice.address)) as Any, (await api.query.system.account.at(r.blockHash, bob.address)) as Any];
  assert.equal(b1.data.free.toBigInt() - b0, amount);
  assert.equal(a0 - a1.data.free.toBigInt(), amount + feePaid);
  assert.equal(a1.nonce.toNumber(), nonce0 + 1);
  assert.equal((await api.rpc.system.accountNextIndex(alice.address)).toNumber(), nonce0 + 1);
});

test('devnet: failed dispatch is ExtrinsicFailed with a decodable error; fee still charged, nonce still bumped', async () => {
  const charlie = new Keyring({ type: 'sr25519' }).addFromUri('//Charlie');
  const r = await send(api.tx.subtensorModule.burnedRegister(77, bob.address), charlie);
  assert.ok(r.dispatchError?.isModule);
  const meta = api.registry.findMetaError(r.dispatchError.asModule);
  assert.equal(`${meta.section}.${meta.name}`, 'subtensorModule.SubnetNotExists');
  const r2 = await send(api.tx.balances.transferKeepAlive(bob.address, 10n ** 30n > 0n ? 5_000_000_000_000_000n : 0n), charlie);
  assert.ok(r2.dispatchError?.isToken, r2.dispatchError?.toString());
  assert.equal(r2.dispatchError.asToken.toString(), 'FundsUnavailable');
  assert.ok(r2.events.some((e) => e.event.method === 'ExtrinsicFailed'));
});

test('devnet: bad signature, stale nonce, unaffordable, malformed and unknown method get Substrate\'s errors; the devnet keeps serving', async () => {
  // bad signature: flip a byte of a valid signature
  const tx = api.tx.balances.transferKeepAlive(bob.address, 1_000_000n);
  await tx.signAsync(alice);
  const bytes = tx.toU8a();
  const sigAt = u8aToHex(bytes).indexOf(u8aToHex(tx.signature.toU8a()).slice(2)) / 2 - 1;
  const bad = Uint8Array.from(bytes);
  bad[sigAt + 5] ^= 0xff;
  await assert.rejects(api.rpc.author.submitExtrinsic(u8aToHex(bad)), /1010: Invalid Transaction: Transaction has a bad signature/);

  // stale nonce
  const stale = api.tx.balances.transferKeepAlive(bob.address, 1_000_000n);
  await stale.signAsync(alice, { nonce: 0 });
  await assert.rejects(api.rpc.author.submitExtrinsic(stale.toHex()), /1010: Invalid Transaction: Transaction is outdated/);

  // unaffordable: a fresh account with no balance
  const pauper = new Keyring({ type: 'sr25519' }).addFromUri('//NobodyHasFundedMe');
  const poor = api.tx.balances.transferKeepAlive(bob.address, 1_000_000n);
  await poor.signAsync(pauper, { nonce: 0 });
  await assert.rejects(api.rpc.author.submitExtrinsic(poor.toHex()), /1010: Invalid Transaction: Inability to pay some fees/);

  // malformed bytes (raw JSON-RPC: @polkadot/api refuses to send them)
  const rpc = (method: string, params: unknown[]) =>
    fetch(devnet.url.replace('ws://', 'http://'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params }),
    }).then((r) => r.json() as Promise<Any>);
  const malformed = await rpc('author_submitExtrinsic', ['0x1234']);
  assert.equal(malformed.error.code, 1001);
  assert.match(malformed.error.message, /Extrinsic has invalid format/);
  const truncated = await rpc('author_submitExtrinsic', [u8aToHex(bytes.slice(0, bytes.length - 3))]);
  assert.equal(truncated.error.code, 1001);

  // wrong genesis in the signed payload = a bad signature too
  const other = api.tx.balances.transferKeepAlive(bob.address, 1n);
  await other.signAsync(alice, { era: 0, blockHash: `0x${'11'.repeat(32)}` as Any, genesisHash: `0x${'11'.repeat(32)}` as Any } as Any);
  await assert.rejects(api.rpc.author.submitExtrinsic(other.toHex()), /bad signature/);

  // unknown method (raw JSON-RPC) and a duplicate submission
  const res = await rpc('foo_bar', []);
  assert.deepEqual(res, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 7 });
  const garbage = await fetch(devnet.url.replace('ws://', 'http://'), { method: 'POST', body: '{not json' }).then((r) => r.json() as Promise<Any>);
  assert.equal(garbage.error.code, -32700);

  // still serving: a good transfer goes through
  const ok = await send(api.tx.balances.transferKeepAlive(bob.address, 2_000_000n), alice);
  assert.equal(ok.dispatchError, undefined);
});

test('devnet: every RPC method survives garbage parameters (an answer, never a crash)', async () => {
  const url = devnet.url.replace('ws://', 'http://');
  const methods = (await api.rpc.rpc.methods()).methods.map(String);
  const garbage: unknown[][] = [[], [null], ['0x'], ['0xzz'], [12345678901234], [{}, [], 'x'], [['0x00', 5]], ['Metadata_metadata_at_version', '0xffff'], ['TransactionPaymentApi_query_info', '0x0102']];
  const before = devnet.head.number;
  for (const method of methods) {
    for (const params of garbage) {
      const res = (await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      }).then((r) => r.json())) as Any;
      assert.equal(res.jsonrpc, '2.0', method);
      assert.ok('result' in res || (res.error && typeof res.error.code === 'number'), `${method} ${JSON.stringify(params)}: ${JSON.stringify(res)}`);
    }
  }
  const batch = (await fetch(url, { method: 'POST', body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'system_name' }, { id: 2 }]) }).then((r) => r.json())) as Any;
  assert.equal(batch[0].result, 'loco-devnet');
  assert.equal(batch[1].error.code, -32600);
  for (let i = 0; i < 50 && devnet.head.number <= before; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(devnet.head.number > before, 'still producing blocks');
});

test('devnet: immortal transactions and explicit nonces queue in the pool (future → ready)', async () => {
  const n = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  // submit nonce n+1 first (future), then n: both land, in nonce order
  const t1 = api.tx.balances.transferKeepAlive(bob.address, 3_000_000n);
  await t1.signAsync(alice, { nonce: n + 1, era: 0 });
  const t0 = api.tx.balances.transferKeepAlive(bob.address, 3_000_000n);
  await t0.signAsync(alice, { nonce: n, era: 0 });
  const h1 = await api.rpc.author.submitExtrinsic(t1.toHex());
  await assert.rejects(api.rpc.author.submitExtrinsic(t1.toHex()), /1013: Transaction Already Imported/);
  const h0 = await api.rpc.author.submitExtrinsic(t0.toHex());
  assert.notEqual(h0.toHex(), h1.toHex());
  for (let i = 0; i < 50; i++) {
    if ((((await api.query.system.account(alice.address)) as Any).nonce.toNumber()) >= n + 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((((await api.query.system.account(alice.address)) as Any).nonce.toNumber()), n + 2);
});

test('devnet: a restart continues at the same height with the same state', async () => {
  const bobBefore = await free(bob.address);
  await api.disconnect();
  await devnet.stop();
  const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  assert.equal(saved.format, 'loco-devnet/1');
  assert.ok(existsSync(join(dir, 'blocks.ndjson')));
  const height = saved.head.number as number;
  // a torn last line (crash while appending) is dropped on start
  const { appendFileSync } = await import('node:fs');
  appendFileSync(join(dir, 'blocks.ndjson'), '{"number": 99999, "trunc');
  devnet = await Devnet.start({ dir, port: 0, blockTimeMs: 100 });
  assert.equal(devnet.head.number, height);
  // one devnet per folder
  await assert.rejects(Devnet.start({ dir, port: 0, blockTimeMs: 100 }), /another devnet \(pid \d+\) is using/);
  api = await connect(devnet.url);
  assert.equal(api.genesisHash.toHex(), saved.genesisHash);
  assert.equal(await free(bob.address), bobBefore);
  const h = await api.rpc.chain.getHeader();
  assert.ok(h.number.toNumber() >= height);
  const r = await send(api.tx.balances.transferKeepAlive(bob.address, 1_000_000n), alice);
  assert.equal(r.dispatchError, undefined);
});
