// Window sources and the abort helper the role loops use (no engine, no chain).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, WallClock, unlessAborted } from '../src/miner/window.js';

test('ManualClock: waitFor resolves when the window begins; start times; unlessAborted stops a wait', async () => {
  const c = new ManualClock(4);
  assert.equal(await c.current(), 4);
  let woke = false;
  const p = c.waitFor(6).then(() => (woke = true));
  c.advance();
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false);
  const at = new Date(1_700_000_000_000);
  c.advance(6, at);
  await p;
  assert.equal(woke, true);
  assert.equal((await c.startTime(6)).getTime(), at.getTime());
  const skip = new ManualClock(0);
  skip.advance(3, at);
  assert.equal((await skip.startTime(1)).getTime(), at.getTime(), 'skipped windows begin together');
  await assert.rejects(c.startTime(7));
  assert.throws(() => c.advance(6));

  const ac = new AbortController();
  const waiting = unlessAborted(c.waitFor(100), ac.signal);
  ac.abort();
  assert.equal(await waiting, false);
  assert.equal(await unlessAborted(c.waitFor(6), ac.signal), false, 'an aborted signal never waits');
  assert.equal(await unlessAborted(c.waitFor(6), new AbortController().signal), true);
  assert.equal(await unlessAborted(c.waitFor(6)), true);
});

test('WallClock: window = ⌊unix time / S⌋, starting at w·S', async () => {
  const c = new WallClock(10);
  const w = await c.current();
  assert.equal(w, Math.floor(Date.now() / 10_000));
  assert.equal((await c.startTime(w)).getTime(), w * 10_000);
  await c.waitFor(w); // already begun: immediate
  assert.throws(() => new WallClock(0));
});
