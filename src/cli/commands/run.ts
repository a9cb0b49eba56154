// `loco run init|show`: the run manifest (docs/protocol.md). `init` (the subnet owner) writes one
// from flags and defaults, prints its hash, and with --publish puts it in a store and sets a chain
// commitment naming its hash and store; `show` validates one from a file or from a subnet's
// commitment. Heavy modules (chain, storage) load only when a command runs.
import { Option, type Command } from 'commander';
import { action } from '../action.js';
import type { Ctx } from '../context.js';
import { LocoError } from '../../errors.js';
import type { LoadedManifest, RunManifest } from '../../protocol/manifest.js';

interface InitFlags {
  out: string;
  name?: string;
  netuid?: string;
  config: string;
  data?: string;
  datasetName?: string;
  innerSteps?: string;
  microBatch?: string;
  batch?: string;
  lr?: string;
  warmupSteps?: string;
  totalSteps?: string;
  topk?: string;
  chunk?: string;
  efBeta?: string;
  outerLr?: string;
  blocksPerWindow?: string;
  uploadDelta?: string;
  gatherPeers?: string;
  reservePeers?: string;
  uidsPerWindow?: string;
  evalBatch?: string;
  evalLrFactor?: string;
  windowsPerWeights?: string;
  checkpointEvery?: string;
  overwrite?: boolean;
  publish?: boolean;
  store?: string;
  passwordFile?: string;
}

const num = (v: string | undefined, flag: string, integer: boolean): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isSafeInteger(n))) throw new LocoError('usage', `${flag} must be ${integer ? 'an integer' : 'a number'} (got ${JSON.stringify(v)})`);
  return n;
};

export function summary(l: LoadedManifest): string[] {
  const m = l.manifest;
  const model = typeof m.model === 'string' ? m.model : 'custom config';
  return [
    `run        ${m.name} (netuid ${m.netuid})`,
    `hash       ${l.hashHex}`,
    `run id     ${l.runId}`,
    `model      ${model}: d_model ${l.model.d_model}, ${l.model.n_layers} layers, seq_len ${l.model.seq_len}`,
    `dataset    ${m.dataset.name}: ${m.dataset.shards.length} shard(s), sha256 ${m.dataset.sha256}`,
    `train      H = ${m.train.inner_steps} inner steps × batch ${m.train.batch} (micro ${m.train.micro_batch}), lr ${m.train.lr}, warm-up ${m.train.warmup_steps}, total ${m.train.total_steps}`,
    `sparseloco top-${m.sparseloco.topk} per ${m.sparseloco.chunk}×${m.sparseloco.chunk} chunk, ${m.sparseloco.bits}-bit codes, EF β ${m.sparseloco.ef_beta}, outer lr ${m.sparseloco.outer_lr}`,
    `window     ${m.window.blocks_per_window} blocks, uploads within ${m.window.upload_delta_s} s, validator offset ${m.window.validator_offset}`,
    `peers      gather ${m.peers.gather}, reserve ${m.peers.reserve}, minimum ${m.peers.minimum}`,
    `eval       ${m.eval.uids_per_window} uids/window, batch ${m.eval.batch}, lr factor ${m.eval.eval_lr_factor}; weights every ${m.scoring.windows_per_weights} windows`,
    `checkpoint every ${m.checkpoint.every_windows} windows`,
  ];
}

export async function buildManifest(f: InitFlags): Promise<RunManifest> {
  const { defaultManifest } = await import('../../protocol/manifest.js');
  const { getConfig } = await import('../../trainer/configs.js');
  getConfig(f.config); // unknown names fail here, with the list of known ones
  let dataset: RunManifest['dataset'] | undefined;
  if (f.data) {
    const { listShardFiles } = await import('../../data/shards.js');
    const { datasetHash } = await import('../../protocol/publish.js');
    const { basename } = await import('node:path');
    const files = listShardFiles(f.data, f.data.endsWith('.bin') ? undefined : 'train');
    dataset = await datasetHash(files, f.datasetName ?? basename(f.data.replace(/\/+$/, '')));
  }
  const m = defaultManifest({ name: f.name, netuid: num(f.netuid, '--netuid', true), model: f.config, dataset });
  const set = <S extends keyof RunManifest>(section: S, field: keyof RunManifest[S], v: number | undefined) => {
    if (v !== undefined) (m[section] as Record<string, unknown>)[field as string] = v;
  };
  set('train', 'inner_steps', num(f.innerSteps, '--inner-steps', true));
  set('train', 'micro_batch', num(f.microBatch, '--micro-batch', true));
  set('train', 'batch', num(f.batch, '--batch', true));
  set('train', 'lr', num(f.lr, '--lr', false));
  set('train', 'warmup_steps', num(f.warmupSteps, '--warmup-steps', true));
  set('train', 'total_steps', num(f.totalSteps, '--total-steps', true));
  set('sparseloco', 'topk', num(f.topk, '--topk', true));
  set('sparseloco', 'chunk', num(f.chunk, '--chunk', true));
  set('sparseloco', 'ef_beta', num(f.efBeta, '--ef-beta', false));
  set('sparseloco', 'outer_lr', num(f.outerLr, '--outer-lr', false));
  set('window', 'blocks_per_window', num(f.blocksPerWindow, '--blocks-per-window', true));
  set('window', 'upload_delta_s', num(f.uploadDelta, '--upload-delta', false));
  set('peers', 'gather', num(f.gatherPeers, '--gather-peers', true));
  set('peers', 'reserve', num(f.reservePeers, '--reserve-peers', true));
  set('eval', 'uids_per_window', num(f.uidsPerWindow, '--uids-per-window', true));
  set('eval', 'batch', num(f.evalBatch, '--eval-batch', true));
  set('eval', 'eval_lr_factor', num(f.evalLrFactor, '--eval-lr-factor', false));
  set('scoring', 'windows_per_weights', num(f.windowsPerWeights, '--windows-per-weights', true));
  set('checkpoint', 'every_windows', num(f.checkpointEvery, '--checkpoint-every', true));
  return m;
}

async function unlockedHotkey(ctx: Ctx, passwordFile?: string) {
  const [{ resolveDefaults }, { unlockPassword }, { checkName, unlockHotkey }] = await Promise.all([import('../config.js'), import('../secrets.js'), import('../../wallet/wallet.js')]);
  const d = await resolveDefaults(ctx.opts);
  checkName('wallet', d.walletName);
  checkName('hotkey', d.hotkey);
  const hotkey = await unlockHotkey({ path: d.walletPath, name: d.walletName }, d.hotkey, unlockPassword(ctx, { passwordFile }));
  return { hotkey, network: d.network };
}

async function init(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const f = cmd.opts() as InitFlags;
  const [{ parseManifest, serializeManifest }, { existsSync }, { writeFileAtomic }] = await Promise.all([
    import('../../protocol/manifest.js'),
    import('node:fs'),
    import('../../util/atomic.js'),
  ]);
  if (f.publish && !f.store) throw new LocoError('usage', '--publish needs --store URL (where the manifest object goes)');
  if (!f.publish && f.store) throw new LocoError('usage', '--store is only used with --publish');
  const m = await buildManifest(f);
  const loaded = parseManifest(serializeManifest(m), 'the new run manifest'); // validates every field
  if (existsSync(f.out) && !f.overwrite) throw new LocoError('alreadyExists', `${f.out} exists (use --overwrite to replace it)`);
  writeFileAtomic(f.out, loaded.bytes);
  const data: Record<string, unknown> = { path: f.out, hash: loaded.hashHex, run_id: loaded.runId, manifest: loaded.manifest };
  const lines = [`wrote ${f.out}`, ...summary(loaded)];
  if (f.publish) {
    const [{ openStore }, { publishManifest, runCommitmentFields }] = await Promise.all([import('../../storage/index.js'), import('../../protocol/publish.js')]);
    const store = openStore(f.store!);
    const fields = runCommitmentFields(loaded.hashHex, store.url);
    const { key, info } = await publishManifest(store, loaded);
    await store.close?.();
    data.published = { store: store.url, key, bytes: info.size };
    lines.push(`published  ${store.url} ${key}`);
    if (f.netuid !== undefined) {
      const { hotkey, network } = await unlockedHotkey(ctx, f.passwordFile);
      const { connect, commitmentField } = await import('../../chain/client.js');
      const chain = await connect(network, { onStatus: (s) => ctx.out.debug(s) });
      try {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const tx = (chain.api.tx as any).commitments.setCommitment(m.netuid, { fields: fields.map((t) => commitmentField(new TextEncoder().encode(t))) });
        const r = await chain.submit(tx, hotkey, 'set_commitment');
        data.commitment = { netuid: m.netuid, hotkey: hotkey.ss58Address, fields, block: r.blockNumber ?? null };
        lines.push(`committed  on subnet ${m.netuid} by ${hotkey.ss58Address} (block ${r.blockNumber ?? r.blockHash})`);
      } finally {
        await chain.close();
      }
    } else lines.push('(no --netuid: no chain commitment set)');
  }
  ctx.out.result(data, lines);
}

/** The run a subnet's commitments name: the owner hotkey's when it has one, else the only one. */
export async function manifestFromChain(ctx: Ctx, netuid: number, hotkey?: string): Promise<{ loaded: LoadedManifest; hotkey: string; storeUrl: string; block: number }> {
  const [{ resolveDefaults }, { connect }, { parseRunCommitment, fetchManifest }] = await Promise.all([
    import('../config.js'),
    import('../../chain/client.js'),
    import('../../protocol/publish.js'),
  ]);
  const d = await resolveDefaults(ctx.opts);
  const chain = await connect(d.network, { onStatus: (s) => ctx.out.debug(s) });
  try {
    const runs = (await chain.commitments(netuid, hotkey))
      .map((c) => ({ c, r: parseRunCommitment(c.fields) }))
      .filter((x): x is { c: (typeof x)['c']; r: NonNullable<(typeof x)['r']> } => x.r !== null);
    if (runs.length === 0) throw new LocoError('notFound', `no run manifest is committed on subnet ${netuid}${hotkey ? ` by ${hotkey}` : ''}`);
    let pick = runs[0];
    if (runs.length > 1) {
      const owner = (await chain.subnet(netuid)).ownerHotkey;
      const own = runs.find((x) => x.c.hotkey === owner);
      if (!own) throw new LocoError('usage', `subnet ${netuid} has ${runs.length} run commitments (${runs.map((x) => x.c.hotkey).join(', ')}); choose one with --hotkey-address`);
      pick = own;
    }
    const loaded = await fetchManifest(pick.r.storeUrl, pick.r.hashHex);
    return { loaded, hotkey: pick.c.hotkey, storeUrl: pick.r.storeUrl, block: pick.c.block };
  } finally {
    await chain.close();
  }
}

async function show(ctx: Ctx, args: unknown[], cmd: Command): Promise<void> {
  const f = cmd.opts() as { netuid?: string; hotkeyAddress?: string };
  const file = args[0] as string | undefined;
  if ((file === undefined) === (f.netuid === undefined)) throw new LocoError('usage', 'give either a manifest FILE or --netuid N (its committed run)');
  let loaded: LoadedManifest;
  const data: Record<string, unknown> = {};
  const lines: string[] = [];
  if (file !== undefined) {
    const { readManifest } = await import('../../protocol/manifest.js');
    loaded = readManifest(file);
    data.path = file;
  } else {
    const r = await manifestFromChain(ctx, num(f.netuid, '--netuid', true)!, f.hotkeyAddress);
    loaded = r.loaded;
    data.commitment = { hotkey: r.hotkey, store: r.storeUrl, block: r.block };
    lines.push(`committed  by ${r.hotkey} at block ${r.block}; fetched from ${r.storeUrl} (hash checked)`);
  }
  ctx.out.result({ ...data, hash: loaded.hashHex, run_id: loaded.runId, valid: true, manifest: loaded.manifest }, [...summary(loaded), ...lines, 'valid']);
}

export function registerRun(program: Command): void {
  const run = program.command('run').description('the run manifest: create (subnet owner), publish, show');
  run
    .command('init')
    .description('write a run manifest from flags and defaults, print its hash; --publish puts it in a store and commits it on chain')
    .addOption(new Option('--out <file>', 'where to write it').default('run.json'))
    .addOption(new Option('--name <text>', 'a human name for the run'))
    .addOption(new Option('--netuid <n>', 'the subnet (with --publish: also set the chain commitment)'))
    .addOption(new Option('--config <name>', 'model config (tiny, small, gpt2-124m, 1b)').default('tiny'))
    .addOption(new Option('--data <dir>', 'training shards (a folder\'s train split, or one .bin): their names and SHA-256 go into the manifest'))
    .addOption(new Option('--dataset-name <name>', 'the data set\'s name (default: the folder name)'))
    .addOption(new Option('--inner-steps <H>', 'inner AdamW steps per window (default 30)'))
    .addOption(new Option('--micro-batch <n>', 'sequences per micro-batch (default 4)'))
    .addOption(new Option('--batch <n>', 'sequences per inner step, a multiple of --micro-batch (default 8)'))
    .addOption(new Option('--lr <x>', 'inner learning rate (default 0.001)'))
    .addOption(new Option('--warmup-steps <n>', 'inner warm-up steps (default 100)'))
    .addOption(new Option('--total-steps <n>', 'inner steps of the cosine schedule (default 100000)'))
    .addOption(new Option('--topk <k>', 'values kept per chunk (default 64)'))
    .addOption(new Option('--chunk <n>', 'chunk side (default 64)'))
    .addOption(new Option('--ef-beta <x>', 'error-feedback decay β (default 0.95)'))
    .addOption(new Option('--outer-lr <x>', 'outer learning rate (default 1)'))
    .addOption(new Option('--blocks-per-window <n>', 'chain blocks per window (default 125)'))
    .addOption(new Option('--upload-delta <s>', 'seconds after a window ends in which uploads count (default 70)'))
    .addOption(new Option('--gather-peers <n>', 'peers gathered and weighted (default 20)'))
    .addOption(new Option('--reserve-peers <n>', 'reserve peers (default 10)'))
    .addOption(new Option('--uids-per-window <n>', 'miners evaluated per window (default 15)'))
    .addOption(new Option('--eval-batch <n>', 'sequences per evaluation loss (default 8)'))
    .addOption(new Option('--eval-lr-factor <x>', 'scale of one miner\'s update when evaluating it (default 0.2)'))
    .addOption(new Option('--windows-per-weights <n>', 'set weights every this many windows (default 2)'))
    .addOption(new Option('--checkpoint-every <n>', 'windows between checkpoints (default 10)'))
    .addOption(new Option('--overwrite', 'replace an existing --out file'))
    .addOption(new Option('--publish', 'put the manifest into --store and, with --netuid, commit its hash and store on chain (signed by the hotkey)'))
    .addOption(new Option('--store <url>', 'where to publish it: file://DIR or s3://bucket[/prefix]?endpoint=…'))
    .addOption(new Option('--password-file <file>', 'password of an encrypted hotkey file'))
    .action(action(init));
  run
    .command('show [file]')
    .description('validate and print a run manifest: a FILE, or the run committed on --netuid N (fetched and hash-checked)')
    .addOption(new Option('--netuid <n>', 'read the subnet\'s run commitment instead of a file'))
    .addOption(new Option('--hotkey-address <ss58>', 'with --netuid: the committing hotkey (default: the subnet owner\'s, or the only one)'))
    .action(action(show));
}
