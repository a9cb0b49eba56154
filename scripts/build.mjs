#!/usr/bin/env node
// Build step run by `npm ci` (prepare) and `npm test`: compiles src/ to dist/ so `bin/loco`
// starts from plain JavaScript (no TypeScript loader on the start-up path).
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(msg) {
  console.error(`loco build: ${msg}`);
  process.exit(1);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) fail('TypeScript is not installed. Run `npm ci` in the project folder first.');
// Compile into a fresh folder and swap it in, so a running `loco` (or a concurrent test) never
// finds dist/ half-built or missing, and files of deleted sources do not linger.
const dist = join(root, 'dist');
const fresh = join(root, `.dist-${process.pid}`);
rmSync(fresh, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', fresh], { stdio: 'inherit', cwd: root });
if (r.status !== 0) {
  rmSync(fresh, { recursive: true, force: true });
  fail('TypeScript compilation failed (errors above).');
}
const old = join(root, `.dist-old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(fresh, dist);
rmSync(old, { recursive: true, force: true });

// Native training engine (kernels/ → kernels/build/loco-engine): needs make and a C++17 compiler
// with OpenMP; uses Debian's OpenBLAS (libopenblas-openmp-dev) when installed.
function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
if (!have('make') || !have(process.env.CXX ?? 'g++')) {
  fail(
    'building the native training engine needs `make` and `g++` (C++17 with OpenMP). Install them, e.g. ' +
      '`sudo apt-get install g++ make libopenblas-openmp-dev`, then run `npm run build` again.',
  );
}
const jobs = String(Math.max(1, Math.min(4, (await import('node:os')).availableParallelism())));
const k = spawnSync('make', ['-s', '-j', jobs, '-C', join(root, 'kernels')], { stdio: 'inherit', cwd: root });
if (k.status !== 0) {
  fail(
    'the native training engine failed to build (errors above). It needs g++ ≥ 9 with OpenMP and make ' +
      '(`sudo apt-get install g++ make libopenblas-openmp-dev`); see kernels/Makefile.',
  );
}
