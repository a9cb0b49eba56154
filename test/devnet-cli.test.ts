// `loco devnet start` as a process: NDJSON events on stdout with --json, answers JSON-RPC on the
// port it reports, stops cleanly on SIGINT, and refuses a bad --block-time with exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LOCO, loco, tempDir } from './helpers.js';

test('loco devnet start --json: started/block events, JSON-RPC on the port, clean stop on SIGINT', { timeout: 60_000 }, async () => {
  const home = tempDir('loco-devnet-cli-');
  const child = spawn(process.execPath, [LOCO, 'devnet', 'start', '--json', '--port', '0', '--block-time', '100ms', '--dir', `${home}/chain`], {
    env: { ...process.env, HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout! });
  const events: any[] = [];
  let started: any;
  const gotBlock = new Promise<void>((resolve) => {
    lines.on('line', (l) => {
      const ev = JSON.parse(l);
      events.push(ev);
      if (ev.event === 'started') started = ev;
      if (ev.event === 'block' && ev.number >= 2) resolve();
    });
  });
  await gotBlock;
  assert.ok(started?.url?.startsWith('ws://127.0.0.1:'));
  const res = await fetch(started.url.replace('ws://', 'http://'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_properties', params: [] }),
  }).then((r) => r.json() as Promise<any>);
  assert.deepEqual(res.result, { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  assert.equal(await exit, 0);
  assert.equal(events[events.length - 1].event, 'stopped');
});

/** Start `loco devnet start --json` and resolve with the child and its 'started' event once block `until` is seen. */
function startDevnet(dir: string, home: string, until: number) {
  const child = spawn(process.execPath, [LOCO, 'devnet', 'start', '--json', '--port', '0', '--block-time', '100ms', '--dir', dir], {
    env: { ...process.env, HOME: home, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise<{ child: typeof child; started: any; last: number }>((resolve) => {
    let started: any;
    lines.on('line', (l) => {
      const ev = JSON.parse(l);
      if (ev.event === 'started') started = ev;
      if (ev.event === 'block' && ev.number >= until) resolve({ child, started, last: ev.number });
    });
  });
}

test('loco devnet start: kill -9 loses at most the block in progress; the restart continues at that height', { timeout: 60_000 }, async () => {
  const home = tempDir('loco-devnet-kill-');
  const dir = `${home}/chain`;
  const a = await startDevnet(dir, home, 8);
  const exited = new Promise((r) => a.child.on('exit', r));
  a.child.kill('SIGKILL');
  await exited;
  const b = await startDevnet(dir, home, 0);
  assert.equal(b.started.genesisHash, a.started.genesisHash);
  assert.ok(b.started.head >= a.last - 1 && b.started.head <= a.last + 1, `restarted at #${b.started.head}, killed after #${a.last}`);
  const exit = new Promise((r) => b.child.on('exit', r));
  b.child.kill('SIGINT');
  await exit;
});

test('loco devnet start: a bad --block-time is a usage error (exit 2)', () => {
  const home = tempDir('loco-devnet-cli-');
  const r = loco(['devnet', 'start', '--block-time', 'fast', '--json', '--ephemeral'], { home });
  assert.equal(r.code, 2);
  assert.equal(r.json?.success, false);
  assert.match(r.json?.error?.message ?? '', /--block-time/);
});
