// Shared test helpers: run the real `bin/loco` binary in a sandboxed HOME and config dir.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCO = join(ROOT, 'bin', 'loco');
export const SHARED = join(ROOT, '..', 'shared');

export function tempDir(prefix = 'loco-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
