// Shared test helpers: run the real `bin/loco` binary in a sandboxed HOME and config dir.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeShard } from '../src/data/shards.js';
import { pidAlive } from '../src/util/pid.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCO = join(ROOT, 'bin', 'loco');
export const SHARED = join(ROOT, '..', 'shared');

/**
 * Builds a host-only check of kernels/ (`make -C kernels build/NAME`) and runs it: both must exit 0,
 * and the check prints ONE JSON line ({"ok", "checks", ...}), returned with the run (its stderr too).
 */
export function runKernelCheck<J extends { ok: boolean; checks: number }>(name: string, runTimeoutMs = 30_000): { json: J; run: SpawnSyncReturns<string> } {
  const kernels = join(ROOT, 'kernels');
  const mk = spawnSync('make', ['-s', '-C', kernels, `build/${name}`], { encoding: 'utf8', timeout: 150_000 });
  if (mk.status !== 0) throw new Error(`make build/${name} failed:\n${mk.stdout}\n${mk.stderr}`);
  const run = spawnSync(join(kernels, 'build', name), [], { encoding: 'utf8', timeout: runTimeoutMs });
  if (run.status !== 0) throw new Error(`build/${name} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return { json: JSON.parse(run.stdout) as J, run };
}

// Every test file runs in a process of its own: its temporary directories go when it exits
// (LOCO_KEEP_TEST_TMP=1 keeps them to look at). They used to stay, and runs of the suite filled the
// disk (77 GB in /tmp on a development machine, 2026-11-27).
const madeDirs: string[] = [];
process.on('exit', () => {
  if (process.env.LOCO_KEEP_TEST_TMP === '1') return;
  for (const d of madeDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // a child process still writing there: leave it
    }
  }
});

/**
 * Run `fn` while holding a lock shared by every test process on the machine (a directory in the OS
 * temp folder holding the owner's pid; a lock whose owner is gone is taken over). The tests that
 * start a whole demo subnet hold 'demo': two at once on a 2-core CI machine starve each other's
 * miners past their windows (seen: no uploads in three windows), which no real demo shares a machine with.
 */
export async function withMachineLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const dir = join(tmpdir(), `loco-test-lock-${name}`);
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      if (owner > 0 && !pidAlive(owner)) rmSync(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function tempDir(prefix = 'loco-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(d);
  return d;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

/** Run `loco args…` with HOME and the config dir inside `home`; never inherits a TTY. */
export function loco(args: string[], opts: { home: string; env?: Record<string, string | undefined>; input?: string } ): RunResult {
  const env: Record<string, string | undefined> = {
    ...process.env,
    HOME: opts.home,
    LOCO_CONFIG_DIR: join(opts.home, '.config-loco'),
    NO_COLOR: '1',
    LOCO_PASSWORD: undefined,
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [LOCO, ...args], {
    env: env as NodeJS.ProcessEnv,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 120_000,
  });
  const out: RunResult = { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (args.includes('--json')) {
    try {
      out.json = JSON.parse(r.stdout);
    } catch {
      /* left undefined: the test asserting on it will fail with the raw stdout */
    }
  }
  return out;
}

/**
 * The module URLs that `loco args…` loads (through a module-resolution hook), to prove that
 * cheap commands such as `--help` never pull in the heavy stacks.
 */
export function modulesLoadedBy(args: string[]): string {
  const dir = tempDir('loco-hook-');
  const log = join(dir, 'loaded.log');
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), LOCO, ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  if (r.status !== 0) throw new Error(`loco ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return readFileSync(log, 'utf8');
}

/**
 * A training shard of `n` samples of `T + 1`-overlapping tokens where sample i draws its tokens from
 * its own band of 40 ids (100 + 40·i …), so each miner's assigned samples differ from the others' and
 * training on them is visible in the own-vs-random losses. Deterministic in `seed` (an LCG).
 */
export function writeBandedShard(path: string, n: number, T: number, seed: number): void {
  let x = seed;
  const tokens = Array.from({ length: n * T + 1 }, (_, i) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return 100 + Math.min(Math.floor(i / T), n - 1) * 40 + ((x >>> 8) % 40);
  });
  writeShard(path, tokens);
}
