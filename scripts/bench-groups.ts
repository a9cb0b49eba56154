// The CUDA backend's host work per training step: grouping the step's positions by token for the
// embedding backward (kernels/src/token_groups.h, a counting sort) against the std::sort of
// (token, position) keys it replaced, measured in the same run on 16,384 tokens of gpt2's vocabulary
// (both steps' shapes: gpt2-124m 16 × 1024, 1b 8 × 2048).
//   npm run bench -- groups
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const KERNELS = join(dirname(fileURLToPath(import.meta.url)), '..', 'kernels');

export async function benchGroups(): Promise<string> {
  const mk = spawnSync('make', ['-s', '-C', KERNELS, 'build/token-groups-test'], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`make build/token-groups-test failed:\n${mk.stdout}\n${mk.stderr}`);
  const rows: string[] = [];
  for (let run = 1; run <= 3; run++) {
    const r = spawnSync(join(KERNELS, 'build', 'token-groups-test'), ['bench'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`token-groups-test bench failed:\n${r.stdout}\n${r.stderr}`);
    const j = JSON.parse(r.stdout) as { sort_us: number; count_us: number; speedup: number };
    rows.push(`| ${run} | ${j.sort_us.toFixed(0)} | ${j.count_us.toFixed(0)} | ${j.speedup.toFixed(1)}× |`);
  }
  return [
    'Grouping 16,384 positions by token (vocabulary 50,257), best of 50 calls per run:',
    '',
    '| run | std::sort of keys (µs) | counting sort (µs) | speedup |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
