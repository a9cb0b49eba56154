// kernels/tools/ncu_summary.py on a small Nsight Compute CSV of the shape `ncu --csv --metrics
// gpu__time_duration.sum` writes (its banner lines first, a thousands separator in the values, units
// of ns and us): the per-kernel sums gpu-check.sh's `kernels` stage records, and `--launches`, the
// launches of an ID range in the step's order (docs/benchmarks.md reads one layer's matmuls with it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, tempDir } from './helpers.js';

const TOOL = join(ROOT, 'kernels', 'tools', 'ncu_summary.py');
const HEAD = '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"';
const row = (id: number, name: string, grid: string, unit: string, value: string) =>
  `"${id}","1","gpu-bench","127.0.0.1","${name}","1","7","(256, 1, 1)","${grid}","0","9.0","Command line profiler metrics","gpu__time_duration.sum","${unit}","${value}"`;

function csvFile(): string {
  const path = join(tempDir('loco-ncu-'), 'ncu.csv');
  writeFileSync(path, ['==PROF== Connected to process 1', HEAD,
    row(0, 'norm_kernel', '(2048, 1, 1)', 'ns', '21,000'),
    row(1, 'nvjet_qkv', '(2, 66, 1)', 'ns', '81,500'),
    row(2, 'norm_kernel', '(2048, 1, 1)', 'ns', '20,000'),
    row(3, 'nvjet_o', '(2, 66, 1)', 'us', '40.5'),
    '==PROF== Disconnected from process 1', ''].join('\n'));
  return path;
}

test('ncu_summary.py: per-kernel sums, largest first', () => {
  const r = spawnSync('python3', [TOOL, csvFile()], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.launches, 4);
  assert.ok(Math.abs(j.total_ms - 0.163) < 1e-9, String(j.total_ms));
  assert.deepEqual(j.kernels.map((k: { name: string; count: number }) => [k.name, k.count]), [['nvjet_qkv', 1], ['norm_kernel', 2], ['nvjet_o', 1]]);
});

test('ncu_summary.py --launches: the launches of an ID range, in order, in microseconds', () => {
  const r = spawnSync('python3', [TOOL, csvFile(), '--launches', '1-3'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    tool: 'ncu-launches',
    launches: [
      { id: 1, name: 'nvjet_qkv', grid: '(2, 66, 1)', us: 81.5 },
      { id: 2, name: 'norm_kernel', grid: '(2048, 1, 1)', us: 20 },
      { id: 3, name: 'nvjet_o', grid: '(2, 66, 1)', us: 40.5 },
    ],
  });
});
