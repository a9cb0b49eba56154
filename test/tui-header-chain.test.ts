// The chain_status poller (src/miner/status.ts) on the embedded devnet: block, window and countdown,
// the miner's registration and stake, and the validator's weight on it as set on chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect } from '../src/chain/client.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';
import { chainSetWeights } from '../src/miner/chain.js';
import { startChainStatus, ChainStatusPoller } from '../src/miner/status.js';
import type { ChainStatusEvent, LocoEvent } from '../src/protocol/events.js';

const TAO = 1_000_000_000n;
const key = (n: string) => keypairFromSeed(new Uint8Array(createHash('sha256').update(`loco-tui-header-chain-${n}`).digest()));

test('chain_status on the devnet: block, countdown, registration, stake and the validator\'s weight', { timeout: 120_000 }, async () => {
  const { Devnet } = await import('../src/devnet/node.js');
  const devnet = await Devnet.start({ port: 0, blockTimeMs: 100 });
  const chain = await connect(devnet.url, { timeoutMs: 30_000 });
  try {
    const { Keyring } = await import('@polkadot/keyring');
    const alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
    const [vkey, miner, stranger] = await Promise.all(['validator', 'miner', 'stranger'].map(key));
    const created = await chain.submit(chain.tx.registerNetwork(vkey.ss58Address), alice, 'register_network');
    const netuid = Number(created.events.find((e) => e.name === 'NetworkAdded')?.data?.[0 as never]);
    await chain.submit(chain.tx.transferKeepAlive(vkey.ss58Address, 10n * TAO), alice, 'transfer');
    await chain.submit(chain.tx.burnedRegister(netuid, miner.ss58Address), alice, 'burned_register');
    await chain.submit(chain.tx.addStake(miner.ss58Address, netuid, 2n * TAO), alice, 'add_stake');
    const vuid = (await chain.uidOf(netuid, vkey.ss58Address))!;
    const muid = (await chain.uidOf(netuid, miner.ss58Address))!;
    await chainSetWeights(chain, netuid, vkey)([muid, vuid], [3, 1]);

    const bpw = 10;
    const got: LocoEvent[] = [];
    const p = new ChainStatusPoller({ chain, network: 'devnet', netuid, role: 'miner', uid: 99, hotkey: miner.ss58Address, blocksPerWindow: bpw, sink: (e) => got.push(e), slowEveryMs: 0 });
    const e = await p.poll();
    assert.equal(got.length, 1);
    assert.equal(e.event, 'chain_status');
    assert.equal(e.uid, muid, 'the uid comes from the metagraph');
    assert.equal(e.registered, true);
    assert.ok(e.stake !== null && e.stake >= 1.9, `stake ${e.stake}`);
    assert.equal(e.window, Math.floor(e.block / bpw));
    assert.equal(e.weights_in.length, 1);
    assert.equal(e.weights_in[0].uid, vuid);
    assert.ok(Math.abs(e.weights_in[0].weight - 0.75) < 1e-3, `weight ${e.weights_in[0].weight}`);
    // block time from the chain's timestamps (window ≥ 1) or from blocks seen; 100 ms blocks
    if (e.block_seconds === null) {
      await new Promise((r) => setTimeout(r, 400));
      await p.poll();
    }
    const last = got[got.length - 1] as ChainStatusEvent;
    assert.ok(last.block_seconds !== null && last.block_seconds > 0.05 && last.block_seconds < 1, `block_seconds ${last.block_seconds}`);
    assert.ok(last.next_window_in_s !== null && last.next_window_in_s > 0 && last.next_window_in_s <= bpw * last.block_seconds! + 1e-9);

    // a hotkey that is not registered, polled in the background until stopped
    const seen: ChainStatusEvent[] = [];
    const bg = startChainStatus({ chain, network: 'devnet', netuid, role: 'miner', uid: 5, hotkey: stranger.ss58Address, blocksPerWindow: bpw, sink: (x) => seen.push(x as ChainStatusEvent), intervalMs: 100 });
    const end = Date.now() + 10_000;
    while (seen.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    bg.stop();
    const n = seen.length;
    assert.ok(n >= 2, `polled ${n} times`);
    assert.equal(seen[0].registered, false);
    assert.equal(seen[0].uid, 5);
    assert.deepEqual(seen[0].weights_in, []);
    assert.ok(seen[1].block >= seen[0].block);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(seen.length, n, 'nothing after stop()');
  } finally {
    await chain.close();
    await devnet.stop();
  }
});
