// `loco run init|show`: a run manifest from flags with the data set's hash, validated on write and
// on read; published into a file:// store and committed on the devnet by the subnet owner's hotkey,
// then found again from the subnet's commitment (fetched and hash-checked), and ignored as a peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useTestDevnet } from './helpers/devnet.js';
import { LOCO, tempDir } from './helpers.js';
import { writeShard } from '../src/data/shards.js';
import { keys } from '../src/protocol/naming.js';
import { commitmentPeers } from '../src/miner/chain.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const TAO = 1_000_000_000n;
const home = tempDir('loco-run-init-');
const net = useTestDevnet();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Any;
}
/** `loco …` asynchronously (the devnet lives in this process). */
function loco(args: string[], json = true): Promise<Run> {
  const env = { ...process.env, HOME: home, LOCO_CONFIG_DIR: join(home, '.cfg'), NO_COLOR: '1' } as NodeJS.ProcessEnv;
  delete env.LOCO_PASSWORD;
  const full = [...args, '--network', net.devnet.url, '--wallet-path', join(home, 'wallets'), '--wallet-name', 'owner', ...(json ? ['--json'] : [])];
  return new Promise((resolve) => {
    execFile(process.execPath, [LOCO, ...full], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      let parsed: Any;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        /* asserted by the caller */
      }
      resolve({ code: err ? ((err as Any).code ?? -1) : 0, stdout, stderr, json: parsed });
    });
  });
}

test('run init writes a valid manifest with the data hash; show validates; publish + commitment on the devnet; show --netuid finds it', { timeout: 180_000 }, async () => {
  // two train shards and a val shard
  const data = join(home, 'data');
  const shards = [0, 1].map((i) => join(data, `demo_train_00000${i}.bin`));
  shards.forEach((s, i) => writeShard(s, Array.from({ length: 2000 }, (_, j) => (j * 7 + i) % 500)));
  writeShard(join(data, 'demo_val_000000.bin'), Array.from({ length: 500 }, (_, j) => j));
  const dataHash = createHash('sha256');
  for (const s of shards) dataHash.update(readFileSync(s));

  const out = join(home, 'run.json');
  const init = await loco(['run', 'init', '--out', out, '--name', 'test-run', '--config', 'tiny', '--data', data, '--inner-steps', '5', '--batch', '4', '--micro-batch', '2', '--blocks-per-window', '10', '--topk', '32']);
  assert.equal(init.code, 0, init.stderr + init.stdout);
  const bytes = readFileSync(out);
  assert.equal(init.json.data.hash, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(init.json.data.run_id, init.json.data.hash.slice(0, 16));
  const written = JSON.parse(bytes.toString('utf8'));
  assert.deepEqual(written.dataset, { name: 'data', shards: ['demo_train_000000.bin', 'demo_train_000001.bin'], sha256: dataHash.digest('hex') });
  assert.equal(written.train.inner_steps, 5);
  assert.equal(written.window.blocks_per_window, 10);
  assert.equal(written.sparseloco.topk, 32);

  // show: valid, same hash; people's output names the hash
  const [show, human] = await Promise.all([loco(['run', 'show', out]), loco(['run', 'show', out], false)]);
  assert.equal(show.code, 0, show.stderr);
  assert.equal(show.json.data.hash, init.json.data.hash);
  assert.equal(show.json.data.valid, true);
  assert.match(human.stdout, new RegExp(`hash +${init.json.data.hash}`));
  assert.match(human.stdout, /\nvalid\n$/);

  // refusals: an existing file, a batch that is no multiple of the micro-batch, a damaged manifest
  const [again, badBatch] = await Promise.all([
    loco(['run', 'init', '--out', out]),
    loco(['run', 'init', '--out', join(home, 'x.json'), '--batch', '3', '--micro-batch', '2']),
  ]);
  assert.equal(again.code, 5, again.stdout);
  assert.equal(badBatch.code, 6, badBatch.stdout);
  assert.match(badBatch.json.error.message, /batch must be a multiple of micro_batch/);
  const damaged = join(home, 'damaged.json');
  writeFileSync(damaged, JSON.stringify({ ...written, sparseloco: { ...written.sparseloco, ef_beta: 2 } }));
  const bad = await loco(['run', 'show', damaged]);
  assert.equal(bad.code, 6);
  assert.match(bad.json.error.message, /sparseloco\.ef_beta/);

  // the owner: a hotkey (from a seed) that owns a new subnet on the devnet
  const seed = `0x${createHash('sha256').update('loco-run-init-owner').digest('hex')}`;
  const regen = await loco(['wallet', 'regen-hotkey', '--seed', seed]);
  assert.equal(regen.code, 0, regen.stderr + regen.stdout);
  const ownerHotkey: string = regen.json.data.ss58Address ?? regen.json.data.hotkey?.ss58Address ?? regen.json.data.address;
  assert.match(ownerHotkey, /^5/, JSON.stringify(regen.json));
  const created = await net.chain.submit(net.chain.tx.registerNetwork(ownerHotkey), net.alice, 'register_network');
  const netuid = Number((created.events.find((e) => e.name === 'NetworkAdded')?.data as unknown[])[0]);
  await net.chain.submit(net.chain.tx.transferKeepAlive(ownerHotkey, 10n * TAO), net.alice, 'transfer');

  // publish: the object in the store, the commitment on chain
  const storeDir = join(home, 'owner-store');
  const storeUrl = pathToFileURL(storeDir).href;
  const pub = await loco(['run', 'init', '--out', join(home, 'published.json'), '--netuid', String(netuid), '--config', 'tiny', '--data', data, '--publish', '--store', storeUrl]);
  assert.equal(pub.code, 0, pub.stderr + pub.stdout);
  const hash: string = pub.json.data.hash;
  assert.deepEqual(readFileSync(join(storeDir, keys.manifest(hash.slice(0, 16)))), readFileSync(join(home, 'published.json')));
  assert.deepEqual(pub.json.data.commitment.fields, [`loco-run:v1:${hash}`, storeUrl]);
  const commits = await net.chain.commitments(netuid, ownerHotkey);
  assert.deepEqual(commits[0].fields.map((f) => f.text), [`loco-run:v1:${hash}`, storeUrl]);
  // a run commitment is not a miner's store
  assert.deepEqual(await commitmentPeers(net.chain, netuid), []);

  // show --netuid: found, fetched, hash-checked
  const fromChain = await loco(['run', 'show', '--netuid', String(netuid)]);
  assert.equal(fromChain.code, 0, fromChain.stderr + fromChain.stdout);
  assert.equal(fromChain.json.data.hash, hash);
  assert.equal(fromChain.json.data.commitment.hotkey, ownerHotkey);

  // the object replaced by another manifest: the committed hash no longer matches
  writeFileSync(join(storeDir, keys.manifest(hash.slice(0, 16))), readFileSync(out));
  const swapped = await loco(['run', 'show', '--netuid', String(netuid)]);
  assert.equal(swapped.code, 6, swapped.stdout);
  assert.match(swapped.json.error.message, /does not match the committed/);
});

test('audit\'s chain side: findSetWeights finds the set_weights a validator sent, by hotkey and subnet', { timeout: 120_000 }, async () => {
  const { keypairFromSeed } = await import('../src/wallet/keypair.js');
  const { chainSetWeights } = await import('../src/miner/chain.js');
  const { findSetWeights } = await import('../src/validator/audit.js');
  const { normaliseWeights } = await import('../src/chain/weights.js');
  const vkey = await keypairFromSeed(new Uint8Array(createHash('sha256').update('loco-run-init-validator').digest()));
  const created = await net.chain.submit(net.chain.tx.registerNetwork(vkey.ss58Address), net.alice, 'register_network');
  const netuid = Number((created.events.find((e) => e.name === 'NetworkAdded')?.data as unknown[])[0]);
  await net.chain.submit(net.chain.tx.transferKeepAlive(vkey.ss58Address, 10n * TAO), net.alice, 'transfer');
  await net.chain.submit(net.chain.tx.addStake(vkey.ss58Address, netuid, 5n * TAO), net.alice, 'add_stake');
  const vuid = (await net.chain.uidOf(netuid, vkey.ss58Address))!;
  const from = await net.chain.blockNumber();
  const r = await chainSetWeights(net.chain, netuid, vkey)([vuid], [1]);
  const all = await findSetWeights(net.chain, netuid, vkey.ss58Address, from, 200);
  assert.equal(all.length, 1, JSON.stringify(all));
  const found = all[0];
  assert.equal(found.block, r.block);
  const want = normaliseWeights([vuid], [1]);
  assert.deepEqual([found.uids, found.values], [want.uids, want.values]);
  // another subnet, or blocks before it: nothing
  assert.deepEqual(await findSetWeights(net.chain, netuid + 1, vkey.ss58Address, from, 200), []);
  assert.deepEqual(await findSetWeights(net.chain, netuid, vkey.ss58Address, Math.max(0, from - 20), 20), []);
});
