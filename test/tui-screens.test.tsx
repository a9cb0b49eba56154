// Screen tests with ink-testing-library, fed the recorded-style streams of src/tui/sample.ts.
// FORCE_COLOR is set before Ink (chalk) loads so that the colour-on case really emits escapes and
// the NO_COLOR case proves the screens themselves drop them.
process.env.FORCE_COLOR = '1';
import assert from 'node:assert/strict';
import { test } from 'node:test';

const { render } = await import('ink-testing-library');
const { Text } = await import('ink');
const { MineScreen } = await import('../src/tui/MineScreen.js');
const { ValidateScreen } = await import('../src/tui/ValidateScreen.js');
const { LossChart } = await import('../src/tui/components/LossChart.js');
const { EventBus, staticSource } = await import('../src/tui/store.js');
const { sampleMinerEvents, sampleValidatorEvents } = await import('../src/tui/sample.js');
const { fold, initialView } = await import('../src/tui/state.js');
const { ColorContext } = await import('../src/tui/theme.js');

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
// eslint-disable-next-line no-control-regex
const ESC = /\u001b\[/;

async function until(frame: () => string | undefined, re: RegExp, ms = 2000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (re.test(f) || Date.now() > end) return f;
    await tick(20);
  }
}

test('LossChart draws a falling series from the top-left to the bottom-right', () => {
  const v = fold(sampleMinerEvents(4, 10));
  const r = render(
    <ColorContext.Provider value={false}>
      <LossChart view={v} width={60} height={6} />
    </ColorContext.Provider>,
  );
  const lines = (r.lastFrame() ?? '').split('\n').filter((l) => /[\u2801-\u28ff]/.test(l));
  assert.equal(lines.length, 6);
  const plot = lines.map((l) => [...l].map((ch) => (/[\u2800-\u28ff]/.test(ch) ? ch : ' ')));
  const cols = plot.map((row) => row.map((ch, i) => (ch !== ' ' && ch !== '\u2800' ? i : -1)).filter((i) => i >= 0));
  assert.ok(Math.min(...cols[0]) < Math.min(...cols[5]), 'top row starts left of the bottom row');
  assert.ok(Math.max(...cols[5]) > Math.max(...cols[0]), 'bottom row reaches further right');
  assert.match(r.lastFrame() ?? '', /per window [▁▂▃▄▅▆▇█]{4}/);
  r.unmount();
});

test('MineScreen renders header, loss, throughput, bandwidth and peers from events', async () => {
  const r = render(<MineScreen source={staticSource(sampleMinerEvents(3, 6))} info={{ network: 'devnet', netuid: 1, block: 77, countdown: 12 }} intervalMs={0} color={false} keys={false} />);
  const f = await until(r.lastFrame, /gathered 3/);
  assert.match(f, /loco mine/);
  assert.match(f, /network devnet\/1 · block 77 · window 2 · next in 12 s · uid 0/);
  assert.match(f, /Loss/);
  assert.match(f, /step 18 +loss \d+\.\d{4}/);
  assert.match(f, /[\u2801-\u28ff]/, 'braille chart drawn');
  assert.match(f, /tokens\/s 5154/);
  assert.match(f, /w2 ↑242\.6K ↓727\.7K 60× 0\.12\/0\.18/);
  assert.match(f, /gathered 3: 0, 1, 3/);
  assert.match(f, /missing 1: 4/);
  assert.match(f, /uid 2 bad_signature \(signature does not verify/);
  assert.match(f, /checkpoint checkpoint-2\.bin/);
  r.unmount();
});

test('ValidateScreen renders leaderboard rows sorted by final score, and weight inclusion', async () => {
  const r = render(<ValidateScreen source={staticSource(sampleValidatorEvents())} hotkeys={{ 3: '5Hxyz' }} intervalMs={0} color={false} keys={false} />);
  const f = await until(r.lastFrame, /included in block 1234/);
  const rows = f.split('\n').filter((l) => /^\W*\d+ +\d+ +\S+ +[-\d.—]/.test(l.replace(/^[│| ]+/, '')));
  const uids = rows.map((l) => Number(l.replace(/^[│| ]+/, '').split(/ +/)[1]));
  assert.deepEqual(uids, [3, 1, 2, 4]);
  assert.match(rows[0], /5Hxyz/);
  assert.match(rows[0], /0\.4123/);
  assert.match(rows[0], /27\.5±7\.7/);
  assert.match(rows[0], /0\.737/);
  assert.match(rows[3], /missing/);
  assert.match(f, /w0 3 uids: included in block 1234/);
  assert.match(f, /evaluations 3/);
  r.unmount();
});

test('keys: ? toggles help, q calls onQuit, p calls onPause, l shows the log pane', async () => {
  let quit = 0;
  const paused: boolean[] = [];
  const r = render(<MineScreen source={staticSource(sampleMinerEvents(1, 2))} intervalMs={0} color={false} onQuit={() => quit++} onPause={(p) => paused.push(p)} />);
  await until(r.lastFrame, /step 2/);
  assert.doesNotMatch(r.lastFrame() ?? '', /show or hide this help/);
  r.stdin.write('?');
  assert.match(await until(r.lastFrame, /show or hide this help/), /show or hide this help/);
  r.stdin.write('?');
  assert.doesNotMatch(await until(r.lastFrame, /^(?![\s\S]*show or hide)/), /show or hide this help/);
  r.stdin.write('p');
  assert.match(await until(r.lastFrame, /PAUSED/), /PAUSED/);
  assert.deepEqual(paused, [true]);
  r.stdin.write('l');
  assert.doesNotMatch(await until(r.lastFrame, /^(?![\s\S]*Throughput)/), /Throughput/);
  r.stdin.write('q');
  await tick();
  assert.equal(quit, 1);
  r.unmount();
});

test('NO_COLOR: no escape codes (colour on: there are some)', async () => {
  const on = render(<MineScreen source={staticSource(sampleMinerEvents(2, 4))} intervalMs={0} color keys={false} />);
  assert.match(await until(on.lastFrame, /gathered 3/), ESC);
  on.unmount();
  const saved = process.env.NO_COLOR;
  process.env.NO_COLOR = '1';
  try {
    const off = render(<MineScreen source={staticSource(sampleMinerEvents(2, 4))} intervalMs={0} keys={false} />);
    const f = await until(off.lastFrame, /gathered 3/);
    assert.match(f, /gathered 3/);
    assert.doesNotMatch(f, ESC);
    off.unmount();
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
});

test('store: a burst of events from the producer is coalesced into few redraws', async () => {
  const bus = new EventBus();
  let renders = 0;
  const { useEventStore } = await import('../src/tui/store.js');
  function Probe() {
    const v = useEventStore(bus, 50);
    renders++;
    return <Text>{`steps ${v.steps.length}`}</Text>;
  }
  const r = render(<Probe />);
  const ev = sampleMinerEvents(10, 20);
  const t0 = performance.now();
  for (const e of ev) bus.emit(e);
  const emitMs = performance.now() - t0;
  const f = await until(r.lastFrame, /steps 200/);
  assert.match(f, /steps 200/);
  assert.ok(renders <= 4, `${renders} renders for ${ev.length} events`);
  assert.ok(emitMs < 500, `emit took ${emitMs} ms`);
  assert.ok(initialView().steps.length === 0);
  r.unmount();
});

test('tab moves the focus to the next panel; a terminal resize re-lays the screen', async () => {
  const r = render(<MineScreen source={staticSource(sampleMinerEvents(1, 3))} intervalMs={0} color={false} />);
  const top = () => (r.lastFrame() ?? '').split('\n')[1] ?? '';
  await until(r.lastFrame, /step 3/);
  assert.match(top(), /^╭─+╮┌─+┐$/, 'loss panel focused first');
  r.stdin.write('\t');
  await until(() => top(), /^┌─+┐╭─+╮$/);
  assert.match(top(), /^┌─+┐╭─+╮$/, 'throughput panel focused after tab');
  const width = () => Math.max(...(r.lastFrame() ?? '').split('\n').map((l) => [...l].length));
  assert.equal(width(), 100);
  Object.defineProperty(r.stdout, 'columns', { get: () => 80, configurable: true });
  r.stdout.emit('resize');
  await until(() => String(width()), /^80$/);
  assert.equal(width(), 80);
  r.unmount();
});
