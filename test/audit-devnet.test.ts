// `loco audit --window W --validator HOTKEY` against the devnet, as a third party runs it: the
// validator's store and the miners' stores come from their commitments, window start times from
// block timestamps, and the weights from the validator's set_weights on chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTestDevnet } from './helpers/devnet.js';
import { playWindow, setUpSubnet, startOnWindow, startParticipants } from './helpers/devnet-subnet.js';
import { LOCO, tempDir, writeBandedShard } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const dir = tempDir('loco-audit-devnet-');
const net = useTestDevnet();

const T = 64;
const N = 48;
const SHARD = join(dir, 'data_train_000000.bin');
writeBandedShard(SHARD, N, T, 31337);

function loco(args: string[]): Promise<{ code: number; stdout: string; stderr: string; json: Any }> {
  const env = { ...process.env, HOME: dir, LOCO_CONFIG_DIR: join(dir, '.cfg'), NO_COLOR: '1' } as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    execFile(process.execPath, [LOCO, ...args, '--network', net.devnet.url, '--json'], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      let json: Any;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* asserted by the caller */
      }
      resolve({ code: err ? ((err as Any).code ?? -1) : 0, stdout, stderr, json });
    });
  });
}

test('loco audit on the devnet: stores from commitments, times from blocks, weights from set_weights', { timeout: 240_000 }, async () => {
  // every participant, the validator included, commits its store
  const s = await setUpSubnet(net, { dir, keyPrefix: 'loco-audit-devnet-', manifestName: 'audit-devnet', shard: SHARD, seqLen: T, commitValidatorStore: true });
  const manifestFile = join(dir, 'run.json');
  writeFileSync(manifestFile, s.loaded.bytes);

  const p = await startParticipants(net, s);
  let audited: number;
  try {
    // two windows, starting on an even one so the second is a weights window ((w+1) % 2 == 0)
    const first = await startOnWindow(s, 0);
    for (let w = first; w < first + 2; w++) {
      const r = await playWindow(s, p, w);
      assert.deepEqual(r.gather.accepted.map((a) => a.uid), s.minerUids);
    }
    audited = first + 1;
  } finally {
    await p.shutdown();
  }
  const sent = p.weights.filter((e) => e.submitted);
  assert.equal(sent.length, 1, JSON.stringify(p.weights));

  const r = await loco(['audit', '--window', String(audited), '--validator', s.vkey.ss58Address, '--manifest', manifestFile, '--data', SHARD, '--threads', '1']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const rep = r.json.data;
  assert.equal(rep.match, true);
  assert.deepEqual(rep.replayed, [audited - 1, audited]);
  assert.deepEqual(rep.miners.map((x: Any) => [x.uid, x.match, x.recomputed.status]), s.minerUids.map((u) => [u, true, 'gathered']));
  assert.equal(rep.weights.due, true);
  assert.equal(rep.weights.chainMatch, true);
  assert.equal(rep.weights.chain.block, sent[0].block);
});
