// The CUDA graphs of the training step (kernels/src/cuda/step_graph.h; LOCO_CUDA_GRAPH=1) on the CPU:
// the header the engine uses, against a fake CUDA runtime that counts captures, instantiations and
// launches. A step's first call runs eagerly, its second is captured and launched, later ones replay;
// a freed device buffer forces an eager call and a new capture; a failed capture runs the call
// eagerly, says why on stderr, and its key never tries again. On a GPU, gpu-parity checks the same
// graphs bit for bit against eager steps (docs/cuda.md, "CUDA graphs of the step").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runKernelCheck } from './helpers.js';

test('CUDA graphs of the step: eager first, captured second, replayed after; recaptured after a free; eager for good after a failed capture', { timeout: 180_000 }, () => {
  const { json: j, run: r } = runKernelCheck<{ ok: boolean; checks: number; failures: string[] }>('step-graph-test', 20_000);
  assert.deepEqual(j.failures, []);
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 33, r.stdout);
  // each of the four failed captures is said once on stderr, with its reason
  const said = r.stderr.split('\n').filter((l) => l.startsWith('loco-engine: CUDA graph of the step not used for B 16, T 1024'));
  assert.equal(said.length, 4, r.stderr);
  for (const why of ['not permitted when stream is capturing', 'cudaStreamEndCapture', 'cudaGraphInstantiate', 'freed while capturing'])
    assert.ok(said.some((l) => l.includes(why)), `${why}: ${r.stderr}`);
});
