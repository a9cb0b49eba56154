// `init` fills the parameters from one continuous stream of normals (docs/trainer-protocol.md,
// "Initialisation"); the engine computes it in parallel, each chunk entering the stream at its own
// index. kernels/test/init_stream_test.cpp checks that against the sequential stream bit for bit:
// entry at odd and even indices, odd tensor sizes, norm tensors, tensors over a chunk, 1–3 threads,
// and the real tiny layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

test('parallel parameter init gives the sequential stream\'s bits at any thread count', { timeout: 180_000 }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/init-stream-test'], { encoding: 'utf8', timeout: 150_000 });
  assert.equal(mk.status, 0, `make build/init-stream-test failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(join(KERNELS, 'build', 'init-stream-test'), [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: number };
  assert.equal(j.ok, true);
  assert.equal(j.checks, 27, r.stdout);  // 21 stream entries + 2 layouts × 3 thread counts
});
