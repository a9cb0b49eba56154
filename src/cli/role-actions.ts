// `loco mine` and `loco validate`, headless (docs/mining.md, docs/events.md): load the run manifest,
// the data, the hotkey, start the native engine, and run the role loop on a window source. Every
// event goes to stdout, as NDJSON with --json or as one short line for people. Loaded lazily by
// ./commands/mine.ts and ./commands/validate.ts.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Ctx } from './context.js';
import { resolveDefaults } from './config.js';
import { unlockPassword } from './secrets.js';
import { LocoError } from '../errors.js';
import { intFlag as int } from './flags.js';
import { readManifest } from '../protocol/manifest.js';
import type { LocoEvent } from '../protocol/events.js';
import { listShardFiles, ShardSet } from '../data/shards.js';
import { openStore } from '../storage/index.js';
import { Engine } from '../trainer/engine.js';
import { checkName, unlockHotkey } from '../wallet/wallet.js';
import type { Chain } from '../chain/client.js';
import { readPeersFile, WallClock, type Peer, type WindowSource } from '../miner/window.js';

interface RoleFlags {
  manifest?: string;
  data?: string;
  store?: string;
  peers?: string;
  uid?: string;
  windowSeconds?: string;
  windows?: string;
  workDir?: string;
  threads?: string;
  checkpoint?: string;
  passwordFile?: string;
  setWeights?: boolean;
}

function human(e: LocoEvent): string | null {
  const w = e.window === null ? '' : `w${e.window} `;
  switch (e.event) {
    case 'inner_step':
      return `${w}step ${e.step} loss ${e.loss?.toFixed(4) ?? 'nan'} lr ${e.lr.toExponential(2)} ${Math.round(e.tokens_per_s)} tok/s`;
    case 'upload':
      return `${w}uploaded ${e.bytes} bytes (${(e.dense_bytes / e.bytes).toFixed(0)}× smaller than dense) in ${e.seconds.toFixed(2)} s`;
    case 'gather':
      return `${w}gathered ${e.accepted.length} (${e.accepted.join(',')}), rejected ${e.rejected.map((r) => `${r.uid}:${r.reason}`).join(',') || 'none'}, missing ${e.missing.join(',') || 'none'}`;
    case 'outer_step':
      return `${w}outer step over ${e.peers.length} peers, |update| ${e.update_norm.toFixed(4)}`;
    case 'evaluation':
      return `${w}uid ${e.peer}: score ${e.gradient_score.toExponential(3)} indicator ${e.indicator} sync ${e.sync.toFixed(2)} final ${e.final.toFixed(4)}`;
    case 'weights':
      return `${w}weights ${e.uids.map((u, i) => `${u}:${e.weights[i].toFixed(3)}`).join(' ') || '(none)'}${e.submitted ? ` ${weightsVerb(e.mode)} (block ${e.block ?? '?'})` : ''}${e.mode === 'commit' ? `, reveal in epoch ${e.revealEpoch ?? '?'} (from block ${e.revealBlock ?? '?'})` : ''}${e.error ? ` error: ${e.error}` : ''}`;
    case 'checkpoint':
      return `${w}checkpoint ${e.key} (${e.bytes} bytes)`;
    case 'paused':
      return `${w}${e.paused ? 'paused: not training, still applying outer steps' : 'resumed training'}`;
    case 'error':
      return `${w}error: ${e.message}`;
    default:
      return null;
  }
}

interface Setup {
  manifest: ReturnType<typeof readManifest>;
  shards: string[];
  numSamples: number;
  source: WindowSource;
  peers: () => Promise<readonly Peer[]>;
  uid: number;
  chain?: Chain;
  netuid: number;
  engine: Engine;
  workDir: string;
  windows?: number;
  sink: (e: LocoEvent) => void;
  /** aborted when the person quits the live screen (TTY without --json) */
  quit?: AbortSignal;
  /** the live screen's pause switch (p), polled by the miner loop at each window */
  paused?: () => boolean;
  /** the window of the checkpoint the engine was loaded from (null: not recorded) */
  checkpointWindow?: number | null;
  hotkey: Awaited<ReturnType<typeof unlockHotkey>>;
  close: () => Promise<void>;
}

/** The plain line's verb for a `weights` event (commit–reveal: committed, then revealed). */
function weightsVerb(mode: 'set' | 'commit' | 'reveal' | undefined): string {
  return mode === 'commit' ? 'committed on chain' : mode === 'reveal' ? 'revealed on chain' : 'set on chain';
}

async function setup(ctx: Ctx, cmd: Command, role: 'miner' | 'validator'): Promise<Setup> {
  const f = cmd.opts() as RoleFlags;
  if (!f.manifest) throw new LocoError('usage', '--manifest FILE (the run manifest) is required');
  if (!f.data) throw new LocoError('usage', '--data DIR (the training shards) is required');
  if (!f.store) throw new LocoError('usage', '--store URL (where your objects go: file://DIR or s3://bucket) is required');
  const manifest = readManifest(f.manifest);
  const shards = listShardFiles(f.data, f.data.endsWith('.bin') ? undefined : 'train');
  const numSamples = new ShardSet(shards, manifest.model.seq_len).numSamples;
  const d = await resolveDefaults(ctx.opts);
  checkName('wallet', d.walletName);
  checkName('hotkey', d.hotkey);
  const hotkey = await unlockHotkey({ path: d.walletPath, name: d.walletName }, d.hotkey, unlockPassword(ctx, { passwordFile: f.passwordFile }));
  const windowSeconds = f.windowSeconds === undefined ? undefined : Number(f.windowSeconds);
  const netuid = manifest.manifest.netuid;
  let chain: Chain | undefined;
  let source: WindowSource;
  let peers: () => Promise<readonly Peer[]>;
  let uid: number;
  const needChain = windowSeconds === undefined || !f.peers || f.uid === undefined;
  if (needChain) {
    const { connect } = await import('../chain/client.js');
    chain = await connect(d.network, { onStatus: (m) => ctx.out.debug(m) });
  }
  try {
    if (windowSeconds !== undefined) source = new WallClock(windowSeconds);
    else {
      const { ChainClock } = await import('../miner/chain.js');
      source = new ChainClock(chain!, manifest.manifest.window.blocks_per_window);
    }
    if (f.uid !== undefined) uid = int(f.uid, '--uid')!;
    else {
      const u = await chain!.uidOf(netuid, hotkey.ss58Address);
      if (u === undefined) throw new LocoError('notFound', `hotkey ${hotkey.ss58Address} is not registered on subnet ${netuid} (loco subnet register)`);
      uid = u;
    }
    if (f.peers) {
      const fixed = await readPeersFile(f.peers);
      peers = async () => fixed;
    } else {
      const { commitmentPeers } = await import('../miner/chain.js');
      const exclude = role === 'validator' ? [uid] : [];
      peers = () => commitmentPeers(chain!, netuid, { exclude });
    }
  } catch (e) {
    await chain?.close();
    throw e;
  }
  // a failed engine start or load must not leave the chain connection open (the process would hang)
  const engine = await Engine.start({ threads: int(f.threads, '--threads', 1) }).catch(async (e: unknown) => {
    await chain?.close();
    throw e;
  });
  // a GPU the engine was not built for (or too old) is not used: say so instead of training slowly in silence
  if (typeof engine.ready.device_note === 'string') ctx.out.warn(`training on the CPU: ${engine.ready.device_note}`);
  const fromCheckpoint = f.checkpoint
    ? await engine.load(f.checkpoint).catch(async (e: unknown) => {
        await engine.shutdown();
        await chain?.close();
        throw e;
      })
    : undefined;
  // On a terminal without --json the events feed the live screen (src/tui, docs/screens.md).
  const screenInfo = { network: d.network, netuid, windowSeconds, flopsPerToken: (await import('../trainer/configs.js')).flopsPerToken(manifest.model, { training: true }) };
  const screen = !ctx.out.json && process.stdout.isTTY ? (await import('../tui/run.js')).startScreen(role, screenInfo) : undefined;
  const sink = (e: LocoEvent) => {
    if (screen) screen.emit(e);
    else if (ctx.out.json) ctx.out.event(e as unknown as Record<string, unknown>);
    else {
      const line = human(e);
      if (line) process.stdout.write(`${line}\n`);
    }
  };
  // what the chain says about this uid (block, countdown, stake, incentive, validators' weights): chain_status events
  const status = chain
    ? (await import('../miner/status.js')).startChainStatus({
        chain,
        network: d.network,
        netuid,
        role,
        uid,
        hotkey: hotkey.ss58Address,
        blocksPerWindow: manifest.manifest.window.blocks_per_window,
        windowSeconds,
        sink,
      })
    : undefined;
  return {
    manifest,
    shards,
    numSamples,
    source,
    peers,
    uid,
    chain,
    netuid,
    engine,
    workDir: f.workDir ?? join(tmpdir(), `loco-${role}-${manifest.runId}-${uid}`),
    windows: int(f.windows, '--windows', 1),
    sink,
    quit: screen?.signal,
    paused: screen?.paused,
    checkpointWindow: fromCheckpoint?.window,
    hotkey,
    close: async () => {
      status?.stop();
      screen?.stop();
      await engine.shutdown();
      await chain?.close();
    },
  };
}

function stopSignal(quit?: AbortSignal): AbortSignal {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  quit?.addEventListener('abort', stop);
  return ac.signal;
}

export async function mine(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const f = cmd.opts() as RoleFlags;
  const s = await setup(ctx, cmd, 'miner');
  try {
    const { Miner, runMiner } = await import('../miner/miner.js');
    const miner = new Miner({
      engine: s.engine,
      manifest: s.manifest,
      shards: s.shards,
      numSamples: s.numSamples,
      uid: s.uid,
      hotkey: s.hotkey,
      store: openStore(f.store!),
      peers: s.peers,
      workDir: s.workDir,
      events: s.sink,
    });
    // without --checkpoint: the newest published checkpoint of the run (own store, else the peers'), else θ₀
    const from = f.checkpoint ? s.checkpointWindow : await miner.resume();
    // a checkpoint of window c: replay the outer steps since then before training (docs/mining.md)
    const catchUpFrom = from === null || from === undefined ? undefined : from + 1;
    await runMiner(miner, s.source, { windows: s.windows, signal: stopSignal(s.quit), catchUpFrom, paused: s.paused });
  } finally {
    await s.close();
  }
}

export async function validate(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const f = cmd.opts() as RoleFlags;
  const s = await setup(ctx, cmd, 'validator');
  let closeWeights: (() => Promise<void> | undefined) | undefined;
  try {
    const { Validator, runValidator } = await import('../validator/validator.js');
    let setWeights: import('../miner/chain.js').ChainWeightsHook | undefined;
    if (s.chain && f.setWeights !== false) {
      const { chainSetWeights } = await import('../miner/chain.js');
      // commit–reveal subnets: pending commits (with their salts) wait in the work dir for their reveal epoch
      setWeights = chainSetWeights(s.chain, s.netuid, s.hotkey, {
        stateFile: join(s.workDir, 'weights-commits.json'),
        events: s.sink,
        uid: s.uid,
        log: (m) => ctx.out.warn(m),
      });
    }
    closeWeights = () => setWeights?.close();
    const v = new Validator({
      engine: s.engine,
      manifest: s.manifest,
      shards: s.shards,
      numSamples: s.numSamples,
      uid: s.uid,
      store: openStore(f.store!),
      peers: s.peers,
      workDir: s.workDir,
      events: s.sink,
      setWeights,
      statePath: join(s.workDir, 'validator-state.json'),
    });
    // a restart (saved state in --work-dir) rebuilds the model it had from its checkpoint + the stored payloads
    if (!f.checkpoint) await v.resume((w) => s.source.startTime(w));
    await runValidator(v, s.source, { windows: s.windows, signal: stopSignal(s.quit) });
  } finally {
    await closeWeights?.();
    await s.close();
  }
}
