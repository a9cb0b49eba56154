// `loco model eval|sample|export-onnx` end to end on a random tiny checkpoint.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loco, tempDir } from './helpers.js';
import { getConfig } from '../src/trainer/configs.js';
import { randomCheckpoint, writeCheckpoint } from '../src/trainer/checkpoint.js';
import { evalLoss, releaseSessions } from '../src/eval/onnx.js';
import { writeShard, ShardSet } from '../src/data/shards.js';

after(() => releaseSessions());

test('model eval, sample and export-onnx agree with the library', async () => {
  const home = tempDir();
  const c = getConfig('tiny');
  const ck = randomCheckpoint(c, 11, { std: 0.08 });
  const ckpt = join(home, 'm.ckpt');
  writeCheckpoint(ckpt, ck);
  const data = join(home, 'data');
  const toks = new Uint16Array(20 * 64 + 1).map((_, i) => (i * 7919 + 13) % 50257);
  writeShard(join(data, 'x_val_000000.bin'), toks);
  writeShard(join(data, 'x_train_000000.bin'), toks.slice(0, 200));

  const ev = loco(['model', 'eval', '--checkpoint', ckpt, '--data', data, '--samples', '5', '--json'], { home });
  assert.equal(ev.code, 0, ev.stderr + ev.stdout);
  assert.equal(ev.json.data.samples, 5);
  assert.equal(ev.json.data.tokens, 5 * 64);
  // ids spread evenly over the 20 samples: 0, 4, 8, 12, 16.
  const set = new ShardSet([join(data, 'x_val_000000.bin')], 64);
  const lib = await evalLoss(ck, set.fetch([0, 4, 8, 12, 16]));
  assert.ok(Math.abs(ev.json.data.loss - lib.loss) < 1e-6, `${ev.json.data.loss} vs ${lib.loss}`);
  assert.equal(lib.sampleLosses.length, 5);
  assert.ok(Math.abs(lib.sampleLosses.reduce((a, b) => a + b, 0) / 5 - lib.loss) < 1e-6);

  const s1 = loco(['model', 'sample', '--checkpoint', ckpt, '--prompt', 'Fellow citizens', '--tokens', '5', '--seed', '4', '--json'], { home });
  const s2 = loco(['model', 'sample', '--checkpoint', ckpt, '--prompt', 'Fellow citizens', '--tokens', '5', '--seed', '4', '--json'], { home });
  assert.equal(s1.code, 0, s1.stderr);
  assert.equal(s1.json.data.tokens.length, 5);
  assert.deepEqual(s1.json.data.tokens, s2.json.data.tokens);

  const onnxPath = join(home, 'm.onnx');
  const ex = loco(['model', 'export-onnx', '--checkpoint', ckpt, '--out', onnxPath, '--with-loss'], { home });
  assert.equal(ex.code, 0, ex.stderr);
  // The standalone model needs no weight inputs and gives the same loss.
  const session = await ort.InferenceSession.create(readFileSync(onnxPath));
  assert.deepEqual([...session.inputNames].sort(), ['targets', 'tokens']);
  const b = set.fetch([3, 7]);
  const out = await session.run({
    tokens: new ort.Tensor('int64', BigInt64Array.from(b.inputs, BigInt), [2, 64]),
    targets: new ort.Tensor('int64', BigInt64Array.from(b.targets, BigInt), [2, 64]),
  });
  assert.deepEqual(out.logits!.dims, [2, 64, 50257]);
  const ref = await evalLoss(ck, b);
  assert.ok(Math.abs(Number(out.loss!.data[0]) - ref.loss) < 1e-5);
  await session.release();

  const bad = loco(['model', 'eval', '--checkpoint', join(home, 'nope.ckpt'), '--data', data, '--json'], { home });
  assert.equal(bad.code, 4);
  const eng = loco(['model', 'eval', '--checkpoint', ckpt, '--data', data, '--engine', 'gpu', '--json'], { home });
  assert.equal(eng.code, 2);
  assert.match(eng.json.error.message, /unknown --engine "gpu"/);
});
