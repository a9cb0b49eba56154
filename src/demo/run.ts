// `loco demo` (docs/demo.md): a whole subnet on this machine in one command. The devnet runs inside
// this process (so stopping the demo stops the chain with it, and --resume reloads its state from the
// demo folder); one validator and three miners run as `loco validate|mine --json` children, each in
// its own process group. Their NDJSON events and the demo's own go to one dashboard (a TTY), NDJSON
// (--json) or plain lines.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Ctx } from '../cli/context.js';
import { LocoError } from '../errors.js';
import type { LocoEvent } from '../protocol/events.js';
import { DemoChild, type ChildSpec } from './children.js';
import { demoEvent, type DemoEvent, type DemoStepName, type DemoStoppedEvent } from './events.js';
import {
  DEFAULT_TUNING,
  DEMO_STATE_FORMAT,
  WALLET_NAME,
  createSubnet,
  demoManifest,
  layout,
  makeWallets,
  prepareDemoData,
  pruneCheckpoints,
  readDemoState,
  resetDemoDir,
  writeDemoState,
  writeManifest,
  type DemoState,
  type DemoTuning,
} from './setup.js';

export interface DemoOptions {
  dir?: string;
  resume?: boolean;
  windows?: number;
  duration?: number;
  threads?: number;
  blockTimeMs?: number;
  device?: string;
}

type AnyEvent = LocoEvent | DemoEvent;

export function defaultDemoDir(): string {
  return join(homedir(), '.loco', 'demo');
}

/** One short line per interesting event, for a non-TTY without --json (per miner and window: its loss). */
function plainLines(): (e: AnyEvent) => string | null {
  const trained = new Map<string, { first: number | null; last: number | null; tps: number }>();
  return (e) => {
    if (e.role === 'miner' && e.event === 'inner_step') {
      const k = `${e.uid}/${e.window}`;
      const a = trained.get(k) ?? { first: e.loss, last: null, tps: 0 };
      a.last = e.loss;
      a.tps = e.tokens_per_s;
      trained.set(k, a);
      return null;
    }
    if (e.role === 'miner' && e.event === 'phase' && e.phase === 'train' && e.state === 'end') {
      const k = `${e.uid}/${e.window}`;
      const a = trained.get(k);
      trained.delete(k);
      if (a) return `miner ${e.uid} w${e.window ?? '-'} trained: loss ${a.first?.toFixed(4) ?? '—'} → ${a.last?.toFixed(4) ?? '—'} (${Math.round(a.tps)} tokens/s)`;
    }
    return plainLine(e);
  };
}

function plainLine(e: AnyEvent): string | null {
  if (e.role === 'demo') {
    switch (e.event) {
      case 'demo_step':
        return e.state === 'start' ? `… ${e.step}${e.detail ? `: ${e.detail}` : ''}` : `${e.state === 'done' ? '✓' : '✗'} ${e.step}${e.detail ? `: ${e.detail}` : ''}${e.seconds !== undefined ? ` (${e.seconds.toFixed(1)} s)` : ''}`;
      case 'demo_ready':
        return `demo ${e.resumed ? 'resumed' : 'ready'}: subnet ${e.netuid} on ${e.network}; ${e.participants.map((p) => `${p.role} uid ${p.uid} (pid ${p.pid})`).join(', ')}`;
      case 'demo_exit':
        return `${e.child.role} uid ${e.child.uid} exited (${e.signal ?? `code ${e.code}`})${e.code ? `: ${e.stderr ?? ''}` : ''}`;
      case 'demo_stopped':
        return `demo stopped (${e.reason}) after ${e.seconds.toFixed(0)} s at block ${e.block ?? '?'}`;
      default:
        return null;
    }
  }
  const who = `${e.role} ${e.uid} w${e.window ?? '-'}`;
  switch (e.event) {
    case 'upload':
      return `${who} uploaded ${e.bytes} bytes (${(e.dense_bytes / e.bytes).toFixed(0)}× smaller than dense)`;
    case 'outer_step':
      return `${who} outer step over ${e.peers.length} peers`;
    case 'evaluation':
      return `${who} evaluated uid ${e.peer}: loss ${e.loss_before_random.toFixed(4)} → ${e.loss_after_random.toFixed(4)} final ${e.final.toFixed(4)}`;
    case 'weights':
      return `${who} weights ${e.uids.map((u, i) => `${u}:${e.weights[i].toFixed(3)}`).join(' ')}${e.submitted ? ` on chain (block ${e.block ?? '?'})` : ''}${e.error ? ` error: ${e.error}` : ''}`;
    case 'payload_rejected':
      return `${who} rejected uid ${e.peer}: ${e.reason}`;
    case 'error':
      return `${who} error: ${e.message}`;
    default:
      return null;
  }
}

export async function runDemo(ctx: Ctx, o: DemoOptions): Promise<void> {
  const started = Date.now();
  const l = layout(resolve(o.dir ?? defaultDemoDir()));
  const json = ctx.out.json;
  const screenMode = !json && Boolean(process.stdout.isTTY);
  let screen: { emit: (e: AnyEvent) => void; stop: () => void } | undefined;
  const quit = new AbortController();
  if (screenMode) {
    const [{ render }, { createElement }, { DemoScreen, DemoBus }] = await Promise.all([import('ink'), import('react'), import('../tui/DemoScreen.js')]);
    const bus = new DemoBus();
    const keys = Boolean(process.stdin.isTTY);
    const app = render(createElement(DemoScreen, { source: bus, keys, onQuit: () => quit.abort() }), { exitOnCtrlC: !keys });
    let stopped = false;
    screen = {
      emit: bus.emit,
      stop: () => {
        if (stopped) return;
        stopped = true;
        app.unmount();
      },
    };
  }
  const plain = plainLines();
  const emit = (e: AnyEvent) => {
    if (screen) screen.emit(e);
    else if (json) ctx.out.event(e as unknown as Record<string, unknown>);
    else {
      const line = plain(e);
      if (line) process.stdout.write(`${line}\n`);
    }
  };
  // set before the first await below uses it; 'quit' until something else stops the demo
  let reasonFromSignal = false;
  const onSignal = () => {
    reasonFromSignal = true;
    quit.abort();
  };
  // a reader that went away (`loco demo --json | head`) stops the demo instead of crashing it
  const onStdoutError = () => quit.abort();
  process.stdout.on('error', onStdoutError);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const step = async <T>(name: DemoStepName, detail: string | undefined, fn: () => Promise<T>, doneDetail?: (r: T) => string): Promise<T> => {
    emit(demoEvent({ event: 'demo_step', step: name, state: 'start', detail }));
    const t0 = performance.now();
    try {
      const r = await fn();
      emit(demoEvent({ event: 'demo_step', step: name, state: 'done', detail: doneDetail ? doneDetail(r) : detail, seconds: (performance.now() - t0) / 1000 }));
      return r;
    } catch (e) {
      emit(demoEvent({ event: 'demo_step', step: name, state: 'failed', detail: (e as Error).message, seconds: (performance.now() - t0) / 1000 }));
      throw e;
    }
  };

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let devnet: any;
  let chain: import('../chain/client.js').Chain | undefined;
  const children: DemoChild[] = [];
  let head: number | null = null;
  let stopReason: DemoStoppedEvent['reason'] = 'quit';
  let stopping = false;
  let failure: Error | undefined;
  try {
    let state: DemoState | null = null;
    let tuning: DemoTuning = { ...DEFAULT_TUNING, ...(o.blockTimeMs ? { blockTimeMs: o.blockTimeMs } : {}) };
    if (o.resume) {
      state = readDemoState(l);
      if (!state) throw new LocoError('notFound', `nothing to resume in ${l.dir}: run \`loco demo\` first`);
      tuning = state.tuning;
    }
    const keys = o.resume
      ? undefined
      : await step('wallets', `coldkey + 4 hotkeys`, async () => {
          resetDemoDir(l);
          return makeWallets(l);
        });
    const data = await step('data', 'bundled public-domain texts (State of the Union, Moby-Dick)', () => prepareDemoData(l), (d) => `${(d.tokens / 1e6).toFixed(2)} M training tokens`);
    const { Devnet } = await import('../devnet/node.js');
    let lastBlockEmit = 0;
    devnet = await step(
      'devnet',
      o.resume ? 'resuming the saved chain' : `block time ${tuning.blockTimeMs} ms`,
      () =>
        Devnet.start({
          dir: l.devnetDir,
          port: 0,
          blockTimeMs: tuning.blockTimeMs,
          onEvent: (ev: Record<string, unknown>) => {
            if (ev.event !== 'block') return;
            head = Number(ev.number);
            const now = Date.now();
            // the screen throttles itself; NDJSON and lines get at most one block event a second
            if (screen || now - lastBlockEmit >= 1000) {
              lastBlockEmit = now;
              emit(demoEvent({ event: 'demo_block', block: head }));
            }
          },
        }),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (d: any) => `${d.url}, head #${d.head.number}`,
    );
    const url: string = devnet.url;
    if (!o.resume) {
      const { connect } = await import('../chain/client.js');
      chain = await connect(url, { timeoutMs: 30_000 });
      const sub = await step('subnet', 'register, stake, commit store URLs', () => createSubnet(chain!, keys!, l), (r) => `subnet ${r.netuid}: validator uid ${r.roles[0].uid}, miners ${r.roles.filter((x) => x.role === 'miner').map((x) => x.uid).join(', ')}`);
      const runId = await step('manifest', 'tiny model', async () => writeManifest(l, demoManifest(sub.netuid, data, tuning)), (id) => `run ${id.slice(0, 12)}…: tiny model, H=${tuning.innerSteps}, ${tuning.blocksPerWindow} blocks a window`);
      await step('wallets', 'encrypting the demo coldkey', () => keys!.coldkeyWritten, () => `coldkey + 4 hotkeys in ${l.walletPath}`);
      state = { format: DEMO_STATE_FORMAT, netuid: sub.netuid, runId, coldkey: keys!.coldkey.ss58Address, roles: sub.roles, tuning, created: new Date().toISOString() };
      writeDemoState(l, state);
      // kept open until the end: closing it now would cut the watch subscriptions of the set-up
      // transactions before their finality, and @polkadot logs that over the dashboard
    }
    const st = state!;
    if (quit.signal.aborted) throw new StopRequest();

    const threads = String(o.threads ?? 1);
    const common = ['--json', '--network', url, '--wallet-path', l.walletPath, '--wallet-name', WALLET_NAME, '--manifest', l.manifestPath, '--data', l.dataDir, '--threads', threads];
    const specs: ChildSpec[] = st.roles.map((r) => {
      const args = [r.role === 'miner' ? 'mine' : 'validate', ...common, '--hotkey', r.hotkey, '--store', r.store, '--uid', String(r.uid), '--work-dir', l.workDir(r.role, r.uid)];
      // --resume needs nothing here: `loco mine` starts from the newest checkpoint in its store and
      // replays the outer steps since; `loco validate` reloads its state and rebuilds its model
      // (docs/mining.md). The chain continues from the devnet's saved state.
      // the engine picks its device from LOCO_DEVICE (docs/trainer-protocol.md; default auto)
      return { role: r.role, uid: r.uid, args, logFile: join(l.logsDir, `${r.role}-${r.uid}.log`), ...(o.device ? { env: { LOCO_DEVICE: o.device } } : {}) };
    });
    const exited: Promise<void>[] = [];
    // --windows N: stop once the validator has scored N windows (a window counts when it evaluated at
    // least one miner: the window a resumed demo stopped in, or one before the miners are up, does not)
    let scoredWindows = 0;
    const evaluatedIn = new Set<number | null>();
    let windowsDone: () => void = () => {};
    const enoughWindows = new Promise<void>((r) => (windowsDone = r));
    const countWindows = (e: LocoEvent) => {
      if (e.role !== 'validator') return;
      if (e.event === 'evaluation') evaluatedIn.add(e.window);
      if (e.event === 'weights' && evaluatedIn.has(e.window)) {
        scoredWindows += 1;
        if (o.windows !== undefined && scoredWindows >= o.windows) windowsDone();
      }
    };
    await step('children', `${specs.length} processes, ${threads} engine thread${threads === '1' ? '' : 's'} each`, async () => {
      for (const s of specs) {
        const c = new DemoChild(s, (e) => {
          emit(e);
          countWindows(e);
          if (e.event === 'checkpoint') pruneCheckpoints(l.storeDir(e.uid), st.runId);
        });
        children.push(c);
        exited.push(
          c.exited.then((x) => {
            emit(demoEvent({ event: 'demo_exit', child: { role: s.role, uid: s.uid, pid: c.pid }, code: x.code, signal: x.signal, ...(x.code !== 0 && !stopping ? { stderr: x.stderrTail.split('\n').slice(-3).join('\n') } : {}) }));
            if (!stopping && x.code !== 0) {
              failure ??= new LocoError('failure', `${s.role} uid ${s.uid} exited (${x.signal ?? `code ${x.code}`}): ${x.stderrTail.split('\n').slice(-3).join(' | ')} (log: ${s.logFile})`);
              stopReason = 'failure';
              quit.abort();
            }
          }),
        );
      }
    });
    emit(
      demoEvent({
        event: 'demo_ready',
        network: url,
        netuid: st.netuid,
        run_id: st.runId,
        model: 'tiny',
        inner_steps: st.tuning.innerSteps,
        blocks_per_window: st.tuning.blocksPerWindow,
        block_time_ms: st.tuning.blockTimeMs,
        participants: st.roles.map((r, i) => ({ role: r.role, uid: r.uid, hotkey: r.ss58, store: r.store, pid: children[i].pid })),
        resumed: Boolean(o.resume),
        pid: process.pid,
        dir: l.dir,
      }),
    );
    // run until q / a signal, the duration, a failure, or the validator has scored --windows windows
    const all = enoughWindows.then(() => {
      if (!stopping && !failure) stopReason = 'windows';
    });
    const timers: ReturnType<typeof setTimeout>[] = [];
    const waits: Promise<unknown>[] = [all, new Promise<void>((r) => quit.signal.addEventListener('abort', () => r(), { once: true }))];
    if (o.duration !== undefined)
      waits.push(
        new Promise<void>((r) =>
          timers.push(
            setTimeout(() => {
              stopReason = 'duration';
              r();
            }, o.duration! * 1000),
          ),
        ),
      );
    await Promise.race(waits);
    for (const t of timers) clearTimeout(t);
    if (reasonFromSignal && stopReason === 'quit') stopReason = 'signal';
  } catch (e) {
    if (!(e instanceof StopRequest)) {
      failure = e as Error;
      stopReason = 'failure';
    }
  } finally {
    stopping = true;
    // children first (they talk to the devnet), then the chain
    // a person waiting on q gets a quick stop (state on disk is written atomically); a script that
    // asked for --windows/--duration gets the children's own clean shutdown
    const grace = stopReason === 'quit' || stopReason === 'signal' ? 3000 : 8000;
    await Promise.all(children.map((c) => c.stop(grace)));
    await chain?.close().catch(() => {});
    if (devnet) await devnet.stop().catch(() => {});
    process.stdout.off('error', onStdoutError);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    emit(demoEvent({ event: 'demo_stopped', reason: stopReason, block: head, seconds: (Date.now() - started) / 1000 }));
    if (screen) {
      // let the last frame draw
      await new Promise((r) => setTimeout(r, 150));
      screen.stop();
    }
  }
  if (failure) throw failure;
}

class StopRequest extends Error {}
