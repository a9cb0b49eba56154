// The CUDA backend keeps the cuBLASLt algorithm it timed for each matmul shape in a file, so every
// later process on the machine uses the same one (kernels/src/cuda/gemm_tune_cache.h). The file
// logic is host-only C++: kernels/test/gemm_tune_cache_test.cpp checks where the file goes, the
// round trip, refusal of foreign or damaged files and the atomic write, here without a GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

test('matmul tuning cache: path, round trip, refused damaged files, atomic write', { timeout: 180_000 }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/gemm-tune-cache-test'], { encoding: 'utf8', timeout: 150_000 });
  assert.equal(mk.status, 0, `make build/gemm-tune-cache-test failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(join(KERNELS, 'build', 'gemm-tune-cache-test'), [tempDir('loco-gemm-tune-')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: number };
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 18, r.stdout);
});
