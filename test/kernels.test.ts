// The native engine's kernels: the C++ finite-difference gradient check (every op + the whole
// model, in double precision) passes, and the same check fails when a backward is corrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const KERNELS = join(ROOT, 'kernels');
const GRADCHECK = join(KERNELS, 'build', 'gradcheck');

function buildGradcheck(): void {
  const r = spawnSync('make', ['-s', '-C', KERNELS, 'build/gradcheck'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `make build/gradcheck failed:\n${r.stdout}\n${r.stderr}`);
}

function parse(out: string): { name: string; err: number; threshold: number; pass: boolean }[] {
  const rows = [];
  for (const line of out.split('\n')) {
    const m = /^(.+?)\s+coords=\d+\s+max_rel_err=(\S+) threshold=(\S+) .*\b(PASS|FAIL)$/.exec(line);
    if (m) rows.push({ name: m[1].trim(), err: Number(m[2]), threshold: Number(m[3]), pass: m[4] === 'PASS' });
  }
  return rows;
}

test('gradient check: every op and the whole model match finite differences (double precision)', () => {
  buildGradcheck();
  const r = spawnSync(GRADCHECK, [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `gradcheck failed:\n${r.stdout}\n${r.stderr}`);
  const rows = parse(r.stdout);
  const names = rows.map((x) => x.name);
  for (const op of ['matmul (linear)', 'gemm transposes (vs naive)', 'rmsnorm', 'rope', 'rope formula (rotate-half)', 'attention (causal)', 'attention (causal, gemm)', 'attention loops vs gemm', 'swiglu', 'crossentropy', 'model (all tensors)', 'model padded rows grad = 0', 'float vs double model']) {
    assert.ok(names.includes(op), `gradcheck did not report "${op}":\n${r.stdout}`);
  }
  for (const row of rows) {
    assert.ok(row.pass && row.err <= row.threshold, `${row.name}: rel err ${row.err} > ${row.threshold}`);
  }
  assert.match(r.stdout, /gradcheck: OK/);
});

test('the built-in matmul (no BLAS) build passes the same gradient check', () => {
  const dir = join(KERNELS, 'build', 'noblas');
  const mk = spawnSync('make', ['-s', '-j', '2', '-C', KERNELS, `BUILD=${dir}`, 'LOCO_BLAS=none', `${dir}/gradcheck`], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(mk.status, 0, `make (LOCO_BLAS=none) failed:\n${mk.stdout}\n${mk.stderr}`);
  const r = spawnSync(join(dir, 'gradcheck'), [], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `gradcheck (built-in gemm) failed:\n${r.stdout}\n${r.stderr}`);
  assert.ok(parse(r.stdout).length >= 12 && parse(r.stdout).every((x) => x.pass), r.stdout);
});

test('gradient check can fail: a 1 % error injected into two backwards is caught', () => {
  buildGradcheck();
  const r = spawnSync(GRADCHECK, ['--inject-bug'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stdout);
  const failed = parse(r.stdout).filter((x) => !x.pass).map((x) => x.name);
  assert.ok(failed.includes('matmul (linear)'), r.stdout);
  assert.ok(failed.includes('model (all tensors)'), r.stdout);
  assert.ok(!failed.includes('rmsnorm'), 'untouched ops still pass');
  assert.match(r.stdout, /gradcheck: FAIL/);
});
