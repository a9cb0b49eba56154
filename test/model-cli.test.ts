// `loco model init | train | eval --engine native` through the real binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loco, tempDir } from './helpers.js';
import { writeShard } from '../src/data/shards.js';
import { DEFAULT_ENGINE_PATH } from '../src/trainer/engine.js';
import { trainingOrder } from '../src/cli/model-train.js';

const skip = existsSync(DEFAULT_ENGINE_PATH) ? false : 'native engine not built (npm run build)';

function dataDir(home: string): string {
  const dir = join(home, 'data');
  mkdirSync(dir);
  // A learnable stream: a repeating 97-token pattern with some noise, 40k tokens.
  let x = 12345;
  const tokens = Array.from({ length: 40_000 }, (_, i) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return x % 10 === 0 ? x % 50257 : (i * 31) % 97;
  });
  writeShard(join(dir, 'synthetic_train_000000.bin'), tokens.slice(0, 36_000));
  writeShard(join(dir, 'synthetic_val_000000.bin'), tokens.slice(36_000));
  return dir;
}

const losses = (stdout: string) =>
  stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step').map((e) => e.loss as number);

test('model init → train (loss falls) → resume equals one straight run; native eval equals ONNX eval', { skip }, () => {
  const home = tempDir();
  const data = dataDir(home);
  const a = join(home, 'a.ckpt');
  const b = join(home, 'b.ckpt');
  assert.equal(loco(['model', 'init', '--config', 'tiny', '--seed', '3', '--out', a], { home }).code, 0);
  assert.equal(loco(['model', 'init', '--config', 'tiny', '--seed', '3', '--out', a, '--json'], { home }).json.error.kind, 'alreadyExists');
  assert.equal(loco(['model', 'init', '--config', 'tiny', '--seed', '3', '--out', b], { home }).code, 0);

  const args = ['--data', data, '--micro-batch', '4', '--lr', '3e-3', '--warmup', '2', '--json'];
  const straight = loco(['model', 'train', '--checkpoint', a, '--steps', '12', ...args], { home });
  assert.equal(straight.code, 0, straight.stderr);
  const l = losses(straight.stdout);
  assert.equal(l.length, 12);
  assert.ok(l[11] < l[0] - 0.3, `loss should fall: ${l[0]} → ${l[11]}`);
  const last = JSON.parse(straight.stdout.trim().split('\n').at(-1)!);
  assert.equal(last.success, true);
  assert.equal(last.data.to_step, 12);

  // 8 steps, stop (checkpoint written with AdamW state), then 4 more: the same 12 losses.
  const first = loco(['model', 'train', '--checkpoint', b, '--steps', '8', ...args], { home });
  const second = loco(['model', 'train', '--checkpoint', b, '--steps', '4', ...args], { home });
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual([...losses(first.stdout), ...losses(second.stdout)], l);

  const ev = (engine: string) => loco(['model', 'eval', '--checkpoint', a, '--data', data, '--engine', engine, '--samples', '16', '--json'], { home });
  const n = ev('native');
  const o = ev('onnx');
  assert.equal(n.code, 0, n.stderr);
  assert.equal(o.code, 0, o.stderr);
  assert.ok(Math.abs(n.json.data.loss - o.json.data.loss) / o.json.data.loss < 1e-4, `${n.json.data.loss} vs ${o.json.data.loss}`);
});

test('training order: epochs of seeded permutations, resumable at any step', () => {
  const whole = trainingOrder(10, 4, 0, 6, 1); // 24 ids over 10 samples: 2.4 epochs
  assert.equal(whole.length, 24);
  assert.deepEqual([...whole.slice(0, 10)].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...trainingOrder(10, 4, 0, 2, 1), ...trainingOrder(10, 4, 2, 4, 1)], whole);
  assert.notDeepEqual(trainingOrder(10, 4, 0, 6, 2), whole);
});
