// The CUDA graphs of the training step (kernels/src/cuda/step_graph.h; LOCO_CUDA_GRAPH=1) on the CPU:
// the header the engine uses, against a fake CUDA runtime that counts captures, instantiations and
// launches. A step's first call runs eagerly, its second is captured and launched, later ones replay;
// a freed device buffer forces an eager call and a new capture; a failed capture runs the call
// eagerly, says why on stderr, and its key never tries again. On a GPU, gpu-parity checks the same
// graphs bit for bit against eager steps (docs/cuda.md, "CUDA graphs of the step").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

test('CUDA graphs of the step: eager first, captured second, replayed after; recaptured after a free; eager for good after a failed capture', { timeout: 180_000 }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/step-graph-test'], { encoding: 'utf8', timeout: 150_000 });
  assert.equal(mk.status, 0, `make build/step-graph-test failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(join(KERNELS, 'build', 'step-graph-test'), [], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: number; failures: string[] };
  assert.deepEqual(j.failures, []);
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 33, r.stdout);
  // each of the four failed captures is said once on stderr, with its reason
  const said = r.stderr.split('\n').filter((l) => l.startsWith('loco-engine: CUDA graph of the step not used for B 16, T 1024'));
  assert.equal(said.length, 4, r.stderr);
  for (const why of ['not permitted when stream is capturing', 'cudaStreamEndCapture', 'cudaGraphInstantiate', 'freed while capturing'])
    assert.ok(said.some((l) => l.includes(why)), `${why}: ${r.stderr}`);
});
