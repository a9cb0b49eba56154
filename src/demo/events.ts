// The demo's own events (docs/events.md, "Demo events"): setup progress, the chain's head and the
// lifecycle of the children. They travel beside the role events of the children (which keep their own
// `role` and `uid`) on the same NDJSON stream and the same dashboard. Pure types: no imports.

export type DemoStepName = 'wallets' | 'data' | 'devnet' | 'subnet' | 'manifest' | 'children';

interface DemoBase {
  v: 1;
  t: string;
  role: 'demo';
  uid: null;
  window: number | null;
}

/** A setup step began (`start`) or finished (`done`, with `seconds`), or failed. */
export interface DemoStepEvent extends DemoBase {
  event: 'demo_step';
  step: DemoStepName;
  state: 'start' | 'done' | 'failed';
  detail?: string;
  seconds?: number;
}

export interface DemoParticipant {
  role: 'miner' | 'validator';
  uid: number;
  hotkey: string;
  store: string;
  /** process id of the child (its own process group: pgid = pid) */
  pid?: number;
}

/** Everything is set up and the children are running. */
export interface DemoReadyEvent extends DemoBase {
  event: 'demo_ready';
  network: string;
  netuid: number;
  run_id: string;
  model: string;
  inner_steps: number;
  blocks_per_window: number;
  block_time_ms: number;
  participants: DemoParticipant[];
  resumed: boolean;
  /** the demo process itself (holds the devnet) */
  pid: number;
  dir: string;
}

/** The chain's head (at most one per second). */
export interface DemoBlockEvent extends DemoBase {
  event: 'demo_block';
  block: number;
}

/** A child exited. */
export interface DemoExitEvent extends DemoBase {
  event: 'demo_exit';
  child: { role: 'miner' | 'validator'; uid: number; pid: number };
  code: number | null;
  signal: string | null;
  /** last lines of its stderr when it failed */
  stderr?: string;
}

/** The demo stopped: everything it started is gone. */
export interface DemoStoppedEvent extends DemoBase {
  event: 'demo_stopped';
  reason: 'quit' | 'signal' | 'windows' | 'duration' | 'failure';
  block: number | null;
  seconds: number;
}

export type DemoEvent = DemoStepEvent | DemoReadyEvent | DemoBlockEvent | DemoExitEvent | DemoStoppedEvent;

type DemoBody<E> = E extends DemoEvent ? Omit<E, keyof DemoBase> : never;

/** Fill in v, t, role ("demo"), uid (null) and window (null unless given). */
export function demoEvent(body: DemoBody<DemoEvent> & { window?: number | null }): DemoEvent {
  return { v: 1, t: new Date().toISOString(), role: 'demo', uid: null, window: null, ...body } as DemoEvent;
}
