// The embedding backward of the CUDA backend sums each token's rows in position order, with no
// atomics, from a grouping of the step's positions by token made on the host
// (kernels/src/token_groups.h: a counting sort). kernels/test/token_groups_test.cpp checks it
// array for array against the std::sort of (token, position) keys it replaced, on random batches
// from one-token to 2^20-token vocabularies, and that ids outside the vocabulary get a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

test('token groups: the counting sort gives the sorted grouping, bad ids are refused', { timeout: 180_000 }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/token-groups-test'], { encoding: 'utf8', timeout: 150_000 });
  assert.equal(mk.status, 0, `make build/token-groups-test failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(join(KERNELS, 'build', 'token-groups-test'), [], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: number };
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 200, r.stdout);
});
