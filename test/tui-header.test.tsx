// The Mine/Validate header from `chain_status` events (block, countdown, stake, incentive, the
// validators' weights), the Throughput panel's MFU and the nvidia-smi parser on recorded output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render } from 'ink-testing-library';
import { MineScreen } from '../src/tui/MineScreen.js';
import { ValidateScreen } from '../src/tui/ValidateScreen.js';
import { Throughput } from '../src/tui/components/Throughput.js';
import { staticSource } from '../src/tui/store.js';
import { sampleMinerEvents, sampleValidatorEvents } from '../src/tui/sample.js';
import { fold, initialView, reduce } from '../src/tui/state.js';
import { ColorContext } from '../src/tui/theme.js';
import { mfu, parseNvidiaSmi, type GpuReading } from '../src/tui/gpu.js';
import { blockSecondsFromSamples, weightsOn } from '../src/miner/status.js';
import { EVENTS_VERSION, type ChainStatusEvent } from '../src/protocol/events.js';

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
async function until(frame: () => string | undefined, re: RegExp, ms = 2000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (re.test(f) || Date.now() > end) return f;
    await tick();
  }
}

function status(over: Partial<ChainStatusEvent> = {}): ChainStatusEvent {
  return {
    v: EVENTS_VERSION,
    t: new Date().toISOString(),
    role: 'miner',
    uid: 0,
    window: 40,
    event: 'chain_status',
    network: 'devnet',
    netuid: 3,
    block: 1234,
    block_seconds: 0.25,
    next_window_in_s: 41.6,
    registered: true,
    stake: 12.5,
    incentive: 0.4123,
    trust: 0.9,
    consensus: 0.5,
    dividends: 0,
    emission: 0.0321,
    validator_permit: false,
    weights_in: [
      { uid: 9, weight: 0.412 },
      { uid: 11, weight: 0.3 },
    ],
    ...over,
  };
}

// `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu
// --format=csv,noheader,nounits` (and without nounits), recorded on an NVIDIA H200 on 2026-11-26.
const RECORDED_NOUNITS = '0, NVIDIA H200, 0, 0, 143771, 36\n';
const RECORDED_UNITS = '0, NVIDIA H200, 0 %, 0 MiB, 143771 MiB, 36\n';

test('reducer: chain_status is kept whole and does not move the loop\'s window', () => {
  let v = fold(sampleMinerEvents(2, 3));
  assert.equal(v.window, 1);
  v = reduce(v, status({ window: 2 }));
  assert.equal(v.window, 1, 'the loop is still in window 1');
  assert.equal(v.chain?.block, 1234);
  assert.equal(v.chain?.weights_in.length, 2);
  assert.equal(reduce(initialView(), status()).window, 40, 'before any loop event the chain\'s window shows');
});

test('Mine header shows network, block, window, countdown, uid, stake, incentive and the validators\' weight from chain_status', async () => {
  const events = [...sampleMinerEvents(3, 4), status()];
  const r = render(<MineScreen source={staticSource(events)} intervalMs={0} color={false} keys={false} gpu={false} />);
  const f = (await until(r.lastFrame, /validators' weight/)).replace(/\n(?=\()/g, ' '); // the line may wrap at 100 columns
  assert.match(f, /loco mine +network devnet\/3 · block 1234 · window 2 · next in 4[12] s · uid 0/);
  assert.match(f, /chain +stake 12\.50 · incentive 0\.4123 · trust 0\.9000 · emission 0\.0321 · validators' weight 0\.356 \(9:0\.412 11:0\.300\)/);
  r.unmount();
});

test('header: not registered, and the countdown runs down between polls', async () => {
  const t = new Date(Date.now() - 10_000).toISOString();
  const r = render(<MineScreen source={staticSource([status({ t, registered: false, next_window_in_s: 30 })])} intervalMs={0} color={false} keys={false} gpu={false} />);
  const f = await until(r.lastFrame, /not registered/);
  assert.match(f, /chain +not registered on subnet 3/);
  assert.match(f, /next in (19|20) s/, 'counted down from the event time');
  r.unmount();
});

test('header without a chain: wall-clock windows count down from --window-seconds', async () => {
  const r = render(<MineScreen source={staticSource(sampleMinerEvents(1, 2))} info={{ windowSeconds: 3 }} intervalMs={0} color={false} keys={false} gpu={false} />);
  const f = await until(r.lastFrame, /next in \d s · uid 0/);
  assert.match(f, /window 0 · next in [0-3] s · uid 0/);
  assert.doesNotMatch(f, /^chain /m, 'no chain line without chain_status');
  r.unmount();
});

test('Validate header shows dividends and the validator permit', async () => {
  const events = [...sampleValidatorEvents(), status({ role: 'validator', uid: 9, dividends: 0.75, validator_permit: true, weights_in: [] })];
  const r = render(<ValidateScreen source={staticSource(events)} intervalMs={0} color={false} keys={false} />);
  const f = await until(r.lastFrame, /validator permit/);
  assert.match(f, /chain +stake 12\.50 · dividends 0\.7500 · validator permit yes/);
  assert.match(f, /block 1234 .*uid 9/);
  r.unmount();
});

test('nvidia-smi: recorded output parses, with and without units; [N/A] and commas in names', () => {
  const want = [{ index: 0, name: 'NVIDIA H200', util: 0, memUsedMiB: 0, memTotalMiB: 143771, tempC: 36 }];
  assert.deepEqual(parseNvidiaSmi(RECORDED_NOUNITS), want);
  assert.deepEqual(parseNvidiaSmi(RECORDED_UNITS), want);
  const two = parseNvidiaSmi('0, NVIDIA A100-SXM4-80GB, 87, 40536, 81920, 61\n1, Tesla T4, Inc, [N/A], 15, 15360, [N/A]\n\n');
  assert.equal(two.length, 2);
  assert.deepEqual(two[0], { index: 0, name: 'NVIDIA A100-SXM4-80GB', util: 87, memUsedMiB: 40536, memTotalMiB: 81920, tempC: 61 });
  assert.deepEqual(two[1], { index: 1, name: 'Tesla T4, Inc', util: null, memUsedMiB: 15, memTotalMiB: 15360, tempC: null });
  assert.deepEqual(parseNvidiaSmi('NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver.\n'), []);
});

function throughput(gpu: GpuReading, info = {}) {
  const v = fold(sampleMinerEvents(2, 3));
  const r = render(
    <ColorContext.Provider value={false}>
      <Throughput view={v} info={info} gpu={gpu} />
    </ColorContext.Provider>,
  );
  const f = r.lastFrame() ?? '';
  r.unmount();
  return f;
}

test('Throughput: MFU against a given peak, "—" without one; GPU lines from nvidia-smi, or why there are none', () => {
  const gpus = parseNvidiaSmi(RECORDED_NOUNITS);
  // tokens/s of the last sample step is 5100 + 6·3 = 5118
  const f = throughput({ state: 'ok', gpus }, { flopsPerToken: 1e6, peakGflops: 20 });
  assert.match(f, /tokens\/s 5118 +5\.1 GFLOP\/s/);
  assert.match(f, /MFU 25\.6 % of 20 GFLOP\/s/);
  assert.match(f, /GPU0 H200 0% 0\.0\/140\.4G 36°C/);
  const g = throughput({ state: 'absent', why: 'nvidia-smi not found' }, { flopsPerToken: 1e6 });
  assert.match(g, /MFU — \(peak unknown: LOCO_PEAK_GFLOPS\)/);
  assert.match(g, /GPU — nvidia-smi not found/);
  assert.deepEqual(mfu(null, 1e6, 10), { gflops: null, mfu: null });
});

test('MineScreen polls its GPU probe and shows the reading', async () => {
  let calls = 0;
  const probe = async (): Promise<GpuReading> => {
    calls++;
    return { state: 'ok', gpus: parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 93, 61000, 81559, 70\n') };
  };
  const r = render(<MineScreen source={staticSource(sampleMinerEvents(1, 2))} intervalMs={0} color={false} keys={false} gpu={probe} />);
  const f = await until(r.lastFrame, /GPU0/);
  assert.match(f, /GPU0 H100 80GB 93% 59\.6\/79\.6G 70°C/);
  assert.ok(calls >= 1);
  r.unmount();
});

test('status helpers: validators\' weight shares, block time from samples', () => {
  assert.deepEqual(
    weightsOn(2, [
      [9, [[1, 100], [2, 300]]],
      [11, [[1, 65535]]],
      [12, [[2, 5], [3, 5]]],
    ]),
    [
      { uid: 9, weight: 0.75 },
      { uid: 12, weight: 0.5 },
    ],
  );
  assert.equal(blockSecondsFromSamples([{ block: 10, ms: 0 }]), null);
  assert.equal(blockSecondsFromSamples([{ block: 10, ms: 0 }, { block: 14, ms: 48_000 }]), 12);
});
