// Benchmarks for the foundation: CLI start-up time and coldkey unlock time.
//   npm run bench -- wallet        (or: node --import tsx scripts/bench-wallet.ts)
// Baselines measured in the same run: plain `node -e 0` start-up, and libsodium's native argon2i
// through PyNaCl (Debian python3-nacl) for the unlock.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCO = join(ROOT, 'bin', 'loco');
const FIXTURE = join(ROOT, '..', 'shared', 'fixtures', 'wallet', 'wallets');
const PASSWORD = 'thisisafakepassword';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timeProcess(args: string[], env: NodeJS.ProcessEnv, runs: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const r = spawnSync(args[0], args.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
    if (i >= 2) out.push(ms); // two warm-up runs fill the page cache
  }
  return out;
}

export async function benchWallet(): Promise<string> {
  const home = join(tmpdir(), `loco-bench-${process.pid}`);
  mkdirSync(home, { recursive: true });
  const env = { ...process.env, HOME: home, LOCO_CONFIG_DIR: join(home, 'cfg'), NO_COLOR: '1' };
  const runs = 21;
  const nodeBare = median(timeProcess([process.execPath, '-e', '0'], env, runs));
  const help = median(timeProcess([process.execPath, LOCO, '--help'], env, runs));
  const list = median(timeProcess([process.execPath, LOCO, '--wallet.path', FIXTURE, 'wallet', 'list'], env, runs));

  // Unlock: in-process, KDF + secretbox open + key rebuild, loco vs libsodium (PyNaCl).
  const { unlockColdkey } = await import('../src/wallet/wallet.js');
  const w = { path: FIXTURE, name: 'fixture' };
  await unlockColdkey(w, async () => PASSWORD); // warm-up (loads the crypto modules)
  const locoUnlock: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await unlockColdkey(w, async () => PASSWORD);
    locoUnlock.push(performance.now() - t0);
  }
  const py = spawnSync('/usr/bin/python3', ['-c', `
import time, nacl.pwhash, nacl.secret
data = open(${JSON.stringify(join(FIXTURE, 'fixture', 'coldkey'))}, 'rb').read()
salt = bytes.fromhex('137183dff15a09bc9c90b5518739e9b1')
ts = []
for i in range(6):
    t = time.perf_counter()
    k = nacl.pwhash.argon2i.kdf(32, ${JSON.stringify(PASSWORD)}.encode(), salt, opslimit=8, memlimit=536870912)
    nacl.secret.SecretBox(k).decrypt(data[5:])
    ts.append((time.perf_counter() - t) * 1000)
print(' '.join(str(x) for x in ts[1:]))
`], { encoding: 'utf8' });
  const native = py.status === 0 ? py.stdout.trim().split(' ').map(Number) : undefined;

  // End to end: `loco wallet sign --use-coldkey` as a person runs it.
  const pwFile = join(home, 'pw');
  writeFileSync(pwFile, PASSWORD);
  const signE2E = median(timeProcess([process.execPath, LOCO, '--wallet.path', FIXTURE, '--wallet.name', 'fixture', 'wallet', 'sign', '--use-coldkey', '--message', 'x', '--password-file', pwFile], env, 3));

  const lines = [
    '| measurement | median | baseline (same run) | ratio |',
    '|---|---|---|---|',
    `| \`loco --help\` start-to-exit (${runs} runs) | ${help.toFixed(0)} ms | \`node -e 0\`: ${nodeBare.toFixed(0)} ms | ${(help / nodeBare).toFixed(2)}× |`,
    `| \`loco wallet list\` (fixture wallet, ${runs} runs) | ${list.toFixed(0)} ms | \`node -e 0\`: ${nodeBare.toFixed(0)} ms | ${(list / nodeBare).toFixed(2)}× |`,
    `| coldkey unlock in-process (argon2i 8 × 512 MiB + secretbox + key rebuild, 5 runs) | ${median(locoUnlock).toFixed(0)} ms | ${native ? `libsodium via PyNaCl: ${median(native).toFixed(0)} ms` : 'PyNaCl not installed'} | ${native ? `${(median(locoUnlock) / median(native)).toFixed(2)}×` : '–'} |`,
    `| \`loco wallet sign --use-coldkey\` end to end (3 runs) | ${signE2E.toFixed(0)} ms | | |`,
  ];
  return lines.join('\n');
}

if (process.argv[1]?.endsWith("bench-wallet.ts")) {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('build first: npm run build');
  console.log(await benchWallet());
}
