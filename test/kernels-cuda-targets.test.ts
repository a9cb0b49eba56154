// Which GPUs a CUDA build of the engine runs on (kernels/src/cuda/cuda_targets.h): the default build
// (machine code for sm_80 and sm_90a, PTX for later GPUs) runs on every GPU from the A100 to
// Blackwell, an older GPU or one the build left out gets a reason (and --device auto the CPU), and the
// sm_90a-only wgmma kernels are allowed on compute capability 9.0 only. Host-only C++, no GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runKernelCheck } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

test('CUDA build targets: which GPUs run it, why not, where wgmma may run', { timeout: 180_000 }, () => {
  const { json: j, run: r } = runKernelCheck<{ ok: boolean; checks: number }>('cuda-targets-test', 20_000);
  assert.equal(j.ok, true);
  assert.ok(j.checks >= 18, r.stdout);
  // the default target list the code's checks assume is the Makefile's
  assert.match(readFileSync(join(KERNELS, 'Makefile'), 'utf8'), /^CUDA_ARCH \?= 80 90a$/m);
});
