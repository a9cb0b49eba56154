// Programmatic dependent launch (LOCO_CUDA_PDL=1, docs/cuda.md): a kernel of kernels/src/cuda/kernels.cu
// launched that way may start while the kernel ahead of it in the stream is still running, so it must
// wait (griddepcontrol.wait, common.cuh's pdl_begin) before it touches memory, on every path. Checked on
// the PTX nvcc makes for sm_90a: in each kernel the wait comes before the first label, branch, return
// and memory access (its kernel parameters aside), so it is in the entry block and precedes them all.
// No GPU needed; skipped where nvcc is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');
const NVCC = spawnSync('sh', ['-c', 'command -v nvcc || ls /usr/local/cuda/bin/nvcc'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];

/** Instructions a kernel may run before its wait: none that reads or writes memory (but its parameters),
 * synchronises, or leaves the entry block. */
const UNSAFE_BEFORE_WAIT = /^(@!?%\w+\s+)?(ld(?!\.param)|ldu|st|atom|red|cp\.|prefetch|tex|tld4|suld|sust|mbarrier|bar|barrier|fence|membar|wgmma|wmma|mma|ldmatrix|stmatrix|call|bra|ret|exit|trap|griddepcontrol\.launch_dependents)\b/;

interface EntryCheck { name: string; problem: string | null }

/** Each .entry of `ptx` and what, if anything, comes before its griddepcontrol.wait that must not. */
function pdlEntryChecks(ptx: string): EntryCheck[] {
  const out: EntryCheck[] = [];
  const re = /\.entry\s+(\S+?)\(/g;
  for (let m = re.exec(ptx); m; m = re.exec(ptx)) {
    const body = ptx.indexOf('{', m.index);
    const end = ptx.indexOf('\n}', body);
    const lines = ptx.slice(body + 1, end).split('\n').map((l) => l.trim());
    let problem: string | null = 'no griddepcontrol.wait';
    for (const l of lines) {
      if (l === '' || l.startsWith('//') || l.startsWith('.')) continue; // comments, .reg/.shared declarations
      if (l.startsWith('griddepcontrol.wait')) { problem = null; break; }
      if (/^\$?\w+:$/.test(l)) { problem = `label before the wait: ${l}`; break; }
      if (UNSAFE_BEFORE_WAIT.test(l)) { problem = `before the wait: ${l}`; break; }
    }
    out.push({ name: m[1], problem });
  }
  return out;
}

test('pdl check: it flags a kernel that reads memory, branches or has no wait before griddepcontrol.wait', () => {
  const entry = (name: string, body: string) => `.visible .entry ${name}(\n\t.param .u64 p\n)\n{\n\t.reg .b64 %rd<3>;\n${body}\n}\n`;
  const ptx = [
    entry('ok', '\tld.param.u64 %rd1, [p];\n\tmov.u32 %r1, %tid.x;\n\t// begin inline asm\n\tgriddepcontrol.wait;\n\t// end inline asm\n\tld.global.u32 %r2, [%rd1];'),
    entry('reads_first', '\tld.param.u64 %rd1, [p];\n\tld.global.u32 %r2, [%rd1];\n\tgriddepcontrol.wait;'),
    entry('branches_first', '\tsetp.ge.u32 %p1, %r1, 4;\n\t@%p1 bra $L__BB1_2;\n\tgriddepcontrol.wait;\n$L__BB1_2:\n\tret;'),
    entry('stores_shared_first', '\tst.shared.u32 [%r1], %r2;\n\tgriddepcontrol.wait;'),
    entry('no_wait', '\tld.param.u64 %rd1, [p];\n\tadd.s32 %r1, %r1, 1;'),
  ].join('\n');
  const got = Object.fromEntries(pdlEntryChecks(ptx).map((c) => [c.name, c.problem]));
  assert.equal(got.ok, null);
  assert.match(String(got.reads_first), /ld\.global/);
  assert.match(String(got.branches_first), /bra/);
  assert.match(String(got.stores_shared_first), /st\.shared/);
  assert.equal(got.no_wait, 'no griddepcontrol.wait');
});

test('kernels.cu: every kernel waits for the grid ahead of it before any memory access (sm_90a PTX)', { timeout: 300_000, skip: NVCC ? false : 'no nvcc on this machine' }, () => {
  const ptxFile = join(tempDir('loco-pdl-'), 'kernels.ptx');
  const r = spawnSync(NVCC, ['-std=c++17', '-O3', '-gencode', 'arch=compute_90a,code=sm_90a', '-Isrc', '-ptx', 'src/cuda/kernels.cu', '-o', ptxFile],
    { cwd: KERNELS, encoding: 'utf8', timeout: 280_000 });
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const checks = pdlEntryChecks(readFileSync(ptxFile, 'utf8'));
  // every __global__ of kernels.cu in every instantiation the launchers make (71 with nvcc 13.0); at
  // least one per kernel the source defines
  const kernels = readFileSync(join(KERNELS, 'src/cuda/kernels.cu'), 'utf8').match(/^__global__/gm) ?? [];
  assert.ok(kernels.length >= 27 && checks.length >= kernels.length, `${checks.length} entries for ${kernels.length} kernels`);
  const bad = checks.filter((c) => c.problem !== null).map((c) => `${c.name}: ${c.problem}`);
  assert.deepEqual(bad, []);
});
