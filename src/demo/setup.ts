// `loco demo` set-up (docs/demo.md): the demo folder, its wallets, the bundled data, the run
// manifest and the subnet on the in-process devnet. Everything lives under one folder (default
// ~/.loco/demo) and never touches the person's own wallets in ~/.bittensor.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocoError, fromFsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Chain } from '../chain/client.js';
import { defaultManifest, parseManifest, serializeManifest, type RunManifest } from '../protocol/manifest.js';
import { pidAlive } from '../util/pid.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export const DEMO_STATE_FORMAT = 'loco-demo/1';
export const WALLET_NAME = 'demo';
export const MINERS = 3;
export const DEMO_MAX_DOCS = 40;
const TAO = 1_000_000_000n;

/** The demo's tunables: small enough that loss falls within minutes on 2 CPU cores. */
export interface DemoTuning {
  blockTimeMs: number;
  blocksPerWindow: number;
  innerSteps: number;
  batch: number;
  lr: number;
  uploadDeltaS: number;
}

export const DEFAULT_TUNING: DemoTuning = { blockTimeMs: 250, blocksPerWindow: 40, innerSteps: 8, batch: 4, lr: 3e-3, uploadDeltaS: 6 };

export interface DemoLayout {
  dir: string;
  walletPath: string;
  passwordFile: string;
  dataDir: string;
  devnetDir: string;
  manifestPath: string;
  statePath: string;
  logsDir: string;
  storeDir: (uid: number) => string;
  workDir: (role: string, uid: number) => string;
}

export function layout(dir: string): DemoLayout {
  return {
    dir,
    walletPath: join(dir, 'wallets'),
    passwordFile: join(dir, 'password'),
    dataDir: join(dir, 'data'),
    devnetDir: join(dir, 'devnet'),
    manifestPath: join(dir, 'run.json'),
    statePath: join(dir, 'demo.json'),
    logsDir: join(dir, 'logs'),
    storeDir: (uid) => join(dir, 'stores', `uid-${uid}`),
    workDir: (role, uid) => join(dir, 'work', `${role}-${uid}`),
  };
}

export interface DemoRole {
  role: 'miner' | 'validator';
  /** hotkey file name in the demo wallet */
  hotkey: string;
  ss58: string;
  uid: number;
  store: string;
}

/** What a finished set-up leaves in demo.json: enough to resume without touching the chain. */
export interface DemoState {
  format: typeof DEMO_STATE_FORMAT;
  netuid: number;
  runId: string;
  coldkey: string;
  roles: DemoRole[];
  tuning: DemoTuning;
  created: string;
}

export function readDemoState(l: DemoLayout): DemoState | null {
  if (!existsSync(l.statePath)) return null;
  let s: DemoState;
  try {
    s = JSON.parse(readFileSync(l.statePath, 'utf8')) as DemoState;
  } catch (e) {
    throw new LocoError('corrupt', `${l.statePath}: ${(e as Error).message}`);
  }
  if (s.format !== DEMO_STATE_FORMAT) throw new LocoError('corrupt', `${l.statePath}: not a loco demo state (format ${JSON.stringify(s.format)})`);
  return s;
}

export function writeDemoState(l: DemoLayout, s: DemoState): void {
  writeFileAtomic(l.statePath, `${JSON.stringify(s, null, 2)}\n`);
}

/**
 * A fresh start: remove what a previous demo left (chain, stores, work, logs, manifest), keep the
 * prepared data. Refuses a folder that holds other things than a demo's.
 */
export function resetDemoDir(l: DemoLayout): void {
  if (existsSync(l.dir)) {
    const known = new Set(['wallets', 'password', 'data', 'devnet', 'run.json', 'demo.json', 'logs', 'stores', 'work']);
    let entries: string[];
    try {
      entries = readdirSync(l.dir);
    } catch (e) {
      throw fromFsError(e, l.dir);
    }
    const foreign = entries.filter((e) => !known.has(e) && !e.startsWith('.'));
    if (foreign.length) throw new LocoError('usage', `${l.dir} holds files that are not a loco demo's (${foreign.slice(0, 3).join(', ')}); pick another --dir`);
    // a demo running in this folder holds its devnet's LOCK: never pull the chain from under it
    const lock = join(l.devnetDir, 'LOCK');
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (pid !== process.pid && pidAlive(pid)) throw new LocoError('alreadyExists', `a loco demo (pid ${pid}) is running in ${l.dir}; stop it first or pick another --dir`);
    }
    for (const e of ['devnet', 'run.json', 'demo.json', 'logs', 'stores', 'work', 'wallets', 'password']) rmSync(join(l.dir, e), { recursive: true, force: true });
  }
  mkdirSync(l.dir, { recursive: true, mode: 0o700 });
}

/** The demo's coldkey password: random, kept 0600 in the demo folder, never printed. */
export function demoPassword(l: DemoLayout): string {
  if (existsSync(l.passwordFile)) return readFileSync(l.passwordFile, 'utf8').trim();
  const pw = randomBytes(18).toString('base64url');
  writeFileAtomic(l.passwordFile, `${pw}\n`, { mode: 0o600 });
  return pw;
}

export interface DemoKeys {
  coldkey: import('../wallet/keypair.js').Keypair;
  hotkeys: { name: string; role: 'miner' | 'validator'; kp: import('../wallet/keypair.js').Keypair }[];
  /** the coldkey file is written encrypted in the background (argon2 with 512 MiB takes seconds) */
  coldkeyWritten: Promise<void>;
}

/** A coldkey (encrypted with the demo password) and four hotkeys (plain, as btcli writes hotkeys). */
export async function makeWallets(l: DemoLayout): Promise<DemoKeys> {
  const { generateMnemonic, keypairFromMnemonic } = await import('../wallet/keypair.js');
  const { writeColdkey, writeHotkey } = await import('../wallet/wallet.js');
  const w = { path: l.walletPath, name: WALLET_NAME };
  const password = demoPassword(l);
  const coldkey = await keypairFromMnemonic(await generateMnemonic(12));
  const coldkeyWritten = writeColdkey(w, coldkey, { password, overwrite: true });
  coldkeyWritten.catch(() => {}); // awaited by the caller; never an unhandled rejection meanwhile
  const names: { name: string; role: 'miner' | 'validator' }[] = [{ name: 'validator', role: 'validator' }, ...Array.from({ length: MINERS }, (_, i) => ({ name: `miner${i + 1}`, role: 'miner' as const }))];
  const hotkeys = [];
  for (const n of names) {
    const kp = await keypairFromMnemonic(await generateMnemonic(12));
    await writeHotkey(w, n.name, kp, { overwrite: true });
    hotkeys.push({ ...n, kp });
  }
  return { coldkey, hotkeys, coldkeyWritten };
}

/** The bundled texts as shards under the demo folder (kept between demos: deterministic anyway). */
export async function prepareDemoData(l: DemoLayout): Promise<{ shards: string[]; sha256: string; tokens: number }> {
  const manifestFile = join(l.dataDir, 'manifest.json');
  if (!existsSync(manifestFile)) {
    const { prepareData } = await import('../data/prepare.js');
    // a subset (the first 40 State of the Union addresses and Moby-Dick, ~0.5 M tokens) starts the
    // demo in a second or two; three tiny miners use ~6 k tokens a window
    await prepareData({ out: l.dataDir, maxDocs: DEMO_MAX_DOCS });
  }
  const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { sha256: string; shards: { file: string; split: string }[]; splits: { train: { tokens: number } } };
  return { shards: m.shards.filter((s) => s.split === 'train').map((s) => s.file), sha256: m.sha256, tokens: m.splits.train.tokens };
}

export function demoManifest(netuid: number, data: { shards: string[]; sha256: string }, t: DemoTuning): RunManifest {
  const m = defaultManifest({ name: 'loco-demo', netuid, model: 'tiny', dataset: { name: 'loco-default', shards: data.shards, sha256: data.sha256 } });
  m.train = { ...m.train, inner_steps: t.innerSteps, micro_batch: t.batch, batch: t.batch, lr: t.lr, warmup_steps: 0 };
  // offset 0: the validator takes window w as soon as w+1 begins, gathering until every miner's
  // payload is in (they upload at once) or Δt is over — a window sooner on the dashboard
  m.window = { blocks_per_window: t.blocksPerWindow, upload_delta_s: t.uploadDeltaS, validator_offset: 0 };
  m.eval = { uids_per_window: 15, batch: 4, eval_lr_factor: 1 };
  m.scoring = { ...m.scoring, windows_per_weights: 1 };
  // every window: --resume starts the miners and the validator from the window they stopped at
  m.checkpoint = { every_windows: 1 };
  return m;
}

export function writeManifest(l: DemoLayout, m: RunManifest): string {
  const bytes = serializeManifest(m);
  writeFileAtomic(l.manifestPath, bytes);
  return parseManifest(bytes).runId;
}

/**
 * The subnet: funded coldkey, network registered with the validator's hotkey (uid 0, the owner),
 * started, weights rate limit 0 (weights every window), three miners registered, validator staked,
 * each miner's store URL committed on chain.
 */
export async function createSubnet(chain: Chain, keys: DemoKeys, l: DemoLayout, onStep?: (what: string) => void): Promise<{ netuid: number; roles: DemoRole[] }> {
  const { Keyring } = await import('@polkadot/keyring');
  const { storeCommitment } = await import('../miner/chain.js');
  const alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
  const api = chain.api as Any;
  const say = (s: string) => onStep?.(s);
  const v = keys.hotkeys.find((h) => h.role === 'validator')!;
  const miners = keys.hotkeys.filter((h) => h.role === 'miner');

  say('funding the demo coldkey from //Alice');
  await chain.submit(chain.tx.transferKeepAlive(keys.coldkey.ss58Address, 1_000n * TAO), alice, 'transfer');
  // hotkeys get a little TAO so that even fee-paying calls from them would go through
  // one signer's transactions go one after another (each takes the next nonce)
  for (const h of keys.hotkeys) await chain.submit(chain.tx.transferKeepAlive(h.kp.ss58Address, TAO), alice, 'transfer');
  say('registering the subnet');
  const created = await chain.submit(chain.tx.registerNetwork(v.kp.ss58Address), keys.coldkey, 'register_network');
  const added = created.events.find((e) => e.pallet === 'SubtensorModule' && e.name === 'NetworkAdded')?.data as unknown[] | undefined;
  if (!added) throw new LocoError('chain', 'register_network: no NetworkAdded event');
  const netuid = Number(added[0]);
  if (api.tx.subtensorModule?.startCall) await chain.submit(api.tx.subtensorModule.startCall(netuid), keys.coldkey, 'start_call');
  await chain.submit(api.tx.sudo.sudo(api.tx.adminUtils.sudoSetWeightsSetRateLimit(netuid, 0)), alice, 'sudo_set_weights_set_rate_limit');
  say('registering 3 miners and staking the validator');
  for (const m of miners) await chain.submit(chain.tx.burnedRegister(netuid, m.kp.ss58Address), keys.coldkey, 'burned_register');
  await chain.submit(chain.tx.addStake(v.kp.ss58Address, netuid, 100n * TAO), keys.coldkey, 'add_stake');
  const roles: DemoRole[] = [];
  for (const h of keys.hotkeys) {
    const uid = await chain.uidOf(netuid, h.kp.ss58Address);
    if (uid === undefined) throw new LocoError('chain', `${h.name} is not registered on subnet ${netuid}`);
    const store = pathToFileURL(l.storeDir(uid)).href;
    mkdirSync(l.storeDir(uid), { recursive: true });
    roles.push({ role: h.role, hotkey: h.name, ss58: h.kp.ss58Address, uid, store });
  }
  say('committing the miners\u2019 store URLs');
  await Promise.all(
    roles.filter((r) => r.role === 'miner').map((r) => chain.submit(chain.tx.setCommitment(netuid, storeCommitment(r.store)), keys.hotkeys.find((h) => h.name === r.hotkey)!.kp, 'set_commitment')),
  );
  return { netuid, roles };
}

/** Keep only the newest `keep` checkpoints of a store (the tiny model's is 13 MB, one per window). */
export function pruneCheckpoints(storeDir: string, runId: string, keep = 4): void {
  const dir = join(storeDir, runId, 'checkpoints');
  if (!existsSync(dir)) return;
  const files = readdirSync(dir)
    .map((f) => ({ f, m: /^(\d+)\.ckpt$/.exec(f) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(b.m![1]) - Number(a.m![1]));
  for (const x of files.slice(keep)) rmSync(join(dir, x.f), { force: true });
}
