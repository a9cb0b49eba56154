#!/usr/bin/env node
// Build step run by `npm ci` (prepare) and `npm test`: compiles src/ to dist/ so `bin/loco`
// starts from plain JavaScript (no TypeScript loader on the start-up path).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(msg) {
  console.error(`loco build: ${msg}`);
  process.exit(1);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(tsc)) fail('TypeScript is not installed. Run `npm ci` in the project folder first.');
rmSync(join(root, 'dist'), { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
if (r.status !== 0) fail('TypeScript compilation failed (errors above).');
