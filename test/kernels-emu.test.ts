// The CUDA backend's element-wise kernels (kernels/src/cuda/kernels.cu: one-read cross-entropy, the
// RMSNorm backward with the fused norm-scale gradient, the 16-byte RoPE, SwiGLU, AdamW (and AdamW
// over a whole model in one launch, each tensor's weight decay from a bit mask), Σx², the
// embedding gather, the attention backward's row sums D = Σ dy·y) run on the CPU in an emulator (a thread per CUDA thread, barriers for
// __syncthreads and shuffles, clusters of two blocks) against double-precision references and bit
// for bit against the scalar kernels they replace; an injected error is caught. Needs the CUDA
// headers only (the development and CI machines have nvcc's; no GPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');
const EMU = join(KERNELS, 'build', 'kernels-emu');
const HAVE_CUDA_HEADERS = existsSync('/usr/local/cuda/include/cuda_bf16.h');

interface Check { check: string; err: number; tol: number; ok: boolean }

test('CUDA element-wise kernels (emulated) match double references and the scalar kernels; an injected error fails', { timeout: 900_000, skip: HAVE_CUDA_HEADERS ? false : 'no CUDA headers on this machine' }, () => {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/kernels-emu'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(mk.status, 0, `make build/kernels-emu failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(EMU, [], { encoding: 'utf8', timeout: 400_000 });
  assert.equal(r.status, 0, `kernels-emu failed:\n${r.stdout.slice(-2000)}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; checks: Check[]; crossentropy_outputs_fnv1a: string };
  assert.equal(j.ok, true);
  // the checksum that "the same bits" claims about the cross-entropy kernels are checked with
  assert.match(j.crossentropy_outputs_fnv1a, /^[0-9a-f]{16}$/);
  assert.ok(j.checks.length >= 50, `only ${j.checks.length} checks`);
  for (const c of j.checks) assert.ok(c.ok && c.err <= c.tol, JSON.stringify(c));
  for (const k of ['crossentropy', 'rmsnorm', 'rope', 'swiglu', 'adamw', 'adamw_pieces', 'sum_squares', 'embed', 'attn_bwd_pre']) {
    assert.ok(j.checks.some((c) => c.check.startsWith(k)), `no ${k} check`);
  }
  const bad = spawnSync(EMU, ['--inject-bug'], { encoding: 'utf8', timeout: 400_000 });
  assert.equal(bad.status, 1, bad.stdout.slice(-1000));
  assert.equal((JSON.parse(bad.stdout) as { ok: boolean }).ok, false);
});
