// The embedding backward of the CUDA backend sums each token's rows in position order, with no
// atomics, from a grouping of the step's positions by token made on the host
// (kernels/src/token_groups.h: a counting sort). kernels/test/token_groups_test.cpp checks it
// array for array against the std::sort of (token, position) keys it replaced, on random batches
// from one-token to 2^20-token vocabularies, and that ids outside the vocabulary get a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKernelCheck } from './helpers.js';

test('token groups: the counting sort gives the sorted grouping, bad ids are refused', { timeout: 180_000 }, () => {
  const { json: j, run: r } = runKernelCheck<{ ok: boolean; checks: number }>('token-groups-test');
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 200, r.stdout);
});
