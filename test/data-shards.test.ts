import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { LocoError } from '../src/errors.js';
import {
  SHARD_HEADER_BYTES,
  ShardSet,
  encodeShard,
  listShardFiles,
  readShard,
  readShardHeader,
  samplesInShard,
  writeShard,
} from '../src/data/shards.js';

function tokens(n: number, start = 0): Uint16Array {
  const t = new Uint16Array(n);
  for (let i = 0; i < n; i++) t[i] = (start + i * 7) % 50257;
  return t;
}

test('shard write/read round-trip is exact and in llm.c layout', () => {
  const dir = tempDir();
  const p = join(dir, 'x_train_000000.bin');
  const t = tokens(1000);
  writeShard(p, t);
  const bytes = readFileSync(p);
  assert.equal(bytes.length, SHARD_HEADER_BYTES + 2000);
  assert.equal(bytes.readInt32LE(0), 20240520);
  assert.equal(bytes.readInt32LE(4), 1);
  assert.equal(bytes.readInt32LE(8), 1000);
  for (let i = 3; i < 256; i++) assert.equal(bytes.readInt32LE(4 * i), 0);
  assert.equal(bytes.readUInt16LE(SHARD_HEADER_BYTES + 2 * 5), t[5]);
  assert.deepEqual(readShard(p), t);
  assert.deepEqual(readShardHeader(p), { version: 1, ntokens: 1000 });
});

function expectError(fn: () => unknown, kind: string, re: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof LocoError && e.kind === kind && re.test(e.message));
}

test('malformed shards give specific errors', () => {
  const dir = tempDir();
  const good = Buffer.from(encodeShard(tokens(100)));
  const bad = (name: string, mutate: (b: Buffer) => Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, mutate(Buffer.from(good)));
    return p;
  };
  const magic = bad('magic.bin', (b) => (b.writeInt32LE(1234, 0), b));
  expectError(() => readShard(magic), 'invalidInput', /bad magic 1234/);
  expectError(() => readShardHeader(magic), 'invalidInput', /bad magic/);
  const ver = bad('ver.bin', (b) => (b.writeInt32LE(2, 4), b));
  expectError(() => readShard(ver), 'unsupported', /version 2/);
  const trunc = bad('trunc.bin', (b) => b.subarray(0, b.length - 10));
  expectError(() => readShard(trunc), 'invalidInput', /truncated shard/);
  expectError(() => new ShardSet([trunc], 8), 'invalidInput', /truncated shard/);
  const count = bad('count.bin', (b) => (b.writeInt32LE(90, 8), b));
  expectError(() => readShard(count), 'invalidInput', /token count mismatch: header says 90/);
  const short = bad('short.bin', (b) => b.subarray(0, 100));
  expectError(() => readShard(short), 'invalidInput', /shorter than the 1024-byte header/);
  expectError(() => readShard(join(dir, 'nope.bin')), 'notFound', /not found/);
});

test('sample ids index the concatenation of shards; targets are inputs shifted by one', () => {
  const dir = tempDir();
  const T = 8;
  const a = tokens(50, 0); // floor(49/8) = 6 samples
  const b = tokens(17, 3); // floor(16/8) = 2 samples
  const c = tokens(5, 9); // 0 samples
  const d = tokens(9, 11); // 1 sample
  const files = [a, b, c, d].map((t, i) => {
    const p = join(dir, `s_train_${String(i).padStart(6, '0')}.bin`);
    writeShard(p, t);
    return p;
  });
  assert.equal(samplesInShard(50, T), 6);
  const set = new ShardSet(files, T);
  assert.equal(set.numSamples, 9);
  assert.deepEqual(set.locate(6), { shard: 1, index: 0 });
  assert.deepEqual(set.locate(8), { shard: 3, index: 0 });
  const batch = set.fetch([0, 5, 7, 8]);
  assert.equal(batch.B, 4);
  const expect = (src: Uint16Array, j: number) => [Array.from(src.subarray(j * T, j * T + T)), Array.from(src.subarray(j * T + 1, j * T + T + 1))];
  const rows = [expect(a, 0), expect(a, 5), expect(b, 1), expect(d, 0)];
  rows.forEach(([inp, tgt], r) => {
    assert.deepEqual(Array.from(batch.inputs.subarray(r * T, r * T + T)), inp);
    assert.deepEqual(Array.from(batch.targets.subarray(r * T, r * T + T)), tgt);
  });
  expectError(() => set.fetch([9]), 'invalidInput', /out of range/);
  // A folder without a manifest lists *.bin in name order, split by name.
  assert.deepEqual(listShardFiles(dir, 'train'), files);
  expectError(() => listShardFiles(dir, 'val'), 'notFound', /no val shards/);
});
