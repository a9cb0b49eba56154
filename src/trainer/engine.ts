// TypeScript client for the native training engine (kernels/, protocol in docs/trainer-protocol.md).
//
// One long-lived child process per Engine. Commands go to its stdin as JSON lines, events come back
// on stdout as JSON lines; stderr is kept (last few KB) only to explain crashes. The child never
// outlives us: execa's `cleanup` kills it when this process exits, the engine exits when its stdin
// closes, and on Linux it also asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { LocoError } from '../errors.js';
import type { ModelConfig } from './configs.js';

/** Package root: this file is src/trainer/engine.ts (tsx) or dist/trainer/engine.js (built). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_ENGINE_PATH = join(PACKAGE_ROOT, 'kernels', 'build', 'loco-engine');

/** Stable codes: the engine's own (docs/trainer-protocol.md) plus the client's. */
export type EngineErrorCode =
  | 'bad_command'
  | 'bad_config'
  | 'bad_shard'
  | 'bad_sample'
  | 'bad_checkpoint'
  | 'bad_update'
  | 'io'
  | 'not_initialized'
  | 'no_snapshot'
  | 'out_of_memory'
  | 'internal'
  // client-side
  | 'not_built' // the binary is missing
  | 'spawn_failed'
  | 'exited' // the child exited or was killed while commands were pending (or was used after it stopped)
  | 'protocol'; // the child wrote something that is not a protocol event

export class EngineError extends LocoError {
  readonly code: EngineErrorCode | string;
  /** Last lines of the child's stderr, when the child died. */
  readonly stderrTail: string;
  constructor(code: EngineErrorCode | string, message: string, extra: { stderrTail?: string; details?: Record<string, unknown> } = {}) {
    const tail = extra.stderrTail ?? '';
    super('engine', tail ? `${message}\n--- engine stderr (tail) ---\n${tail}` : message, { code, ...(extra.details ?? {}) });
    this.name = 'EngineError';
    this.code = code;
    this.stderrTail = tail;
  }
}

/** Path of the engine binary: $LOCO_ENGINE, else kernels/build/loco-engine in the package. */
export function findEngineBinary(explicit?: string): string {
  const p = explicit ?? process.env.LOCO_ENGINE ?? DEFAULT_ENGINE_PATH;
  if (!existsSync(p)) {
    throw new EngineError(
      'not_built',
      `the native training engine is not built (${p} is missing). Run \`npm run build\` in ${PACKAGE_ROOT} ` +
        '(it needs a C++ compiler and make: `apt-get install g++ make`; `libopenblas-openmp-dev` makes it faster).',
    );
  }
  return p;
}

// ---- events ----------------------------------------------------------------------------------

export interface EngineEvent {
  id: number | string | null;
  event: string;
  [k: string]: unknown;
}
export interface StepEvent extends EngineEvent {
  event: 'step';
  /** Global inner step count after this step. */
  step: number;
  /** 1-based index within this train command. */
  inner: number;
  /** Mean token loss of the step (null if not finite). */
  loss: number | null;
  lr: number;
  grad_norm: number | null;
  tokens: number;
  tokens_per_s: number;
  ms: number;
}
export interface DoneEvent extends EngineEvent {
  event: 'done';
}
export interface TrainDone extends DoneEvent {
  /** Steps completed (fewer than asked when cancelled). */
  steps: number;
  cancelled: boolean;
  step: number;
  mean_loss: number | null;
  tokens: number;
  ms: number;
}
export interface EvalResult extends DoneEvent {
  loss: number | null;
  tokens: number;
  samples: number;
  ms: number;
}
export interface EngineInfo extends DoneEvent {
  protocol: number;
  backend: string;
  describe: string;
  initialized: boolean;
  params?: number;
  config?: ModelConfig;
  step?: number;
  optimizer_step?: number;
  seed?: number | string;
  window?: number | null;
  has_snapshot?: boolean;
  tensors?: { name: string; shape: number[]; offset: number }[];
}

export interface TrainArgs {
  shards: string[];
  samples: number[];
  micro_batch: number;
  grad_accum?: number;
  /** H inner steps; default samples.length / (micro_batch·grad_accum). */
  steps?: number;
  seq_len?: number;
  lr?: number;
  min_lr?: number;
  warmup_steps?: number;
  /** Cosine decay ends here (0 or absent: constant lr after warm-up). */
  total_steps?: number;
  weight_decay?: number;
  grad_clip?: number;
}

export interface EvalArgs {
  shards: string[];
  samples: number[];
  micro_batch?: number;
  seq_len?: number;
}

export interface EngineOptions {
  /** Binary path (default: findEngineBinary()). */
  binary?: string;
  /** OpenMP threads (default: all cores). */
  threads?: number;
  env?: Record<string, string>;
  /** Bytes of stderr kept for error messages (default 8 KiB). */
  stderrTailBytes?: number;
  /** Called with every stderr chunk (human logs). */
  onStderr?: (text: string) => void;
}

interface Pending {
  push(ev: EngineEvent): void;
  fail(err: Error): void;
}

export class Engine {
  readonly pid: number;
  readonly ready: EngineEvent;
  private proc: ResultPromise;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private stderrBuf = '';
  private readonly tailBytes: number;
  private exited: EngineError | null = null;
  private exitPromise: Promise<void>;

  private constructor(proc: ResultPromise, ready: EngineEvent, tailBytes: number) {
    this.proc = proc;
    this.ready = ready;
    this.pid = proc.pid ?? -1;
    this.tailBytes = tailBytes;
    this.exitPromise = Promise.resolve();
  }

  /** Spawn the engine and wait for its `ready` event. */
  static async start(opts: EngineOptions = {}): Promise<Engine> {
    const binary = findEngineBinary(opts.binary);
    const args: string[] = [];
    if (opts.threads) args.push('--threads', String(opts.threads));
    let proc: ResultPromise;
    try {
      proc = execa(binary, args, {
        stdin: 'pipe',
        stdout: 'pipe',
        stderr: 'pipe',
        buffer: false,
        reject: false,
        cleanup: true,
        encoding: 'utf8',
        env: opts.env,
        maxBuffer: Infinity,
      });
    } catch (e) {
      throw new EngineError('spawn_failed', `cannot start ${binary}: ${(e as Error).message}`);
    }
    const tailBytes = opts.stderrTailBytes ?? 8192;
    let stderrEarly = '';
    let engine: Engine | null = null;
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      opts.onStderr?.(chunk);
      if (engine) engine.appendStderr(chunk);
      else stderrEarly = (stderrEarly + chunk).slice(-tailBytes);
    });
    proc.stdin!.on('error', () => {
      /* EPIPE when the child died: reported through the exit handler */
    });
    const lines = createInterface({ input: proc.stdout!, crlfDelay: Infinity });
    const ready = await new Promise<EngineEvent>((resolve, reject) => {
      let done = false;
      const onLine = (line: string) => {
        if (done) return;
        done = true;
        try {
          const ev = JSON.parse(line) as EngineEvent;
          if (ev.event !== 'ready') throw new Error(`first event is "${ev.event}", not "ready"`);
          resolve(ev);
        } catch (e) {
          reject(new EngineError('protocol', `engine ${binary} did not announce itself: ${(e as Error).message}`, { stderrTail: stderrEarly }));
        }
      };
      lines.once('line', onLine);
      proc.then((r) => {
        if (done) return;
        done = true;
        const tail = stderrEarly;
        reject(
          new EngineError('spawn_failed', `engine ${binary} exited before it was ready (${describeExit(r)})`, { stderrTail: tail }),
        );
      });
    });
    engine = new Engine(proc, ready, tailBytes);
    engine.stderrBuf = stderrEarly;
    lines.on('line', (line) => engine!.onLine(line));
    engine.exitPromise = proc.then((r) => engine!.onExit(r as unknown as ExitLike));
    return engine;
  }

  private appendStderr(chunk: string): void {
    this.stderrBuf = (this.stderrBuf + chunk).slice(-this.tailBytes);
  }

  /** The last few KB the child wrote to stderr. */
  get stderrTail(): string {
    return this.stderrBuf;
  }

  get running(): boolean {
    return this.exited === null;
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let ev: EngineEvent;
    try {
      ev = JSON.parse(line) as EngineEvent;
    } catch {
      const err = new EngineError('protocol', `engine wrote a line that is not JSON: ${line.slice(0, 200)}`);
      for (const p of this.pending.values()) p.fail(err);
      this.pending.clear();
      return;
    }
    if (typeof ev.id === 'number' && this.pending.has(ev.id)) {
      this.pending.get(ev.id)!.push(ev);
    } else if (ev.event === 'error') {
      // an error the engine could not attribute (malformed line): fail the oldest pending command
      const first = this.pending.entries().next();
      if (!first.done) first.value[1].push(ev);
    }
  }

  private onExit(r: ExitLike): void {
    // give the stderr stream a moment to flush into the buffer before building the message
    const err = new EngineError('exited', `the training engine (pid ${this.pid}) stopped: ${describeExit(r)}`, {
      stderrTail: this.stderrBuf,
      details: { exitCode: r.exitCode ?? null, signal: r.signal ?? null },
    });
    this.exited = err;
    for (const p of this.pending.values()) p.fail(err);
    this.pending.clear();
  }

  /**
   * Send one command; yields every event for it (e.g. `step`) and returns the terminal `done`
   * event. An `error` event becomes a thrown EngineError with the engine's code and reason.
   */
  async *stream<D extends DoneEvent = DoneEvent>(cmd: string, args: Record<string, unknown> = {}): AsyncGenerator<EngineEvent, D> {
    if (this.exited) throw this.exited;
    const id = this.nextId++;
    const queue: EngineEvent[] = [];
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    this.pending.set(id, {
      push: (ev) => {
        queue.push(ev);
        wake?.();
      },
      fail: (e) => {
        failure = e;
        wake?.();
      },
    });
    try {
      this.proc.stdin!.write(JSON.stringify({ ...args, id, cmd }) + '\n');
      while (true) {
        if (queue.length === 0 && !failure) await new Promise<void>((r) => (wake = r));
        wake = null;
        while (queue.length > 0) {
          const ev = queue.shift()!;
          if (ev.event === 'done') return ev as D;
          if (ev.event === 'error') {
            throw new EngineError(String(ev.code ?? 'internal'), `engine ${cmd}: ${String(ev.reason ?? 'failed')}`, {
              details: { cmd },
            });
          }
          yield ev;
        }
        if (failure) {
          // wait briefly so the stderr tail includes the child's last words
          await new Promise((r) => setTimeout(r, 20));
          const f = failure as Error;
          if (f instanceof EngineError && f.code === 'exited') {
            throw new EngineError('exited', `engine ${cmd}: ${f.message.split('\n')[0]}`, {
              stderrTail: this.stderrBuf,
              details: f.details,
            });
          }
          throw f;
        }
      }
    } finally {
      this.pending.delete(id);
    }
  }

  /** Send one command and wait for its `done` event (intermediate events are dropped). */
  async request<D extends DoneEvent = DoneEvent>(cmd: string, args: Record<string, unknown> = {}): Promise<D> {
    const it = this.stream<D>(cmd, args);
    while (true) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }

  info(): Promise<EngineInfo> {
    return this.request<EngineInfo>('info');
  }
  init(config: ModelConfig, seed: number | bigint | string = 0): Promise<DoneEvent & { params: number }> {
    const s = typeof seed === 'bigint' ? (seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed.toString()) : seed;
    return this.request('init', { config, seed: s });
  }
  load(path: string): Promise<DoneEvent & { params: number; step: number; window: number | null; has_optimizer: boolean; config: ModelConfig }> {
    return this.request('load', { path });
  }
  /** Atomic checkpoint write; `window` (if given) is stored in the header; optimizer state included unless `optimizer: false`. */
  save(path: string, opts: { window?: number | null; optimizer?: boolean } = {}): Promise<DoneEvent> {
    return this.request('save', { path, ...opts });
  }
  /** Train: yields one StepEvent per inner step, returns the `done` summary. */
  train(args: TrainArgs): AsyncGenerator<StepEvent, TrainDone> {
    return this.stream<TrainDone>('train', args as unknown as Record<string, unknown>) as AsyncGenerator<StepEvent, TrainDone>;
  }
  eval(args: EvalArgs): Promise<EvalResult> {
    return this.request<EvalResult>('eval', args as unknown as Record<string, unknown>);
  }
  /** Remember θ_start (in the engine's memory). */
  snapshot(): Promise<DoneEvent> {
    return this.request('snapshot');
  }
  /** Write Δ = θ_start − θ_now (raw fp32 LE, canonical order) to `path`; restores θ_start unless restore: false. */
  delta(path: string, opts: { restore?: boolean } = {}): Promise<DoneEvent & { bytes: number; norm: number }> {
    return this.request('delta', { path, ...opts });
  }
  /** θ ← θ − lr·u; dense: raw fp32 file of every parameter; sparse: LOCOSPU1 file (docs/trainer-protocol.md). */
  apply(path: string, opts: { lr?: number; format?: 'dense' | 'sparse' } = {}): Promise<DoneEvent> {
    return this.request('apply', { path, ...opts });
  }
  /**
   * Stop a running `train` after its current step (it then ends with `done` and `cancelled: true`,
   * having applied only the completed steps). Resolves `cancelled: false` when nothing was running.
   */
  cancel(): Promise<DoneEvent & { cancelled: boolean }> {
    return this.request('cancel');
  }
  async sampleParams(indices: number[]): Promise<number[]> {
    const r = await this.request<DoneEvent & { values: number[] }>('sample_params', { indices });
    return r.values;
  }

  /** Ask the engine to exit and wait for it; kills it if it does not stop within `timeoutMs`. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    if (this.exited) return;
    try {
      await Promise.race([this.request('shutdown'), this.exitPromise]);
    } catch {
      /* it may already be gone */
    }
    this.proc.stdin?.end();
    const t = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    await this.exitPromise;
    clearTimeout(t);
  }

  /** Kill the child now (SIGKILL by default) and wait until it is gone. Pending commands fail with EngineError. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.exited) this.proc.kill(signal);
    await this.exitPromise;
  }
}

interface ExitLike {
  exitCode?: number;
  signal?: string;
  failed?: boolean;
  message?: string;
}

function describeExit(r: unknown): string {
  const x = r as ExitLike;
  if (x.signal) return `killed by ${x.signal}`;
  if (x.exitCode !== undefined && x.exitCode !== null) return `exit code ${x.exitCode}`;
  return x.message ?? 'exited';
}
