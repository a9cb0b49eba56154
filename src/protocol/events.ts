// The typed events the role loops (src/miner, src/validator) emit (docs/events.md is the contract).
// The TUI renders them and `--json` prints them as NDJSON, one object per line; both consume exactly
// these shapes. Every event carries the schema version `v`, its name `event`, the wall-clock time
// `t` (ISO 8601), the emitting `role` and `uid`, and the `window` it belongs to (null when none).
// New fields may be added within a version; renaming or removing one bumps `v`.

export const EVENTS_VERSION = 1;

export type Role = 'miner' | 'validator';

export type Phase = 'train' | 'compress' | 'upload' | 'gather' | 'apply' | 'eval' | 'weights' | 'checkpoint';

/** Why a peer's payload did not count: a payload-format reason (docs/payload-format.md) or a protocol one. */
export type RejectionReason = string;

interface Base {
  v: typeof EVENTS_VERSION;
  t: string;
  role: Role;
  uid: number;
  window: number | null;
}

export interface InnerStepEvent extends Base {
  event: 'inner_step';
  /** global inner step after this one, and 1-based index within the window */
  step: number;
  inner: number;
  loss: number | null;
  lr: number;
  grad_norm: number | null;
  tokens_per_s: number;
}

export interface PhaseEvent extends Base {
  event: 'phase';
  phase: Phase;
  state: 'start' | 'end';
  /** seconds the phase took (on `end`) */
  seconds?: number;
}

export interface UploadEvent extends Base {
  event: 'upload';
  key: string;
  bytes: number;
  seconds: number;
  /** bytes of the dense fp32 pseudo-gradient this payload stands for */
  dense_bytes: number;
  /** the store's LastModified of the upload */
  last_modified: string;
}

export interface GatherEvent extends Base {
  event: 'gather';
  /** the window whose payloads were gathered is `window` */
  accepted: number[];
  rejected: { uid: number; reason: RejectionReason }[];
  missing: number[];
  bytes: number;
  seconds: number;
}

export interface RejectionEvent extends Base {
  event: 'payload_rejected';
  peer: number;
  reason: RejectionReason;
  message: string;
}

export interface OuterStepEvent extends Base {
  event: 'outer_step';
  peers: number[];
  lr: number;
  /** L2 norm of the aggregate applied */
  update_norm: number;
  /** sampled parameter values were published (keys.debug) */
  debug_key?: string;
}

export interface EvaluationEvent extends Base {
  event: 'evaluation';
  peer: number;
  loss_before_own: number;
  loss_after_own: number;
  loss_before_random: number;
  loss_after_random: number;
  gradient_score: number;
  indicator: 1 | -1;
  binary_ma: number;
  steps_behind: number | null;
  sync: number;
  final: number;
}

export interface PenaltyEvent extends Base {
  event: 'penalty';
  peer: number;
  penalty: string;
  reason: string;
}

export interface ScoresEvent extends Base {
  event: 'scores';
  peers: { uid: number; final: number; mu: number; sigma: number; binary_ma: number; sync: number }[];
  key?: string;
}

export interface WeightsEvent extends Base {
  event: 'weights';
  uids: number[];
  weights: number[];
  /** sent to the chain (false: computed only, e.g. no chain or not a weights window) */
  submitted: boolean;
  /** the extrinsic was included in a block (when submitted and known) */
  included?: boolean;
  block?: number;
  error?: string;
  /** how the weights went on chain: set_weights, commit_weights (commit–reveal subnets), or the later reveal_weights (window null) */
  mode?: 'set' | 'commit' | 'reveal';
  /** the blake2 hash committed (commit) or revealed (reveal) */
  commitHash?: string;
  /** commit: the epoch (and its first block) in which the reveal is due */
  revealEpoch?: number;
  revealBlock?: number;
}

export interface CheckpointEvent extends Base {
  event: 'checkpoint';
  key: string;
  bytes: number;
  /** true: a checkpoint loaded on start (a restart or a late join resumes from it), not one written */
  loaded?: boolean;
}

export interface ErrorEvent extends Base {
  event: 'error';
  kind: string;
  message: string;
  /** the loop stops after a fatal error */
  fatal: boolean;
}

/** What the chain says about this participant (src/miner/status.ts polls it when a chain is in use). */
export interface ChainStatusEvent extends Base {
  event: 'chain_status';
  network: string;
  netuid: number;
  block: number;
  /** measured seconds per block (null until known) */
  block_seconds: number | null;
  /** seconds until the next window starts (null when the block time is not known yet) */
  next_window_in_s: number | null;
  /** the hotkey has a uid on the subnet */
  registered: boolean;
  /** stake on the hotkey in this subnet (alpha, in whole units) */
  stake: number | null;
  /** the metagraph's u16 scores as floats in [0, 1] */
  incentive: number | null;
  trust: number | null;
  consensus: number | null;
  dividends: number | null;
  /** emission of the last epoch (alpha, whole units) */
  emission: number | null;
  validator_permit: boolean;
  /** the validators' view of this uid: each validator's weight on it, as a share of that validator's weights */
  weights_in: { uid: number; weight: number }[];
}

/** A miner paused (p on the live screen) or resumed: while paused it neither trains nor uploads,
 * but keeps applying the outer steps. Emitted at the start of the first window the change applies to. */
export interface PausedEvent extends Base {
  event: 'paused';
  paused: boolean;
}

export type LocoEvent =
  | InnerStepEvent
  | ChainStatusEvent
  | PhaseEvent
  | UploadEvent
  | GatherEvent
  | RejectionEvent
  | OuterStepEvent
  | EvaluationEvent
  | PenaltyEvent
  | ScoresEvent
  | WeightsEvent
  | CheckpointEvent
  | ErrorEvent
  | PausedEvent;

export type EventName = LocoEvent['event'];

export type EventSink = (e: LocoEvent) => void;

type Body<E> = E extends LocoEvent ? Omit<E, keyof Base> : never;

/** An emitter bound to one participant: `emit({event:'upload', …})` fills v, t, role, uid and window. */
export class EventEmitterFor {
  window: number | null = null;
  constructor(
    readonly role: Role,
    readonly uid: number,
    private readonly sink: EventSink = () => {},
  ) {}

  emit(body: Body<LocoEvent> & { window?: number | null }): LocoEvent {
    const e = { v: EVENTS_VERSION, t: new Date().toISOString(), role: this.role, uid: this.uid, window: this.window, ...body } as LocoEvent;
    try {
      this.sink(e);
    } catch {
      /* a broken consumer never stops the loop */
    }
    return e;
  }

  /** Run `fn` between a phase start and end event (the end carries the seconds). */
  async phase<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    this.emit({ event: 'phase', phase, state: 'start' });
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.emit({ event: 'phase', phase, state: 'end', seconds: (performance.now() - t0) / 1000 });
    }
  }
}

/** One JSON line per event (non-finite numbers become null, as JSON has none). */
export function toNdjson(e: LocoEvent): string {
  return `${JSON.stringify(e)}\n`;
}

export function ndjsonSink(write: (line: string) => void): EventSink {
  return (e) => write(toNdjson(e));
}

/** Parse one NDJSON line back into an event; null for anything that is not a v1 event. */
export function parseEvent(line: string): LocoEvent | null {
  try {
    const o = JSON.parse(line) as Partial<LocoEvent>;
    if (o && o.v === EVENTS_VERSION && typeof o.event === 'string' && typeof o.role === 'string') return o as LocoEvent;
  } catch {
    /* not JSON */
  }
  return null;
}
