// The native engine (kernels/) against the ONNX evaluator on the same trained checkpoint and the
// same samples. Skipped when the engine binary has not been built (`make -C kernels`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { getConfig } from '../src/trainer/configs.js';
import { readCheckpoint } from '../src/trainer/checkpoint.js';
import { ShardSet, writeShard } from '../src/data/shards.js';
import { evalLoss, releaseSessions } from '../src/eval/onnx.js';

after(() => releaseSessions());

const tiny = getConfig('tiny');
let binary: string | null = null;
try {
  const { findEngineBinary } = await import('../src/trainer/engine.js');
  binary = findEngineBinary();
  if (!existsSync(binary)) binary = null;
} catch {
  binary = null;
}

test('native engine and ONNX evaluator give the same loss on a trained tiny checkpoint', { skip: binary ? false : 'native engine not built' }, async () => {
  const { Engine } = await import('../src/trainer/engine.js');
  const dir = tempDir('loco-native-onnx-');
  const T = tiny.seq_len;
  const shard = join(dir, 'p_train_000000.bin');
  // Mixed text-like ids spread over the whole vocabulary, with some repeated structure to learn.
  writeShard(shard, Array.from({ length: 24 * T + 1 }, (_, i) => ((i % 37) * 1361 + Math.floor(i / 37) * 7) % 50257));
  const e = await Engine.start({ binary: binary!, threads: 2 });
  try {
    await e.init(tiny, 77);
    const it = e.train({ shards: [shard], samples: Array.from({ length: 32 }, (_, i) => i % 24), micro_batch: 4, lr: 3e-3, warmup_steps: 1 });
    while (!(await it.next()).done) {
      /* drain step events */
    }
    const ids = [0, 5, 11, 23];
    const native = await e.eval({ shards: [shard], samples: ids, micro_batch: 4 });
    const ckpt = join(dir, 'trained.ckpt');
    await e.save(ckpt, { optimizer: false });
    const ck = readCheckpoint(ckpt);
    assert.equal(ck.step, 8);
    const onnx = await evalLoss(ck, new ShardSet([shard], T).fetch(ids));
    const rel = Math.abs(onnx.loss - native.loss!) / native.loss!;
    assert.ok(Math.abs(onnx.loss - Math.log(50257)) > 0.2, `training did not move the loss (${onnx.loss})`);
    if (process.env.LOCO_TEST_VERBOSE) console.log({ native: native.loss, onnx: onnx.loss, rel });
    assert.ok(rel <= 1e-4, `native ${native.loss} vs onnx ${onnx.loss} (rel ${rel})`);
  } finally {
    await e.shutdown();
  }
});
