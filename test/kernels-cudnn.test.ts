// The cuDNN attention (the default on an H100/H200 since h200-8, or LOCO_CUDA_ATTN_FWD=cudnn, LOCO_CUDA_ATTN_BWD=cudnn|cudnn-det;
// kernels/src/cuda/attention_cudnn.cu) loads
// libcudnn.so.9 at run time and declares the backend API itself (src/cuda/cudnn_shim.h). Here, with
// the headers and libraries of the cuDNN 9 wheel that this machine's local Python package index holds
// (no network): the shim's enum values against cudnn_graph.h (a compile of static_asserts), and the
// forward graph's 14 operations and the backward's 22 made and finalized by the real library at four
// shapes, without a device — cuDNN checks each operation's tensors as it finalizes it (a wrong matmul
// shape, broadcast or axis fails with its reason). The graphs' engines and numbers need a GPU
// (gpu-check.sh). Also without a device: what the calls do where cuDNN cannot start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');

// the wheel: pip's local index on this kind of machine
function findWheel(): string | null {
  for (const dir of ['/opt/pypi-more/files', '/opt/pypi/files', '/opt/wheels']) {
    if (!existsSync(dir)) continue;
    const w = readdirSync(dir).filter((f) => /^nvidia_cudnn_cu1[23]-9\..*\.whl$/.test(f)).sort().pop();
    if (w) return join(dir, w);
  }
  return null;
}

test('cuDNN attention: the shim matches cudnn_graph.h, and the real library finalizes every tensor and operation of the forward and backward graphs', { timeout: 240_000 }, () => {
  const wheel = findWheel();
  assert.ok(wheel, 'no cuDNN 9 wheel in /opt/pypi-more/files, /opt/pypi/files or /opt/wheels');
  const dir = tempDir('loco-cudnn-');
  // headers and the three libraries a descriptor's finalize loads (about 160 MB of the wheel's 921)
  const unzip = spawnSync('python3', ['-c', `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
keep = ('libcudnn.so.9', 'libcudnn_graph.so.9', 'libcudnn_engines_runtime_compiled.so.9')
for n in z.namelist():
    if n.endswith('.h') or n.rsplit('/', 1)[-1] in keep:
        z.extract(n, sys.argv[2])
`, wheel!, dir], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(unzip.status, 0, unzip.stderr);
  const inc = join(dir, 'nvidia', 'cudnn', 'include');
  const lib = join(dir, 'nvidia', 'cudnn', 'lib');

  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/cudnn-abi-check', 'build/cudnn-graph-check', `CUDNN_INCLUDE=${inc}`], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(mk.status, 0, `make failed:\n${mk.stdout}\n${mk.stderr}`);
  const abi = spawnSync(join(KERNELS, 'build', 'cudnn-abi-check'), [], { encoding: 'utf8' });
  assert.equal(abi.status, 0, abi.stderr);
  assert.match(abi.stdout, /"ok":true,"header_version":9\d{4}/);

  // the library named by LOCO_CUDNN_LIB (how gpu-check.sh picks PyTorch's cuDNN), not found on the
  // loader's path: its RPATH ($ORIGIN) finds the sub-libraries beside it
  const env = { ...process.env, LD_LIBRARY_PATH: '' };
  const r = spawnSync(join(KERNELS, 'build', 'cudnn-graph-check'), [], { encoding: 'utf8', timeout: 60_000, env: { ...env, LOCO_CUDNN_LIB: join(lib, 'libcudnn.so.9') } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout) as { ok: boolean; cudnn_version: number; operations: Record<string, number[]> };
  assert.equal(j.ok, true);
  assert.ok(j.cudnn_version >= 90000, r.stdout);
  // [forward, backward, deterministic backward] operations at each shape
  assert.deepEqual(j.operations, { 'gpt2-124m': [14, 22, 21], '1b': [14, 22, 21], tiny: [14, 22, 21], odd: [14, 22, 21] });
  // the calls where cuDNN cannot start (here: no device, so cudnnCreate fails): the default's give way
  // to our kernels (false, nothing run) and say why once per direction and shape; one the variables
  // asked for stops with the reason
  const calls = spawnSync(join(KERNELS, 'build', 'cudnn-graph-check'), ['--calls'], { encoding: 'utf8', timeout: 60_000, env: { ...env, LOCO_CUDNN_LIB: join(lib, 'libcudnn.so.9') } });
  assert.equal(calls.status, 0, `${calls.stdout}\n${calls.stderr}`);
  const c = JSON.parse(calls.stdout);
  assert.equal(c.loads_before, true);
  assert.deepEqual(c.forward_optional, [false, false]);
  assert.equal(c.backward_det_optional, false);
  assert.match(c.forward_required_error, /^LOCO_CUDA_ATTN_FWD=cudnn: cudnnCreate: CUDNN_STATUS_/);
  assert.equal(c.loads_after, false);
  assert.match(c.why_after, /^cudnnCreate: /);
  const said = calls.stderr.split('\n').filter((l) => l.startsWith('loco-engine: cuDNN attention'));
  assert.equal(said.length, 2, calls.stderr);
  assert.match(said[0], /^loco-engine: cuDNN attention forward not used for B 2, T 64, 2 heads of 64 \(this engine's kernels run\): cudnnCreate: /);
  assert.match(said[1], /^loco-engine: cuDNN attention deterministic backward not used for B 2, T 64, 2 heads of 64 /);
  // ... and where the library does not load
  const none = spawnSync(join(KERNELS, 'build', 'cudnn-graph-check'), ['--calls'], { encoding: 'utf8', env: { ...env, LOCO_CUDNN_LIB: join(dir, 'none', 'libcudnn.so.9') } });
  assert.equal(none.status, 0, none.stderr);
  assert.equal(JSON.parse(none.stdout).loads_before, false);
  assert.deepEqual(JSON.parse(none.stdout).forward_optional, [false, false]);
  assert.match(none.stderr, /cuDNN attention forward not used for B 2, T 64, 2 heads of 64 \(this engine's kernels run\): LOCO_CUDNN_LIB=.*none\/libcudnn\.so\.9: cannot load it/);
  // a library that is not there, named or searched for (where the system has none): the reason, and exit 1
  const systemHasCudnn = /libcudnn\.so\.9\b/.test(spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '');
  const cases = [[{ LOCO_CUDNN_LIB: join(dir, 'none', 'libcudnn.so.9') }, /LOCO_CUDNN_LIB=.*none\/libcudnn\.so\.9: cannot load it/]] as [Record<string, string>, RegExp][];
  if (!systemHasCudnn) cases.push([{}, /cannot load libcudnn\.so\.9: libcudnn\.so\.9: cannot open/]);
  for (const [extra, want] of cases) {
    const bad = spawnSync(join(KERNELS, 'build', 'cudnn-graph-check'), [], { encoding: 'utf8', env: { ...env, ...extra } });
    assert.equal(bad.status, 1, bad.stdout);
    assert.match(JSON.parse(bad.stdout).error, want);
  }
});
