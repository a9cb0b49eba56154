// Implementations of the chain commands (`loco subnet|stake|weights …`, `loco wallet balance|
// transfer`). Loaded lazily: @polkadot/api comes in only here. Coldkey signs transfers,
// registration, subnet creation and staking; the hotkey signs weights and commitments.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LocoError, fromFsError } from '../errors.js';
import { amountJson, formatTao, parseTao, tao } from '../chain/amount.js';
import { connect, type Chain, type SubnetInfo, type TxEvent, type TxResult } from '../chain/client.js';
import { metagraphJson, totals, type Neuron } from '../chain/metagraph.js';
import { commitHash, normaliseWeights, parseNumberList, randomSalt } from '../chain/weights.js';
import { writeFileAtomic } from '../util/atomic.js';
import { publicKeypair, type Keypair } from '../wallet/keypair.js';
import { describeWallet, listWallets, unlockColdkey, unlockHotkey, type WalletRef } from '../wallet/wallet.js';
import { unlockHooks, walletTarget } from './wallet-target.js';
import type { Ctx } from './context.js';
import { confirm } from './prompt.js';
import { unlockPassword } from './secrets.js';
import { startSpinner } from './spinner.js';
import { bold, dim, green } from './style.js';

interface ChainFlags {
  timeout?: string;
  netuid?: string;
  amount?: string;
  dest?: string;
  allowDeath?: boolean;
  hotkeyAddress?: string;
  passwordFile?: string;
  source?: 'auto' | 'runtime-api' | 'storage';
  sort?: 'uid' | 'stake' | 'incentive' | 'dividends' | 'emission';
  limit?: string;
  uids?: string;
  weights?: string;
  salt?: string;
  versionKey?: string;
  out?: string;
  from?: string;
  data?: string;
  hex?: string;
  ss58?: string[];
  all?: boolean;
}

const flagsOf = (cmd: Command) => cmd.opts() as ChainFlags;

// ---------- plumbing ----------

function timeoutMs(flags: ChainFlags): number {
  const raw = flags.timeout ?? process.env.LOCO_CHAIN_TIMEOUT;
  if (raw === undefined || raw === '') return 15_000;
  const s = Number(raw);
  if (!Number.isFinite(s) || s <= 0) throw new LocoError('usage', `--timeout must be a positive number of seconds (got ${JSON.stringify(raw)})`);
  return s * 1000;
}

function parseNetuid(v: string | undefined): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(String(v).trim()) || n > 65535) throw new LocoError('usage', `--netuid must be a whole number 0…65535 (got ${JSON.stringify(v)})`);
  return n;
}

async function withChain<T>(ctx: Ctx, flags: ChainFlags, network: string, fn: (chain: Chain) => Promise<T>): Promise<T> {
  const spin = startSpinner(`Connecting to ${network} …`);
  let chain: Chain;
  try {
    chain = await connect(network, { timeoutMs: timeoutMs(flags), onStatus: (m) => ctx.out.debug(m) });
  } finally {
    spin.stop();
  }
  try {
    return await fn(chain);
  } finally {
    await chain.close();
  }
}

/** An SS58 address or 0x public key → its SS58 form (prefix 42); bad input is invalidInput. */
async function checkAddress(a: string, what: string): Promise<string> {
  const s = a.trim();
  try {
    return (await publicKeypair(/^0x[0-9a-fA-F]{64}$/.test(s) ? { publicKey: s } : { ss58: s })).ss58Address;
  } catch (e) {
    throw new LocoError('invalidInput', `${what}: ${(e as Error).message}`);
  }
}

function coldkeyAddress(w: WalletRef): string {
  const a = describeWallet(w).coldkey.ss58Address;
  if (!a) throw new LocoError('notFound', `wallet "${w.name}" has no coldkey (or coldkeypub.txt) in ${w.path}`);
  return a;
}

async function hotkeyAddress(w: WalletRef, hotkey: string, flags: ChainFlags): Promise<string> {
  if (flags.hotkeyAddress) return checkAddress(flags.hotkeyAddress, '--hotkey-address');
  const h = describeWallet(w).hotkeys.find((k) => k.name === hotkey);
  if (!h?.ss58Address) throw new LocoError('notFound', `hotkey "${hotkey}" of wallet "${w.name}" not found; create it (loco wallet new-hotkey) or pass --hotkey-address`);
  return h.ss58Address;
}

const unlockCold = (ctx: Ctx, flags: ChainFlags, w: WalletRef): Promise<Keypair> => unlockColdkey(w, unlockPassword(ctx, flags), unlockHooks());
const unlockHot = (ctx: Ctx, flags: ChainFlags, w: WalletRef, hk: string): Promise<Keypair> => unlockHotkey(w, hk, unlockPassword(ctx, flags), unlockHooks());

/** Spending needs a yes: --yes, or a person answering the prompt. */
async function confirmSpend(ctx: Ctx, lines: string[], question: string): Promise<void> {
  for (const l of lines) ctx.out.info(l);
  if (ctx.opts.yes) return;
  if (!ctx.interactive) {
    throw new LocoError('cancelled', `${question.replace(/\?$/, '')}: confirmation needed; pass --yes to proceed without a prompt`);
  }
  if (!(await confirm(question))) throw new LocoError('cancelled', 'cancelled: nothing was sent');
}

async function send(ctx: Ctx, chain: Chain, tx: Parameters<Chain['submit']>[0], signer: Keypair, what: string): Promise<TxResult> {
  const spin = startSpinner(`Submitting ${what} …`);
  try {
    return await chain.submit(tx, signer, what, { onStatus: (s) => ctx.out.debug(`${what}: ${s}`) });
  } finally {
    spin.stop();
  }
}

const findEvent = (r: TxResult, pallet: string, name: string): TxEvent | undefined => r.events.find((e) => e.pallet === pallet && e.name === name);
const txJson = (r: TxResult) => ({ txHash: r.txHash, blockHash: r.blockHash, blockNumber: r.blockNumber ?? null, events: r.events });
const networkJson = (chain: Chain) => ({ network: chain.endpoint.name, url: chain.endpoint.url });

function table(header: string[], rows: string[][], right: boolean[] = []): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [bold(line(header)), ...rows.map(line)];
}

// ---------- wallet balance / transfer ----------

export async function walletBalance(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, network } = await walletTarget(ctx);
  let who: Array<{ wallet?: string; address: string }>;
  if (flags.ss58?.length) who = await Promise.all(flags.ss58.map(async (a) => ({ address: await checkAddress(a, '--ss58') })));
  else if (flags.all) {
    who = listWallets(w.path)
      .filter((x) => x.coldkey.ss58Address)
      .map((x) => ({ wallet: x.name, address: x.coldkey.ss58Address as string }));
  } else who = [{ wallet: w.name, address: coldkeyAddress(w) }];
  await withChain(ctx, flags, network, async (chain) => {
    const bals = await Promise.all(who.map((x) => chain.balance(x.address)));
    const rows = who.map((x, i) => ({ ...x, ...bals[i] }));
    const total = rows.reduce((a, r) => a + r.free + r.reserved, 0n);
    ctx.out.result(
      {
        ...networkJson(chain),
        balances: rows.map((r) => ({
          ...(r.wallet ? { wallet: r.wallet } : {}),
          address: r.address,
          free: amountJson(r.free),
          reserved: amountJson(r.reserved),
          frozen: amountJson(r.frozen),
          transferable: amountJson(r.transferable),
        })),
        total: amountJson(total),
      },
      [
        ...table(
          ['wallet', 'address', 'free', 'reserved'],
          rows.map((r) => [r.wallet ?? '', r.address, tao(r.free), tao(r.reserved)]),
          [false, false, true, true],
        ),
        ...(rows.length > 1 ? [`total ${tao(total)}`] : []),
      ],
    );
  });
}

export async function walletTransfer(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, network } = await walletTarget(ctx);
  if (!flags.dest) throw new LocoError('usage', '--dest is required');
  const dest = await checkAddress(flags.dest, '--dest');
  const amount = parseTao(flags.amount ?? '', '--amount');
  if (amount === 0n) throw new LocoError('invalidInput', '--amount must be more than 0');
  const from = coldkeyAddress(w);
  await withChain(ctx, flags, network, async (chain) => {
    const tx = flags.allowDeath ? chain.tx.transferAllowDeath(dest, amount) : chain.tx.transferKeepAlive(dest, amount);
    const [bal, fee] = await Promise.all([chain.balance(from), chain.fee(tx, from)]);
    if (bal.transferable < amount) {
      throw new LocoError('chain', `balance too low: ${tao(bal.transferable)} transferable, ${tao(amount)} asked`, { transferable: formatTao(bal.transferable) });
    }
    await confirmSpend(
      ctx,
      [
        `Transfer ${bold(tao(amount))} on ${chain.where}`,
        `  from ${from} (wallet ${w.name}, balance ${tao(bal.free)})`,
        `  to   ${dest}`,
        ...(fee !== undefined ? [`  fee  about ${tao(fee)}`] : []),
      ],
      'Send it?',
    );
    const cold = await unlockCold(ctx, flags, w);
    const r = await send(ctx, chain, tx, cold, 'transfer');
    ctx.out.result(
      { ...networkJson(chain), from, to: dest, amount: amountJson(amount), keepAlive: !flags.allowDeath, ...txJson(r) },
      `${green('sent')} ${tao(amount)} to ${dest} in block ${r.blockNumber ?? r.blockHash}`,
    );
  });
}

// ---------- subnets ----------

const subnetJson = (s: SubnetInfo) => ({ ...s, burn: amountJson(s.burn) });

export async function subnetList(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { network } = await walletTarget(ctx);
  await withChain(ctx, flags, network, async (chain) => {
    const subnets = await chain.subnets();
    ctx.out.result(
      { ...networkJson(chain), subnets: subnets.map(subnetJson) },
      subnets.length
        ? table(
            ['netuid', 'neurons', 'tempo', 'burn', 'owner'],
            subnets.map((s) => [String(s.netuid), `${s.n}/${s.maxN}`, String(s.tempo), tao(s.burn), s.owner]),
            [true, true, true, true, false],
          )
        : `No subnets on ${chain.where}.`,
    );
  });
}

export async function subnetShow(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { network } = await walletTarget(ctx);
  await withChain(ctx, flags, network, async (chain) => {
    const [info, hp] = await Promise.all([chain.subnet(netuid), chain.hyperparameters(netuid)]);
    const keys = ['immunity_period', 'min_allowed_weights', 'max_allowed_validators', 'weights_version_key', 'weights_set_rate_limit', 'commit_reveal_weights_enabled', 'activity_cutoff'];
    ctx.out.result({ ...networkJson(chain), subnet: subnetJson(info), hyperparameters: hp }, [
      `${bold(`subnet ${netuid}`)} on ${chain.where}`,
      `  owner        ${info.owner}`,
      ...(info.ownerHotkey ? [`  owner hotkey ${info.ownerHotkey}`] : []),
      `  neurons      ${info.n}/${info.maxN}`,
      `  tempo        ${info.tempo} blocks`,
      `  burn (cost)  ${tao(info.burn)}`,
      ...keys.filter((k) => k in hp).map((k) => `  ${k.padEnd(12)} ${JSON.stringify(hp[k])}`),
    ]);
  });
}

export async function subnetHyperparameters(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { network } = await walletTarget(ctx);
  await withChain(ctx, flags, network, async (chain) => {
    const hp = await chain.hyperparameters(netuid);
    const w = Math.max(...Object.keys(hp).map((k) => k.length));
    ctx.out.result({ ...networkJson(chain), netuid, hyperparameters: hp }, [
      `${bold(`subnet ${netuid} hyperparameters`)} (${chain.where})`,
      ...Object.entries(hp).map(([k, v]) => `  ${k.padEnd(w)}  ${typeof v === 'string' ? v : JSON.stringify(v)}`),
    ]);
  });
}

const pct = (x: number) => x.toFixed(5);

export async function subnetMetagraph(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { network } = await walletTarget(ctx);
  await withChain(ctx, flags, network, async (chain) => {
    const m = await chain.metagraph(netuid, { source: flags.source });
    const t = totals(m);
    const key = flags.sort ?? 'uid';
    const rows: Neuron[] = [...m.neurons].sort((a, b) => {
      if (key === 'uid') return a.uid - b.uid;
      const x = a[key];
      const y = b[key];
      return typeof x === 'bigint' ? (y > x ? 1 : y < x ? -1 : 0) : (y as number) - (x as number);
    });
    const limit = flags.limit ? Number(flags.limit) : rows.length;
    const shown = rows.slice(0, Number.isFinite(limit) && limit >= 0 ? limit : rows.length);
    ctx.out.result({ ...networkJson(chain), ...metagraphJson(m) }, [
      `${bold(`metagraph of subnet ${netuid}`)} on ${chain.where}${m.block !== undefined ? ` at block ${m.block}` : ''} (${m.source})`,
      ...table(
        ['uid', 'stake', 'incentive', 'dividends', 'trust', 'consensus', 'emission', 'vp', 'active', 'updated', 'hotkey'],
        shown.map((n) => [
          String(n.uid),
          formatTao(n.stake),
          pct(n.incentive),
          pct(n.dividends),
          pct(n.trust),
          pct(n.consensus),
          formatTao(n.emission),
          n.validatorPermit ? '*' : '',
          n.active ? '*' : '',
          String(n.lastUpdate),
          n.hotkey,
        ]),
        [true, true, true, true, true, true, true, false, false, true, false],
      ),
      dim(`${t.n} neurons, ${t.validators} with validator permits, ${t.active} active; total stake ${formatTao(t.stake)}, emission ${formatTao(t.emission)}` +
        (shown.length < rows.length ? `; showing ${shown.length}` : '')),
    ]);
  });
}

export async function subnetRegister(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { w, hotkey, network } = await walletTarget(ctx);
  const hot = await hotkeyAddress(w, hotkey, flags);
  const cold = coldkeyAddress(w);
  await withChain(ctx, flags, network, async (chain) => {
    const info = await chain.subnet(netuid);
    const existing = await chain.uidOf(netuid, hot);
    if (existing !== undefined) {
      ctx.out.result(
        { ...networkJson(chain), netuid, hotkey: hot, uid: existing, alreadyRegistered: true },
        `hotkey ${hot} is already registered on subnet ${netuid} as uid ${existing}`,
      );
      return;
    }
    const tx = chain.tx.burnedRegister(netuid, hot);
    const [bal, fee] = await Promise.all([chain.balance(cold), chain.fee(tx, cold)]);
    if (bal.transferable < info.burn) {
      throw new LocoError('chain', `balance too low to register: the cost is ${tao(info.burn)}, the coldkey has ${tao(bal.transferable)}`, {
        cost: formatTao(info.burn),
        balance: formatTao(bal.transferable),
      });
    }
    await confirmSpend(
      ctx,
      [
        `Register hotkey ${hot} on subnet ${netuid} (${chain.where})`,
        `  cost ${bold(tao(info.burn))} burned from coldkey ${cold} (balance ${tao(bal.free)})${fee !== undefined ? `, fee about ${tao(fee)}` : ''}`,
        `  neurons ${info.n}/${info.maxN}${info.n >= info.maxN ? ' (full: the lowest-scoring neuron outside immunity is replaced)' : ''}`,
      ],
      `Burn ${tao(info.burn)} to register?`,
    );
    const key = await unlockCold(ctx, flags, w);
    const r = await send(ctx, chain, tx, key, 'burned_register');
    const ev = findEvent(r, 'SubtensorModule', 'NeuronRegistered');
    let uid = Array.isArray(ev?.data) ? Number((ev.data as unknown[])[1]) : undefined;
    if (uid === undefined || !Number.isFinite(uid)) uid = await chain.uidOf(netuid, hot);
    ctx.out.result(
      { ...networkJson(chain), netuid, hotkey: hot, uid: uid ?? null, cost: amountJson(info.burn), ...txJson(r) },
      `${green('registered')} ${hot} on subnet ${netuid}${uid !== undefined ? ` as uid ${uid}` : ''} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}

export async function subnetCreate(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const { w, hotkey, network } = await walletTarget(ctx);
  const hot = await hotkeyAddress(w, hotkey, flags);
  const cold = coldkeyAddress(w);
  await withChain(ctx, flags, network, async (chain) => {
    const tx = chain.tx.registerNetwork(hot);
    const [cost, bal] = await Promise.all([chain.networkRegistrationCost(), chain.balance(cold)]);
    if (cost !== undefined && bal.transferable < cost) {
      throw new LocoError('chain', `balance too low to create a subnet: the cost is ${tao(cost)}, the coldkey has ${tao(bal.transferable)}`);
    }
    await confirmSpend(
      ctx,
      [
        `Create a subnet on ${chain.where} owned by coldkey ${cold}, owner hotkey ${hot}`,
        `  cost ${cost !== undefined ? bold(tao(cost)) : 'unknown (the chain does not say)'} (balance ${tao(bal.free)})`,
      ],
      'Create the subnet?',
    );
    const key = await unlockCold(ctx, flags, w);
    const r = await send(ctx, chain, tx, key, 'register_network');
    const ev = findEvent(r, 'SubtensorModule', 'NetworkAdded');
    const netuid = Array.isArray(ev?.data) ? Number((ev.data as unknown[])[0]) : null;
    ctx.out.result(
      { ...networkJson(chain), netuid, owner: cold, ownerHotkey: hot, cost: cost !== undefined ? amountJson(cost) : null, ...txJson(r) },
      `${green('created')} subnet ${netuid ?? '(netuid not reported)'} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}

export async function subnetCommitments(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { network } = await walletTarget(ctx);
  const hk = flags.hotkeyAddress ? await checkAddress(flags.hotkeyAddress, '--hotkey-address') : undefined;
  await withChain(ctx, flags, network, async (chain) => {
    const list = await chain.commitments(netuid, hk);
    ctx.out.result(
      { ...networkJson(chain), netuid, commitments: list.map((c) => ({ ...c, deposit: c.deposit.toString() })) },
      list.length
        ? list.map((c) => `${c.hotkey}  block ${c.block}  ${c.fields.map((f) => (f.text !== undefined ? JSON.stringify(f.text) : `${f.type} ${f.hex}`)).join(' | ')}`)
        : `No commitments on subnet ${netuid}.`,
    );
  });
}

export async function subnetCommit(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const { w, hotkey, network } = await walletTarget(ctx);
  let data: Uint8Array;
  if (flags.hex !== undefined) {
    if (!/^(0x)?([0-9a-fA-F]{2})*$/.test(flags.hex)) throw new LocoError('invalidInput', '--hex must be bytes as hex (0x…)');
    data = new Uint8Array(Buffer.from(flags.hex.replace(/^0x/, ''), 'hex'));
  } else if (flags.data !== undefined) data = new TextEncoder().encode(flags.data);
  else throw new LocoError('usage', 'give the commitment as --data TEXT or --hex 0x…');
  const key = await unlockHot(ctx, flags, w, hotkey);
  await withChain(ctx, flags, network, async (chain) => {
    const r = await send(ctx, chain, chain.tx.setCommitment(netuid, data), key, 'set_commitment');
    ctx.out.result(
      { ...networkJson(chain), netuid, hotkey: key.ss58Address, bytes: data.length, ...txJson(r) },
      `${green('committed')} ${data.length} bytes for ${key.ss58Address} on subnet ${netuid} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}

// ---------- stake ----------

async function stakeChange(ctx: Ctx, cmd: Command, add: boolean): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const amount = parseTao(flags.amount ?? '', '--amount');
  if (amount === 0n) throw new LocoError('invalidInput', '--amount must be more than 0');
  const { w, hotkey, network } = await walletTarget(ctx);
  const hot = await hotkeyAddress(w, hotkey, flags);
  const cold = coldkeyAddress(w);
  await withChain(ctx, flags, network, async (chain) => {
    if (!(await chain.subnetExists(netuid))) throw new LocoError('notFound', `subnet ${netuid} does not exist on ${chain.where}`);
    const tx = add ? chain.tx.addStake(hot, netuid, amount) : chain.tx.removeStake(hot, netuid, amount);
    const bal = await chain.balance(cold);
    if (add && bal.transferable < amount) {
      throw new LocoError('chain', `balance too low: ${tao(bal.transferable)} transferable, ${tao(amount)} asked`);
    }
    const what = add ? 'add_stake' : 'remove_stake';
    await confirmSpend(
      ctx,
      add
        ? [`Stake ${bold(tao(amount))} from coldkey ${cold} onto hotkey ${hot} in subnet ${netuid} (${chain.where})`, `  balance ${tao(bal.free)}`]
        : [`Unstake ${bold(formatTao(amount))} alpha from hotkey ${hot} in subnet ${netuid} to coldkey ${cold} (${chain.where})`],
      add ? 'Stake it?' : 'Unstake it?',
    );
    const key = await unlockCold(ctx, flags, w);
    const r = await send(ctx, chain, tx, key, what);
    ctx.out.result(
      { ...networkJson(chain), netuid, hotkey: hot, coldkey: cold, amount: amountJson(amount), ...txJson(r) },
      `${green(add ? 'staked' : 'unstaked')} ${add ? tao(amount) : `${formatTao(amount)} alpha`} ${add ? 'onto' : 'from'} ${hot} in subnet ${netuid} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}

export const stakeAdd = (ctx: Ctx, _a: unknown[], cmd: Command) => stakeChange(ctx, cmd, true);
export const stakeRemove = (ctx: Ctx, _a: unknown[], cmd: Command) => stakeChange(ctx, cmd, false);

// ---------- weights ----------

function parseVersionKey(v: string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(String(v).trim())) throw new LocoError('usage', `--version-key must be a whole number (got ${JSON.stringify(v)})`);
  return BigInt(v);
}

function weightsFrom(flags: ChainFlags) {
  const uids = parseNumberList(flags.uids ?? '', '--uids', true);
  const ws = parseNumberList(flags.weights ?? '', '--weights', false);
  const e = normaliseWeights(uids, ws);
  if (!e.uids.length) throw new LocoError('invalidInput', 'all weights are zero: nothing to set');
  if (new Set(e.uids).size !== e.uids.length) throw new LocoError('invalidInput', '--uids has duplicates');
  return e;
}

async function checkRegistered(chain: Chain, netuid: number, hotkey: string): Promise<number> {
  const uid = await chain.uidOf(netuid, hotkey);
  if (uid === undefined) throw new LocoError('chain', `hotkey ${hotkey} is not registered on subnet ${netuid}: run loco subnet register first`);
  return uid;
}

export async function weightsSet(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const e = weightsFrom(flags);
  const { w, hotkey, network } = await walletTarget(ctx);
  const key = await unlockHot(ctx, flags, w, hotkey);
  await withChain(ctx, flags, network, async (chain) => {
    const uid = await checkRegistered(chain, netuid, key.ss58Address);
    const versionKey = parseVersionKey(flags.versionKey) ?? (await chain.weightsVersionKey(netuid));
    if (await chain.commitRevealEnabled(netuid)) ctx.out.warn(`subnet ${netuid} has commit–reveal on: set_weights will be refused; use loco weights commit`);
    const r = await send(ctx, chain, chain.tx.setWeights(netuid, e.uids, e.values, versionKey), key, 'set_weights');
    ctx.out.result(
      { ...networkJson(chain), netuid, hotkey: key.ss58Address, uid, uids: e.uids, values: e.values, versionKey: versionKey.toString(), ...txJson(r) },
      `${green('weights set')} by uid ${uid} on subnet ${netuid}: ${e.uids.map((u, i) => `${u}:${e.values[i]}`).join(' ')} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}

export async function weightsCommit(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  const netuid = parseNetuid(flags.netuid);
  const e = weightsFrom(flags);
  const salt = flags.salt ? parseNumberList(flags.salt, '--salt', true) : randomSalt();
  if (salt.some((s) => s < 0 || s > 65535)) throw new LocoError('invalidInput', '--salt values must be u16 (0…65535)');
  const { w, hotkey, network } = await walletTarget(ctx);
  const key = await unlockHot(ctx, flags, w, hotkey);
  await withChain(ctx, flags, network, async (chain) => {
    const uid = await checkRegistered(chain, netuid, key.ss58Address);
    const versionKey = parseVersionKey(flags.versionKey) ?? (await chain.weightsVersionKey(netuid));
    const hash = commitHash({ hotkey: key.publicKey, netuid, uids: e.uids, values: e.values, salt, versionKey });
    const reveal = { netuid, hotkey: key.ss58Address, uids: e.uids, values: e.values, salt, versionKey: versionKey.toString(), commitHash: hash };
    if (flags.out) {
      try {
        writeFileAtomic(flags.out, `${JSON.stringify(reveal, null, 2)}\n`, { mode: 0o600 });
      } catch (err) {
        throw fromFsError(err, flags.out);
      }
    }
    const r = await send(ctx, chain, chain.tx.commitWeights(netuid, hash), key, 'commit_weights');
    ctx.out.result({ ...networkJson(chain), uid, ...reveal, ...(flags.out ? { savedTo: flags.out } : {}), ...txJson(r) }, [
      `${green('committed')} weights hash ${hash} for uid ${uid} on subnet ${netuid} (block ${r.blockNumber ?? r.blockHash})`,
      `  reveal with: loco weights reveal --netuid ${netuid} --uids ${e.uids.join(',')} --weights ${e.values.join(',')} --salt ${salt.join(',')} --version-key ${versionKey}` +
        (flags.out ? `\n  or: loco weights reveal --from ${flags.out}` : ''),
    ]);
  });
}

export async function weightsReveal(ctx: Ctx, _args: unknown[], cmd: Command): Promise<void> {
  const flags = flagsOf(cmd);
  let netuid: number;
  let uids: number[];
  let values: number[];
  let salt: number[];
  let versionKey: bigint | undefined = parseVersionKey(flags.versionKey);
  if (flags.from) {
    let saved: { netuid: number; uids: number[]; values: number[]; salt: number[]; versionKey: string };
    try {
      saved = JSON.parse(readFileSync(flags.from, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code) throw fromFsError(err, flags.from);
      throw new LocoError('invalidInput', `${flags.from} is not the JSON written by weights commit --out`);
    }
    netuid = flags.netuid !== undefined ? parseNetuid(flags.netuid) : saved.netuid;
    ({ uids, values, salt } = saved);
    versionKey ??= BigInt(saved.versionKey);
  } else {
    if (flags.netuid === undefined || !flags.uids || !flags.weights || !flags.salt) {
      throw new LocoError('usage', 'give --from FILE, or --netuid, --uids, --weights and --salt (as committed)');
    }
    netuid = parseNetuid(flags.netuid);
    ({ uids, values } = weightsFrom(flags));
    salt = parseNumberList(flags.salt, '--salt', true);
  }
  const { w, hotkey, network } = await walletTarget(ctx);
  const key = await unlockHot(ctx, flags, w, hotkey);
  await withChain(ctx, flags, network, async (chain) => {
    const uid = await checkRegistered(chain, netuid, key.ss58Address);
    versionKey ??= await chain.weightsVersionKey(netuid);
    const hash = commitHash({ hotkey: key.publicKey, netuid, uids, values, salt, versionKey });
    const r = await send(ctx, chain, chain.tx.revealWeights(netuid, uids, values, salt, versionKey), key, 'reveal_weights');
    ctx.out.result(
      { ...networkJson(chain), netuid, hotkey: key.ss58Address, uid, uids, values, salt, versionKey: versionKey.toString(), commitHash: hash, ...txJson(r) },
      `${green('revealed')} weights of uid ${uid} on subnet ${netuid}: ${uids.map((u, i) => `${u}:${values[i]}`).join(' ')} (block ${r.blockNumber ?? r.blockHash})`,
    );
  });
}
