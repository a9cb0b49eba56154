// `init` fills the parameters from one continuous stream of normals (docs/trainer-protocol.md,
// "Initialisation"); the engine computes it in parallel, each chunk entering the stream at its own
// index. kernels/test/init_stream_test.cpp checks that against the sequential stream bit for bit:
// entry at odd and even indices, odd tensor sizes, norm tensors, tensors over a chunk, 1–3 threads,
// and the real tiny layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKernelCheck } from './helpers.js';

test('parallel parameter init gives the sequential stream\'s bits at any thread count', { timeout: 180_000 }, () => {
  const { json: j, run: r } = runKernelCheck<{ ok: boolean; checks: number }>('init-stream-test', 60_000);
  assert.equal(j.ok, true);
  assert.equal(j.checks, 27, r.stdout);  // 21 stream entries + 2 layouts × 3 thread counts
});
