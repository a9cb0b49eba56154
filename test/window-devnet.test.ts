// The window protocol on the embedded devnet: windows come from chain blocks and block timestamps,
// miners are found through their on-chain commitments (store URLs), and the validator's weights
// land on chain through set_weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { useTestDevnet } from './helpers/devnet.js';
import { playWindow, setUpSubnet, startOnWindow, startParticipants } from './helpers/devnet-subnet.js';
import { tempDir, writeBandedShard } from './helpers.js';
import { debugIndices } from '../src/miner/window.js';
import { windowOf } from '../src/protocol/clock.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const dir = tempDir('loco-window-devnet-');
const net = useTestDevnet();

const T = 64;
const N = 64;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 777);

test('on the devnet: windows from blocks, peers from commitments, weights on chain', { timeout: 240_000 }, async () => {
  // subnet owned by Alice with the validator's hotkey; two miners registered and funded
  const s = await setUpSubnet(net, { dir, keyPrefix: 'loco-window-devnet-', manifestName: 'devnet-window-test', shard: SHARD, seqLen: T });
  const { netuid, vuid, minerUids } = s;
  assert.deepEqual(s.peerList.map((p) => [p.uid, p.ss58, p.store.url]), minerUids.map((u, i) => [u, s.minerKeys[i].ss58Address, s.storeUrl(u)]));

  const p = await startParticipants(net, s, { nonce: (x) => new Uint8Array(createHash('sha256').update(`nonce-${x}`).digest()) });
  try {
    // start on an odd window so that the second one processed is a weights window ((w+1) % 2 == 0)
    const first = await startOnWindow(s, 1);
    for (let w = first; w < first + 2; w++) {
      const r = await playWindow(s, p, w, {
        started: async (t0) => {
          assert.ok(t0.getTime() <= Date.now() && Date.now() - t0.getTime() < 60_000, 'window start comes from the block timestamp');
          assert.equal(windowOf(await net.chain.blockNumber(), s.loaded.manifest.window.blocks_per_window) >= w + 1, true);
        },
        synced: (gs) => {
          for (const g of gs) assert.deepEqual(g.accepted.map((a) => a.uid), minerUids, JSON.stringify(g.rejected));
        },
      });
      assert.deepEqual(r.gather.accepted.map((a) => a.uid), minerUids);
    }
    const probe = debugIndices(p.miners[0].run);
    const vals = await Promise.all(p.engines.map((e) => e.sampleParams(probe)));
    assert.deepEqual(vals[1], vals[0]);
    assert.deepEqual(vals[2], vals[0]);

    // the weights of the second window went on chain
    const submitted = p.weights.filter((e) => e.submitted);
    assert.equal(submitted.length, 1, JSON.stringify(p.weights));
    assert.equal(submitted[0].included, true);
    const onChain: Array<[number, number]> = ((await (net.chain.api.query as Any).subtensorModule.weights(netuid, vuid)) as Any).toJSON();
    assert.deepEqual(onChain.map(([u]) => u), submitted[0].uids.slice().sort((a: number, b: number) => a - b));
    for (const [u] of onChain) assert.ok(minerUids.includes(u));
  } finally {
    await p.shutdown();
  }
});
