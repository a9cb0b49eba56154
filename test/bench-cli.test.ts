import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loco, tempDir } from './helpers.js';
import { DEFAULT_ENGINE_PATH } from '../src/trainer/engine.js';

const skip = existsSync(DEFAULT_ENGINE_PATH) ? false : 'native engine not built (npm run build)';

test('loco bench train reports tokens/s and GFLOP/s beside the ONNX MatMul ceiling of the same run', { skip }, () => {
  const r = loco(['bench', 'train', '--config', 'tiny', '--steps', '1', '--micro-batch', '2', '--json'], { home: tempDir() });
  assert.equal(r.code, 0, r.stderr);
  const d = r.json.data;
  assert.equal(d.config, 'tiny');
  for (const k of ['tokens_per_s', 'executed_gflops', 'onnx_matmul_gflops', 'fraction_of_ceiling']) {
    assert.ok(Number.isFinite(d[k]) && d[k] > 0, `${k} = ${d[k]}`);
  }
  assert.ok(Math.abs(d.fraction_of_ceiling - d.executed_gflops / d.onnx_matmul_gflops) < 1e-9);
  const bad = loco(['bench', 'train', '--steps', '0', '--json'], { home: tempDir() });
  assert.equal(bad.code, 2);
});
