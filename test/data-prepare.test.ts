import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loco, tempDir } from './helpers.js';
import { readShard, listShardFiles } from '../src/data/shards.js';

function prepare(home: string, out: string) {
  const r = loco(['data', 'prepare', '--out', out, '--sources', 'sotu,moby-dick', '--max-docs', '2', '--shard-tokens', '20000', '--val-fraction', '0.05', '--json'], { home });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  return { lines, result: lines[lines.length - 1] };
}

test('data prepare on a small subset is deterministic, NDJSON progress then one result line', () => {
  const home = tempDir();
  const a = prepare(home, join(home, 'a'));
  const b = prepare(home, join(home, 'b'));
  assert.equal(a.result.success, true);
  assert.ok(a.lines.slice(0, -1).some((l) => l.event === 'tokenize'));
  assert.ok(a.lines.slice(0, -1).some((l) => l.event === 'shard'));
  const m = a.result.data.manifest;
  assert.equal(m.sha256, b.result.data.manifest.sha256);
  assert.deepEqual(m.sources.map((s: any) => [s.name, s.documents]), [['sotu', 2], ['moby-dick', 1]]);
  assert.ok(m.splits.train.shards >= 2 && m.splits.val.shards === 1);
  // Byte-identical shards and manifest; the manifest's hashes are the files' hashes.
  const total = createHash('sha256');
  for (const s of m.shards) {
    const x = readFileSync(join(home, 'a', s.file));
    assert.deepEqual(x, readFileSync(join(home, 'b', s.file)));
    assert.equal(createHash('sha256').update(x).digest('hex'), s.sha256);
    assert.equal(readShard(join(home, 'a', s.file)).length, s.tokens);
    total.update(x);
  }
  assert.equal(total.digest('hex'), m.sha256);
  assert.deepEqual(readFileSync(join(home, 'a', 'manifest.json')), readFileSync(join(home, 'b', 'manifest.json')));
  assert.deepEqual(readdirSync(join(home, 'a')).sort(), [...m.shards.map((s: any) => s.file), 'manifest.json'].sort());
  // The split is ~5% of each document, and documents start with <|endoftext|>.
  assert.ok(Math.abs(m.splits.val.tokens / m.total_tokens - 0.05) < 0.01);
  assert.equal(readShard(listShardFiles(join(home, 'a'), 'train')[0]!)[0], 50256);
});

test('data inspect decodes text and checks the manifest', () => {
  const home = tempDir();
  const out = join(home, 'd');
  prepare(home, out);
  const r = loco(['data', 'inspect', out, '--json', '--tokens', '12'], { home });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.data.manifest, true);
  assert.ok(r.json.data.shards.every((s: any) => s.sha256_ok === true));
  assert.match(r.json.data.sample.text, /^<\|endoftext\|>Fellow-Citizens of the Senate/);
  const human = loco(['data', 'inspect', listShardFiles(out, 'val')[0]!], { home });
  assert.equal(human.code, 0);
  assert.match(human.stdout, /1 shard\(s\)/);
  // Corrupt one shard's tokens: the checksum check fails with invalidInput (exit 6).
  const f = listShardFiles(out, 'train')[0]!;
  const bytes = readFileSync(f);
  bytes[2000] ^= 1;
  writeFileSync(f, bytes);
  const bad = loco(['data', 'inspect', out, '--json'], { home });
  assert.equal(bad.code, 6);
  assert.match(bad.json.error.message, /checksum mismatch/);
  const usage = loco(['data', 'prepare', '--out', out, '--sources', 'bible'], { home });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown data source "bible"/);
});

test('`loco --help` and `loco data --help` load neither gpt-tokenizer nor onnxruntime', async () => {
  const { modulesLoadedBy } = await import('./helpers.js');
  for (const args of [['--help'], ['data', '--help'], ['model', '--help']]) {
    const loaded = modulesLoadedBy(args);
    assert.match(loaded, /cli\/main\.js/); // the hook saw the CLI load
    assert.doesNotMatch(loaded, /gpt-tokenizer|onnxruntime|onnx-proto/, `${args.join(' ')} loaded heavy modules`);
  }
});
