// `loco audit --window W --validator HOTKEY`: re-run a validator's scoring of a past window from
// public objects and the chain, and show per miner whether it matches what the validator published
// and set (docs/audit.md). Exit 0 when it matches, 6 (invalidInput) with the differences when not.
import { Option, type Command } from 'commander';
import { action } from '../action.js';
import type { Ctx } from '../context.js';
import { LocoError } from '../../errors.js';
import { intFlag as int } from '../flags.js';

interface AuditFlags {
  window?: string;
  validator?: string;
  manifest?: string;
  netuid?: string;
  data?: string;
  validatorStore?: string;
  peers?: string;
  windowSeconds?: string;
  from?: string;
  tolerance?: string;
  threads?: string;
  workDir?: string;
}

async function audit(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const f = cmd.opts() as AuditFlags;
  const window = int(f.window, '--window');
  if (window === undefined) throw new LocoError('usage', '--window W is required');
  if (!f.validator) throw new LocoError('usage', '--validator HOTKEY (the validator\'s SS58 address) is required');
  if (!f.data) throw new LocoError('usage', '--data DIR (the run\'s training shards) is required');
  if (!f.manifest && f.netuid === undefined) throw new LocoError('usage', 'give the run as --manifest FILE or --netuid N (its committed manifest)');
  const tolerance = f.tolerance === undefined ? undefined : Number(f.tolerance);
  if (tolerance !== undefined && !(tolerance >= 0)) throw new LocoError('usage', `--tolerance must be a number ≥ 0 (got ${f.tolerance})`);

  const [{ readManifest }, { listShardFiles, ShardSet }, { openStore }, { publicKeypair }, { readPeersFile, WallClock }, { auditWindow, humanAudit, findSetWeights, weightsSearchRange }, { Engine }, { tmpdir }, { join }, { rmSync }] =
    await Promise.all([
      import('../../protocol/manifest.js'),
      import('../../data/shards.js'),
      import('../../storage/index.js'),
      import('../../wallet/keypair.js'),
      import('../../miner/window.js'),
      import('../../validator/audit.js'),
      import('../../trainer/engine.js'),
      import('node:os'),
      import('node:path'),
      import('node:fs'),
    ]);
  const validator = (await publicKeypair({ ss58: f.validator }).catch(() => {
    throw new LocoError('invalidInput', `--validator ${f.validator}: not an SS58 address`);
  })).ss58Address;
  const manifest = f.manifest ? readManifest(f.manifest) : (await (await import('./run.js')).manifestFromChain(ctx, int(f.netuid, '--netuid')!)).loaded;
  const netuid = f.netuid !== undefined ? int(f.netuid, '--netuid')! : manifest.manifest.netuid;
  const shards = listShardFiles(f.data, f.data.endsWith('.bin') ? undefined : 'train');
  const numSamples = new ShardSet(shards, manifest.model.seq_len).numSamples;
  const windowSeconds = f.windowSeconds === undefined ? undefined : Number(f.windowSeconds);

  // the chain: window start times, the validator's and miners' stores, the weights it set
  const needChain = windowSeconds === undefined || !f.peers || !f.validatorStore;
  let chain: import('../../chain/client.js').Chain | undefined;
  if (needChain) {
    const { resolveDefaults } = await import('../config.js');
    const { connect } = await import('../../chain/client.js');
    chain = await connect((await resolveDefaults(ctx.opts)).network, { onStatus: (s) => ctx.out.debug(s) });
  }
  // without --work-dir the scratch folder is this command's own: removed however the audit ends
  const ownWorkDir = f.workDir === undefined ? join(tmpdir(), `loco-audit-${manifest.runId}-${process.pid}`) : undefined;
  const engine = await Engine.start({ threads: int(f.threads, '--threads', 1) });
  try {
    let validatorStoreUrl = f.validatorStore;
    if (!validatorStoreUrl) {
      const c = (await chain!.commitments(netuid, validator))[0]?.fields[0]?.text;
      if (!c || !/^(file|s3):\/\//.test(c)) throw new LocoError('notFound', `validator ${validator} has no store commitment on subnet ${netuid} (give --validator-store URL)`);
      validatorStoreUrl = c;
    }
    let peers: () => Promise<readonly import('../../miner/window.js').Peer[]>;
    if (f.peers) {
      const fixed = await readPeersFile(f.peers);
      peers = async () => fixed;
    } else {
      const { commitmentPeers } = await import('../../miner/chain.js');
      const fixed = await commitmentPeers(chain!, netuid);
      peers = async () => fixed;
    }
    let startTime: (w: number) => Promise<Date>;
    if (windowSeconds !== undefined) {
      const clock = new WallClock(windowSeconds);
      startTime = (w) => clock.startTime(w);
    } else {
      const { ChainClock } = await import('../../miner/chain.js');
      const clock = new ChainClock(chain!, manifest.manifest.window.blocks_per_window);
      startTime = (w) => clock.startTime(w);
    }
    const m = manifest.manifest;
    const report = await auditWindow({
      manifest,
      shards,
      numSamples,
      validatorStore: openStore(validatorStoreUrl),
      window,
      peers,
      startTime,
      engine,
      workDir: f.workDir ?? ownWorkDir!,
      from: int(f.from, '--from'),
      tolerance,
      chainWeights: chain
        ? () => {
            const r = weightsSearchRange(window, m);
            return findSetWeights(chain!, netuid, validator, r.from, r.blocks);
          }
        : undefined,
      log: (s) => ctx.out.debug(s),
    });
    if (report.match) {
      ctx.out.result(report, humanAudit(report));
      return;
    }
    if (!ctx.out.json) process.stdout.write(`${humanAudit(report).join('\n')}\n`);
    const bad = report.miners.filter((x) => !x.match).map((x) => x.uid);
    const what = [
      bad.length ? `miner${bad.length > 1 ? 's' : ''} ${bad.join(', ')}` : '',
      report.weights.chainMatch === false ? 'the weights on chain' : '',
      report.earlier.length ? `earlier window${report.earlier.length > 1 ? 's' : ''} ${report.earlier.map((e) => e.window).join(', ')}` : '',
    ].filter(Boolean);
    throw new LocoError('invalidInput', `audit: validator ${validator}'s scores for window ${window} are not reproduced (${what.join('; ') || 'window-level fields'})`, { report });
  } finally {
    await engine.shutdown();
    await chain?.close();
    if (ownWorkDir) rmSync(ownWorkDir, { recursive: true, force: true });
  }
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('re-run a validator\'s scoring of a past window from public objects and the chain; show per miner whether it matches')
    .addOption(new Option('--window <w>', 'the window to audit'))
    .addOption(new Option('--validator <ss58>', 'the validator\'s hotkey'))
    .addOption(new Option('--manifest <file>', 'the run manifest (default: the run committed on --netuid)'))
    .addOption(new Option('--netuid <n>', 'the subnet (default: the manifest\'s netuid)'))
    .addOption(new Option('--data <dir>', 'the run\'s training shards (a folder\'s train split, or one .bin)'))
    .addOption(new Option('--validator-store <url>', 'where the validator publishes its scores (default: its commitment)'))
    .addOption(new Option('--peers <file>', 'JSON list of {uid, hotkey, store} (default: the subnet\'s commitments)'))
    .addOption(new Option('--window-seconds <s>', 'windows of this many seconds of wall-clock time (runs without a chain)'))
    .addOption(new Option('--from <w>', 'replay from this window (default: the validator\'s first published window)'))
    .addOption(new Option('--tolerance <x>', 'relative tolerance for losses and scores (default 1e-5)'))
    .addOption(new Option('--threads <n>', 'engine threads'))
    .addOption(new Option('--work-dir <dir>', 'scratch folder'))
    .action(action(audit));
}
