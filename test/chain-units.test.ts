// Chain client pieces that need no chain: weights normalisation (the SDK's), the commit hash
// (the reference's checked vector), TAO amounts, network names, error messages, and an
// unreachable endpoint failing fast with exit 8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { LocoError } from '../src/errors.js';
import { formatTao, parseTao } from '../src/chain/amount.js';
import { resolveNetwork } from '../src/chain/networks.js';
import { rpcError } from '../src/chain/errors.js';
import { commitHash, normaliseWeights, randomSalt, roundHalfEven } from '../src/chain/weights.js';
import { loco, tempDir } from './helpers.js';

test('weights: the SDK normalisation (max → 65535, half to even, zeros dropped)', () => {
  // Expected values computed with the SDK's convert_weights_and_uids_for_emit algorithm in CPython.
  assert.deepEqual(normaliseWeights([0, 1, 2, 3], [0.5, 1, 0, 1e-9]), { uids: [0, 1], values: [32768, 65535] }); // 32767.5 → 32768 (even)
  assert.deepEqual(normaliseWeights([0, 1], [5, 131070]), { uids: [0, 1], values: [2, 65535] }); // 2.5 → 2 (even)
  assert.deepEqual(normaliseWeights([0, 1, 2], [1, 3, 0.7]), { uids: [0, 1, 2], values: [21845, 65535, 15291] });
  assert.deepEqual(normaliseWeights([0, 1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4, 0.00001]), { uids: [0, 1, 2, 3, 4], values: [16384, 32768, 49151, 65535, 2] });
  assert.deepEqual(normaliseWeights([0, 1, 2], [2, 2, 1]), { uids: [0, 1, 2], values: [65535, 65535, 32768] });
  assert.deepEqual(normaliseWeights([7, 9], [0, 0]), { uids: [], values: [] }, 'all zero: nothing to send');
  assert.deepEqual(normaliseWeights([], []), { uids: [], values: [] });
  assert.equal(roundHalfEven(0.5), 0);
  assert.equal(roundHalfEven(1.5), 2);
  assert.equal(roundHalfEven(2.5), 2);
  assert.equal(roundHalfEven(2.5000001), 3);
});

test('weights: errors on length mismatch, negative weights and bad uids', () => {
  const bad = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof LocoError && e.kind === 'invalidInput' && re.test(e.message));
  bad(() => normaliseWeights([0, 1], [1]), /same length/);
  bad(() => normaliseWeights([0, 1], [1, -0.5]), /negative/);
  bad(() => normaliseWeights([-1], [1]), /not a valid uid/);
  bad(() => normaliseWeights([1.5], [1]), /not a valid uid/);
  bad(() => normaliseWeights([0], [Number.NaN]), /finite/);
});

test('commit hash: the reference vector (blake2_256 of SCALE(who, netuid, uids, values, salt, version_key))', () => {
  const who = new Uint8Array(Buffer.from('e4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446', 'hex'));
  const h = commitHash({ hotkey: who, netuid: 1, uids: [0, 5], values: [65535, 32768], salt: [1, 2, 3, 4, 5, 6, 7, 8], versionKey: 10002000n });
  assert.equal(h, '0xbee4f72e1dc3f21e323e45885d797355c5ceeaf1886b2329c5161751163b9838');
  // any change changes the hash
  assert.notEqual(commitHash({ hotkey: who, netuid: 1, uids: [0, 5], values: [65535, 32768], salt: [1, 2, 3, 4, 5, 6, 7, 9], versionKey: 10002000n }), h);
  const s = randomSalt();
  assert.equal(s.length, 8);
  assert.ok(s.every((x) => Number.isInteger(x) && x >= 0 && x <= 65535));
});

test('amounts: TAO text ↔ RAO bigint, 9 decimals, no floats', () => {
  assert.equal(parseTao('1'), 1_000_000_000n);
  assert.equal(parseTao('1.5'), 1_500_000_000n);
  assert.equal(parseTao('0.000000001'), 1n);
  assert.equal(parseTao('.25'), 250_000_000n);
  assert.equal(parseTao('18446744073.709551615'), (1n << 64n) - 1n);
  for (const bad of ['', '-1', '1e3', '0.0000000001', 'abc', '1.2.3', '18446744073.709551616']) {
    assert.throws(() => parseTao(bad), (e: unknown) => e instanceof LocoError && e.kind === 'invalidInput', bad);
  }
  assert.equal(formatTao(1_500_000_000n), '1.500000000');
  assert.equal(formatTao(1n), '0.000000001');
  assert.equal(formatTao(0n), '0.000000000');
  assert.equal(formatTao(123_456_789_012_345_678n), '123456789.012345678');
});

test('networks: names, URLs, and a usage error for anything else', () => {
  assert.equal(resolveNetwork('finney').url, 'wss://entrypoint-finney.opentensor.ai:443');
  assert.equal(resolveNetwork('test').url, 'wss://test.finney.opentensor.ai:443');
  assert.equal(resolveNetwork('archive').url, 'wss://archive.chain.opentensor.ai:443');
  assert.equal(resolveNetwork('local').url, 'ws://127.0.0.1:9944');
  assert.equal(resolveNetwork('devnet').url, 'ws://127.0.0.1:9944');
  assert.deepEqual(resolveNetwork('ws://10.0.0.1:9944'), { name: 'custom', url: 'ws://10.0.0.1:9944' });
  assert.throws(() => resolveNetwork('mainnet'), (e: unknown) => e instanceof LocoError && e.kind === 'usage');
  assert.throws(() => resolveNetwork('http://x'), (e: unknown) => e instanceof LocoError && e.kind === 'usage');
});

test('errors: Subtensor custom validity codes and pool errors become readable chain errors', () => {
  const e = rpcError(new Error('1010: Invalid Transaction: Custom error: 6'), 'set_weights');
  assert.equal(e.kind, 'chain');
  assert.equal(e.exitCode, 8);
  assert.match(e.message, /set_weights rejected by the chain: rate limit exceeded.*RateLimitExceeded, custom error 6/);
  assert.match(rpcError(new Error('1010: Invalid Transaction: Custom error: 2'), 'x').message, /BalanceTooLow/);
  assert.match(rpcError(new Error('1010: Invalid Transaction: Inability to pay some fees (e.g. account balance too low)'), 'transfer').message, /cannot pay the transaction fee/);
  assert.match(rpcError(new Error('1010: Invalid Transaction: Transaction is outdated'), 'x').message, /nonce is stale/);
  assert.match(rpcError(new Error('1010: Invalid Transaction: Custom error: 200'), 'x').message, /custom error 200/);
});

async function closedPort(): Promise<number> {
  // a port that was free a moment ago: nothing listens there
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

test('unreachable endpoint: exit 8 with a clear message within the timeout, human and --json', async () => {
  const port = await closedPort();
  const home = tempDir();
  const t0 = Date.now();
  const r = loco(['subnet', 'list', '--network', `ws://127.0.0.1:${port}`, '--timeout', '1.5', '--json'], { home });
  const took = Date.now() - t0;
  assert.equal(r.code, 8, r.stdout + r.stderr);
  assert.equal(r.json.success, false);
  assert.equal(r.json.error.kind, 'chain');
  assert.match(r.json.error.message, new RegExp(`cannot reach ws://127.0.0.1:${port} within 1.5 s: .*ECONNREFUSED`));
  assert.equal(r.stdout.trim().split('\n').length, 1);
  // the whole process (Node start-up and imports included, on a loaded 2-core machine) ends long
  // before anything that looks like a hang; the in-process test below times the deadline itself
  assert.ok(took < 30_000, `gave up in ${took} ms`);
  const h = loco(['subnet', 'metagraph', '--netuid', '1', '--network', `ws://127.0.0.1:${port}`], { home, env: { LOCO_CHAIN_TIMEOUT: '1' } });
  assert.equal(h.code, 8);
  assert.match(h.stderr, /error: cannot reach ws:\/\/127\.0\.0\.1:\d+ within 1 s/);
  assert.equal(h.stdout, '');
});

test('connect() gives up at its deadline with LocoError chain (in process: the deadline itself is timed)', async () => {
  const { connect } = await import('../src/chain/client.js');
  await import('@polkadot/api'); // loaded up front so the timing below is the connection attempt only
  const port = await closedPort();
  const t0 = Date.now();
  await assert.rejects(connect(`ws://127.0.0.1:${port}`, { timeoutMs: 1000 }), (e: unknown) => {
    assert.ok(e instanceof LocoError && e.kind === 'chain' && e.exitCode === 8);
    assert.match(e.message, /within 1 s: .*ECONNREFUSED/);
    return true;
  });
  const took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 4000, `gave up after ${took} ms (deadline 1000 ms)`);
});

test('bad arguments fail before any connection (usage / invalid input)', () => {
  const home = tempDir();
  const r = loco(['subnet', 'show', '--netuid', 'x', '--network', 'ws://127.0.0.1:1', '--json'], { home });
  assert.equal(r.code, 2);
  assert.match(r.json.error.message, /--netuid must be a whole number/);
  const n = loco(['subnet', 'list', '--network', 'mainnet', '--json'], { home });
  assert.equal(n.code, 2);
  assert.match(n.json.error.message, /unknown network "mainnet"/);
  const d = loco(['wallet', 'transfer', '--dest', 'nope', '--amount', '1', '--network', 'ws://127.0.0.1:1', '--json'], { home });
  assert.equal(d.code, 6);
  assert.match(d.json.error.message, /^--dest: invalid SS58 address "nope"/);
  const a = loco(['wallet', 'transfer', '--dest', '5FEiH8iuDUw271xbqWTWuB6WrDjv5dnCeDX1CyHubAniXDNN', '--amount', '1.0000000001', '--network', 'ws://127.0.0.1:1', '--json'], { home });
  assert.equal(a.code, 6);
  assert.match(a.json.error.message, /more than 9 decimals/);
});

test('`loco --help` and the chain groups\' help load neither @polkadot/api nor the chain client', async () => {
  const { modulesLoadedBy } = await import('./helpers.js');
  for (const args of [['--help'], ['subnet', '--help'], ['weights', 'set', '--help'], ['wallet', 'transfer', '--help']]) {
    const loaded = modulesLoadedBy(args);
    assert.match(loaded, /cli\/main\.js/);
    assert.doesNotMatch(loaded, /@polkadot|chain-actions|chain\/client/, `${args.join(' ')} loaded the chain stack`);
  }
});
