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

test('loco devnet start: a bad --block-time is a usage error (exit 2)', () => {
  const home = tempDir('loco-devnet-cli-');
  const r = loco(['devnet', 'start', '--block-time', 'fast', '--json', '--ephemeral'], { home });
  assert.equal(r.code, 2);
  assert.equal(r.json?.success, false);
  assert.match(r.json?.error?.message ?? '', /--block-time/);
});
