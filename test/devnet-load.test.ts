// Load: 1,000 transfers from 10 accounts, signed with consecutive nonces and submitted concurrently
// over one WebSocket, are each included exactly once, in nonce order per sender. Prints the
// submit → inBlock latency (p50/p99) for docs/devnet.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { Devnet } from '../src/devnet/node.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const TAO = 1_000_000_000n;
const SENDERS = 10;
const PER_SENDER = 100;
const BLOCK_MS = 250;

let devnet: Devnet;
let api: ApiPromise;

before(async () => {
  await cryptoWaitReady();
  devnet = await Devnet.start({ port: 0, blockTimeMs: BLOCK_MS });
  api = await ApiPromise.create({ provider: new WsProvider(devnet.url), noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  await devnet?.stop();
});

test(`devnet load: ${SENDERS * PER_SENDER} transfers from ${SENDERS} accounts are each included exactly once`, { timeout: 120_000 }, async () => {
  const kr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = kr.addFromUri('//Alice');
  const senders: KeyringPair[] = Array.from({ length: SENDERS }, (_, i) => kr.addFromUri(`//Load${i}`));
  const sink = kr.addFromUri('//LoadSink');
  // fund the senders (one batch of Alice's transfers, consecutive nonces)
  let n = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
  const funding = [];
  for (const s of senders) funding.push(await api.tx.balances.transferKeepAlive(s.address, 10n * TAO).signAsync(alice, { nonce: n++ }));
  await Promise.all(funding.map((tx) => new Promise<void>((res, rej) => void tx.send((r) => { if (r.status.isInBlock) res(); }).catch(rej))));

  // sign everything first, then submit all at once
  const signed: { tx: Any; sender: number; nonce: number }[] = [];
  for (let k = 0; k < PER_SENDER; k++) {
    for (let i = 0; i < SENDERS; i++) {
      const tx = await api.tx.balances.transferKeepAlive(sink.address, 1_000_000n + BigInt(k)).signAsync(senders[i]!, { nonce: k });
      signed.push({ tx, sender: i, nonce: k });
    }
  }
  // raw author_submitAndWatchExtrinsic on a second connection (no per-transaction event fetching)
  const provider = new WsProvider(devnet.url);
  await provider.isReady;
  const latencies: number[] = [];
  const inBlock = new Map<string, string>();
  const t00 = performance.now();
  await Promise.all(
    signed.map(
      ({ tx }) =>
        new Promise<void>((resolve, reject) => {
          const t0 = performance.now();
          provider
            .subscribe('author_extrinsicUpdate', 'author_submitAndWatchExtrinsic', [tx.toHex()], (err: Any, status: Any) => {
              if (err) return reject(err);
              if (status && typeof status === 'object' && status.inBlock) {
                latencies.push(performance.now() - t0);
                inBlock.set(tx.hash.toHex(), status.inBlock);
                resolve();
              } else if (status === 'invalid' || status === 'dropped') reject(new Error(String(status)));
            })
            .catch(reject);
        }),
    ),
  );
  const wall = performance.now() - t00;
  await provider.disconnect();
  assert.equal(inBlock.size, SENDERS * PER_SENDER);

  // exactly once: walk the blocks and count each hash
  const blocks = new Set(inBlock.values());
  const seen = new Map<string, number>();
  const perSender = new Map<string, number[]>();
  for (const h of blocks) {
    const b = await api.rpc.chain.getBlock(h);
    for (const ex of b.block.extrinsics) {
      if (!ex.isSigned) continue;
      const hash = ex.hash.toHex();
      if (!inBlock.has(hash)) continue;
      seen.set(hash, (seen.get(hash) ?? 0) + 1);
      const who = ex.signer.toString();
      perSender.set(who, [...(perSender.get(who) ?? []), ex.nonce.toNumber()]);
    }
  }
  assert.equal(seen.size, SENDERS * PER_SENDER);
  assert.ok([...seen.values()].every((c) => c === 1), 'no extrinsic included twice');
  for (const s of senders) {
    const account = (await api.query.system.account(s.address)) as Any;
    assert.equal(account.nonce.toNumber(), PER_SENDER, `${s.address} nonce`);
  }
  latencies.sort((a, b) => a - b);
  const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(
    `# devnet load: ${latencies.length} transfers in ${blocks.size} blocks (block time ${BLOCK_MS} ms), all in block after ${wall.toFixed(0)} ms; submit→inBlock p50 ${p(0.5).toFixed(0)} ms, p99 ${p(0.99).toFixed(0)} ms`,
  );
});
