// The demo dashboard's view model: a pure fold of the demo's own events (src/demo/events.ts) and the
// role events of its children. Each child's events are folded into its own `View` with the same
// reducer the Mine/Validate screens use; the demo adds the shared loss across the miners, the
// set-up steps, the chain head and a merged log.
import type { DemoEvent, DemoExitEvent, DemoReadyEvent, DemoStepEvent, DemoStoppedEvent } from '../demo/events.js';
import type { LocoEvent } from '../protocol/events.js';
import { initialView, reduce, type LogLine, type StepPoint, type View, type WindowPoint } from './state.js';

export type AnyDemoEvent = LocoEvent | DemoEvent;

export interface SharedPoint {
  window: number;
  inner: number;
  sum: number;
  n: number;
}

export interface DemoView {
  setup: { step: DemoStepEvent['step']; state: DemoStepEvent['state']; detail?: string; seconds?: number }[];
  ready: DemoReadyEvent | null;
  block: number | null;
  /** per child, keyed `miner:1`, `validator:0` */
  participants: Record<string, View>;
  exits: DemoExitEvent[];
  stopped: DemoStoppedEvent | null;
  /** miners' inner-step losses by (window, inner): their mean is the shared loss curve */
  shared: SharedPoint[];
  log: LogLine[];
}

export const DEMO_LIMITS = { shared: 2000, log: 200 };

export function initialDemoView(): DemoView {
  return { setup: [], ready: null, block: null, participants: {}, exits: [], stopped: null, shared: [], log: [] };
}

export const participantKey = (role: string, uid: number) => `${role}:${uid}`;
const label = (role: string, uid: number) => `${role === 'validator' ? 'V' : 'M'}${uid}`;

const tail = <T>(xs: T[], n: number): T[] => (xs.length > n ? xs.slice(xs.length - n) : xs);

function addLog(v: DemoView, t: string, level: LogLine['level'], text: string): LogLine[] {
  return tail([...v.log, { t, level, text }], DEMO_LIMITS.log);
}

function addShared(list: SharedPoint[], window: number, inner: number, loss: number): SharedPoint[] {
  const i = list.findIndex((p) => p.window === window && p.inner === inner);
  if (i >= 0) {
    const out = list.slice();
    out[i] = { ...out[i], sum: out[i].sum + loss, n: out[i].n + 1 };
    return out;
  }
  const out = [...list, { window, inner, sum: loss, n: 1 }];
  // events of different miners interleave: keep (window, inner) order
  let j = out.length - 1;
  while (j > 0 && (out[j - 1].window > window || (out[j - 1].window === window && out[j - 1].inner > inner))) {
    [out[j - 1], out[j]] = [out[j], out[j - 1]];
    j--;
  }
  return tail(out, DEMO_LIMITS.shared);
}

export function reduceDemo(v: DemoView, e: AnyDemoEvent): DemoView {
  if (e.role === 'demo') {
    switch (e.event) {
      case 'demo_step': {
        const setup = v.setup.filter((s) => s.step !== e.step);
        setup.push({ step: e.step, state: e.state, detail: e.detail ?? v.setup.find((s) => s.step === e.step)?.detail, seconds: e.seconds });
        const text = `${e.step}: ${e.state === 'start' ? 'started' : e.state}${e.detail ? ` (${e.detail})` : ''}`;
        return { ...v, setup, log: e.state === 'start' ? v.log : addLog(v, e.t, e.state === 'failed' ? 'error' : 'info', text) };
      }
      case 'demo_ready':
        return {
          ...v,
          ready: e,
          log: addLog(v, e.t, 'info', `${e.resumed ? 'resumed' : 'ready'}: subnet ${e.netuid} on ${e.network}, ${e.participants.filter((p) => p.role === 'miner').length} miners + 1 validator`),
        };
      case 'demo_block':
        return { ...v, block: e.block };
      case 'demo_exit':
        return {
          ...v,
          exits: [...v.exits, e],
          log: addLog(v, e.t, e.code === 0 ? 'info' : 'error', `${label(e.child.role, e.child.uid)} exited (${e.signal ?? `code ${e.code}`})${e.stderr ? `: ${e.stderr.split('\n').pop()}` : ''}`),
        };
      case 'demo_stopped':
        return { ...v, stopped: e, block: e.block ?? v.block, log: addLog(v, e.t, 'info', `stopped (${e.reason}) after ${e.seconds.toFixed(0)} s`) };
      default:
        return v;
    }
  }
  const key = participantKey(e.role, e.uid);
  const before = v.participants[key] ?? initialView();
  const after = reduce(before, e);
  let log = v.log;
  if (after.log !== before.log && after.log.length) {
    const last = after.log[after.log.length - 1];
    log = tail([...v.log, { ...last, text: `${label(e.role, e.uid)} ${last.text}` }], DEMO_LIMITS.log);
  }
  let shared = v.shared;
  if (e.event === 'inner_step' && e.role === 'miner' && e.window !== null && e.loss !== null && Number.isFinite(e.loss)) shared = addShared(v.shared, e.window, e.inner, e.loss);
  return { ...v, participants: { ...v.participants, [key]: after }, log, shared };
}

export function foldDemo(events: Iterable<AnyDemoEvent>, v: DemoView = initialDemoView()): DemoView {
  for (const e of events) v = reduceDemo(v, e);
  return v;
}

export function miners(v: DemoView): { uid: number; view: View }[] {
  return Object.entries(v.participants)
    .filter(([k]) => k.startsWith('miner:'))
    .map(([k, view]) => ({ uid: Number(k.slice(6)), view }))
    .sort((a, b) => a.uid - b.uid);
}

export function validatorView(v: DemoView): View | null {
  const k = Object.keys(v.participants).find((x) => x.startsWith('validator:'));
  return k ? v.participants[k] : null;
}

/** The shared loss as a `View` the Mine screen's LossChart can draw: mean over miners per inner step. */
export function sharedLossView(v: DemoView): View {
  const base = initialView();
  const steps: StepPoint[] = v.shared.map((p, i) => ({ step: i + 1, window: p.window, loss: p.sum / p.n }));
  const byWindow = new Map<number, { sum: number; n: number }>();
  for (const p of v.shared) {
    const a = byWindow.get(p.window) ?? { sum: 0, n: 0 };
    a.sum += p.sum;
    a.n += p.n;
    byWindow.set(p.window, a);
  }
  const windows: WindowPoint[] = [...byWindow.entries()].sort((a, b) => a[0] - b[0]).map(([window, a]) => ({ window, loss: a.sum / a.n }));
  return { ...base, steps, windows, window: windows.length ? windows[windows.length - 1].window : null };
}

/** Mean loss of every window across the miners (what "the loss falls" is judged on). */
export function windowLosses(v: DemoView): WindowPoint[] {
  return sharedLossView(v).windows;
}

export interface DemoBandwidthRow {
  window: number;
  /** bytes the miners uploaded together */
  up: number;
  /** bytes the miners gathered together */
  down: number;
  /** dense fp32 bytes ÷ payload bytes, mean over the miners */
  ratio: number | null;
  uploads: number;
}

export function demoBandwidth(v: DemoView): DemoBandwidthRow[] {
  const rows = new Map<number, DemoBandwidthRow & { rsum: number; rn: number }>();
  for (const { view } of miners(v)) {
    for (const b of view.bandwidth) {
      const r = rows.get(b.window) ?? { window: b.window, up: 0, down: 0, ratio: null, uploads: 0, rsum: 0, rn: 0 };
      r.up += b.up;
      r.down += b.down;
      if (b.up > 0) r.uploads += 1;
      if (b.ratio !== null) {
        r.rsum += b.ratio;
        r.rn += 1;
      }
      rows.set(b.window, r);
    }
  }
  return [...rows.values()].sort((a, b) => a.window - b.window).map(({ rsum, rn, ...r }) => ({ ...r, ratio: rn ? rsum / rn : null }));
}
