// The devnet runtime: chain state as plain data, the calls it dispatches (Subtensor semantics,
// simplified where docs/devnet.md says so), per-block hooks (emission, epochs) and the mapping
// of that state onto Substrate storage keys/values, encoded with the devnet's own metadata.
import { Keyring } from '@polkadot/keyring';
import type { Call } from '@polkadot/types/interfaces';
import type { Codec } from '@polkadot/types/types';
import { compactToU8a, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, cryptoWaitReady, xxhashAsU8a } from '@polkadot/util-crypto';
import { ADMIN_CALLS, DEVNET_DEFAULTS as D, buildMetadata, type BuiltMetadata } from './metadata.js';
import { toU16, yumaEpoch } from './yuma.js';

export type Hex = `0x${string}`;

export interface Axon {
  block: number;
  version: number;
  ip: string; // u128 decimal
  port: number;
  ipType: number;
  protocol: number;
}

export interface Neuron {
  hotkey: Hex;
  coldkey: Hex;
  registeredAt: number;
  lastUpdate: number;
  weightsSetAt: number | null;
  active: boolean;
  permit: boolean;
  rank: number;
  trust: number;
  consensus: number;
  incentive: number;
  dividends: number;
  validatorTrust: number;
  pruning: number;
  emission: bigint;
  weights: [number, number][];
  bonds: [number, number][];
  axon: Axon | null;
}

export interface Subnet {
  netuid: number;
  owner: Hex;
  ownerHotkey: Hex;
  registeredAt: number;
  tempo: number;
  burn: bigint;
  minBurn: bigint;
  maxBurn: bigint;
  immunityPeriod: number;
  maxAllowedUids: number;
  maxAllowedValidators: number;
  minAllowedWeights: number;
  maxWeightsLimit: number;
  weightsSetRateLimit: bigint;
  weightsVersionKey: bigint;
  commitReveal: boolean;
  revealPeriodEpochs: number;
  activityCutoff: number;
  kappa: number;
  rho: number;
  bondsMovingAverage: bigint;
  registrationAllowed: boolean;
  maxRegistrationsPerBlock: number;
  registrationsThisBlock: number;
  registrationsThisInterval: number;
  firstEmissionBlock: number | null;
  blocksSinceLastStep: number;
  lastStepBlock: number;
  pendingEmission: bigint;
  locked: bigint;
  subnetTao: bigint;
  alphaOut: bigint;
  neurons: Neuron[];
  /** hotkey → [hash, commit block, first reveal block, last reveal block, commit epoch] */
  commits: Record<string, [Hex, number, number, number, number][]>;
}

export interface State {
  version: 1;
  number: number;
  timestamp: number;
  accounts: Record<string, { nonce: number; free: bigint }>;
  totalIssuance: bigint;
  sudo: Hex;
  subnets: Record<string, Subnet>;
  owner: Record<string, Hex>; // hotkey → coldkey
  ownedHotkeys: Record<string, Hex[]>;
  stakingHotkeys: Record<string, Hex[]>;
  stake: Record<string, bigint>; // `${hot}|${cold}|${netuid}` → alpha
  commitments: Record<string, { block: number; info: Hex }>; // `${netuid}|${who}`
}

export interface EventRec {
  phase: { ApplyExtrinsic: number } | 'Initialization' | 'Finalization';
  pallet: string;
  name: string;
  data: unknown[];
}

export class DispatchErr extends Error {
  constructor(readonly value: unknown, message: string) {
    super(message);
  }
}

const TAO = 1_000_000_000n;

export const DEV_ACCOUNTS: [string, bigint][] = [
  ['Alice', 1_000_000n * TAO],
  ['Bob', 1_000_000n * TAO],
  ['Charlie', 1_000_000n * TAO],
  ['Dave', 2_000n * TAO],
  ['Eve', 2_000n * TAO],
  ['Ferdie', 2_000n * TAO],
];

export async function devKeyring() {
  await cryptoWaitReady();
  const k = new Keyring({ type: 'sr25519', ss58Format: 42 });
  return Object.fromEntries(DEV_ACCOUNTS.map(([n]) => [n, k.addFromUri(`//${n}`)]));
}

export async function genesisState(): Promise<State> {
  const kr = await devKeyring();
  const accounts: State['accounts'] = {};
  let total = 0n;
  for (const [n, amount] of DEV_ACCOUNTS) {
    accounts[u8aToHex(kr[n]!.publicKey)] = { nonce: 0, free: amount };
    total += amount;
  }
  const alice = u8aToHex(kr.Alice!.publicKey) as Hex;
  const root = newSubnet(0, alice, alice, 0);
  root.tempo = 100;
  return {
    version: 1,
    number: 0,
    timestamp: 0,
    accounts,
    totalIssuance: total,
    sudo: alice,
    subnets: { '0': root },
    owner: {},
    ownedHotkeys: {},
    stakingHotkeys: {},
    stake: {},
    commitments: {},
  };
}

function newSubnet(netuid: number, owner: Hex, ownerHotkey: Hex, block: number): Subnet {
  return {
    netuid,
    owner,
    ownerHotkey,
    registeredAt: block,
    tempo: D.tempo,
    burn: D.burn,
    minBurn: D.minBurn,
    maxBurn: D.maxBurn,
    immunityPeriod: D.immunityPeriod,
    maxAllowedUids: D.maxAllowedUids,
    maxAllowedValidators: D.maxAllowedValidators,
    minAllowedWeights: D.minAllowedWeights,
    maxWeightsLimit: D.maxWeightsLimit,
    weightsSetRateLimit: BigInt(D.weightsSetRateLimit),
    weightsVersionKey: D.weightsVersionKey,
    commitReveal: D.commitRevealWeightsEnabled,
    revealPeriodEpochs: D.revealPeriodEpochs,
    activityCutoff: D.activityCutoff,
    kappa: D.kappa,
    rho: D.rho,
    bondsMovingAverage: D.bondsMovingAverage,
    registrationAllowed: true,
    maxRegistrationsPerBlock: D.maxRegistrationsPerBlock,
    registrationsThisBlock: 0,
    registrationsThisInterval: 0,
    firstEmissionBlock: null,
    blocksSinceLastStep: 0,
    lastStepBlock: block,
    pendingEmission: 0n,
    locked: 0n,
    subnetTao: 0n,
    alphaOut: 0n,
    neurons: [],
    commits: {},
  };
}

function newNeuron(hotkey: Hex, coldkey: Hex, block: number): Neuron {
  return {
    hotkey,
    coldkey,
    registeredAt: block,
    lastUpdate: block,
    weightsSetAt: null,
    active: true,
    permit: false,
    rank: 0,
    trust: 0,
    consensus: 0,
    incentive: 0,
    dividends: 0,
    validatorTrust: 0,
    pruning: 0,
    emission: 0n,
    weights: [],
    bonds: [],
    axon: null,
  };
}

// ---------------------------------------------------------------------------------------------
// JSON (de)serialisation of the state: bigints as {"$big": "123"}.
export function stateToJson(s: State): string {
  return JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? { $big: v.toString() } : v));
}
export function stateFromJson(text: string): State {
  return JSON.parse(text, (_k, v) => (v && typeof v === 'object' && typeof v.$big === 'string' ? BigInt(v.$big) : v)) as State;
}

// ---------------------------------------------------------------------------------------------
// Fees: fee = BASE_FEE + LENGTH_FEE·len + ref_time / WEIGHT_FEE_DIVISOR (RAO), plus the tip.

export const BASE_FEE = 100_000n;
export const LENGTH_FEE = 1_000n;
export const WEIGHT_FEE_DIVISOR = 10_000n;

const PAYS_NO = new Set([
  'subtensorModule.setWeights',
  'subtensorModule.commitWeights',
  'subtensorModule.revealWeights',
  'commitments.setCommitment',
  'sudo.sudo',
]);

export function callWeight(call: Call): bigint {
  const key = `${call.section}.${call.method}`;
  if (key.startsWith('balances.')) return 200_000_000n;
  if (key === 'subtensorModule.burnedRegister' || key === 'subtensorModule.registerNetwork') return 500_000_000n;
  if (key === 'timestamp.set') return 10_000_000n;
  return 300_000_000n;
}

export function paysFee(call: Call): boolean {
  return !PAYS_NO.has(`${call.section}.${call.method}`);
}

export function computeFee(call: Call, len: number): { base: bigint; len: bigint; weight: bigint; total: bigint } {
  if (!paysFee(call)) return { base: 0n, len: 0n, weight: 0n, total: 0n };
  const w = callWeight(call) / WEIGHT_FEE_DIVISOR;
  const l = LENGTH_FEE * BigInt(len);
  return { base: BASE_FEE, len: l, weight: w, total: BASE_FEE + l + w };
}

// ---------------------------------------------------------------------------------------------

type Origin = { signed: Hex } | 'root';

export class Runtime {
  readonly md: BuiltMetadata;
  events: EventRec[] = [];
  phase: EventRec['phase'] = 'Initialization';

  constructor(public state: State) {
    this.md = buildMetadata();
  }

  get block(): number {
    return this.state.number;
  }

  emit(pallet: string, name: string, data: unknown[]): void {
    this.events.push({ phase: this.phase, pallet, name, data });
  }

  modErr(pallet: string, name: string): DispatchErr {
    const idx = this.md.errorIndex[pallet]?.[name];
    if (idx === undefined) throw new Error(`unknown error ${pallet}.${name}`);
    const error = u8aToHex(Uint8Array.from([idx, 0, 0, 0]));
    return new DispatchErr({ Module: { index: this.md.palletIndex[pallet], error } }, `${pallet}.${name}`);
  }

  // --- balances ------------------------------------------------------------------------------
  free(who: string): bigint {
    return this.state.accounts[who]?.free ?? 0n;
  }
  nonce(who: string): number {
    return this.state.accounts[who]?.nonce ?? 0;
  }
  private setFree(who: Hex, v: bigint): void {
    const a = this.state.accounts[who];
    if (a) {
      a.free = v;
      if (v === 0n && a.nonce === 0) delete this.state.accounts[who];
    } else if (v > 0n) {
      this.state.accounts[who] = { nonce: 0, free: v };
      this.emit('System', 'NewAccount', [who]);
      this.emit('Balances', 'Endowed', [who, v]);
    }
  }
  /** Take from an account (burn). Fails if that would go below the existential deposit (keep alive). */
  withdraw(who: Hex, amount: bigint, keepAlive = true): void {
    const free = this.free(who);
    if (amount > free) throw new DispatchErr({ Token: 'FundsUnavailable' }, 'Token.FundsUnavailable');
    if (keepAlive && free - amount < D.existentialDeposit && free - amount !== 0n)
      throw new DispatchErr({ Token: 'NotExpendable' }, 'Token.NotExpendable');
    this.setFree(who, free - amount);
  }
  deposit(who: Hex, amount: bigint): void {
    this.setFree(who, this.free(who) + amount);
  }

  transfer(from: Hex, to: Hex, value: bigint, keepAlive: boolean): void {
    const free = this.free(from);
    if (value > free) throw new DispatchErr({ Token: 'FundsUnavailable' }, 'Token.FundsUnavailable');
    const rest = free - value;
    if (keepAlive && rest < D.existentialDeposit) throw new DispatchErr({ Token: 'NotExpendable' }, 'Token.NotExpendable');
    if (from !== to && this.free(to) + value < D.existentialDeposit) throw new DispatchErr({ Token: 'BelowMinimum' }, 'Token.BelowMinimum');
    if (from === to) {
      this.emit('Balances', 'Transfer', [from, to, value]);
      return;
    }
    this.state.accounts[from]!.free = rest;
    this.deposit(to, value);
    this.emit('Balances', 'Transfer', [from, to, value]);
    if (rest < D.existentialDeposit) {
      // reaped (allow death)
      const acc = this.state.accounts[from]!;
      if (rest > 0n) {
        this.emit('Balances', 'DustLost', [from, rest]);
        this.state.totalIssuance -= rest;
      }
      acc.free = 0n;
      delete this.state.accounts[from];
      this.emit('System', 'KilledAccount', [from]);
    }
  }

  // --- subtensor helpers ---------------------------------------------------------------------
  subnet(netuid: number): Subnet | undefined {
    return this.state.subnets[String(netuid)];
  }
  uidOf(sn: Subnet, hotkey: string): number {
    return sn.neurons.findIndex((n) => n.hotkey === hotkey);
  }
  stakeOf(hot: string, cold: string, netuid: number): bigint {
    return this.state.stake[`${hot}|${cold}|${netuid}`] ?? 0n;
  }
  addStake(hot: Hex, cold: Hex, netuid: number, amount: bigint): void {
    const k = `${hot}|${cold}|${netuid}`;
    const v = (this.state.stake[k] ?? 0n) + amount;
    if (v === 0n) delete this.state.stake[k];
    else this.state.stake[k] = v;
    const list = (this.state.stakingHotkeys[cold] ??= []);
    if (!list.includes(hot)) list.push(hot);
  }
  totalHotkeyAlpha(hot: string, netuid: number): bigint {
    let t = 0n;
    const suffix = `|${netuid}`;
    for (const [k, v] of Object.entries(this.state.stake)) if (k.startsWith(`${hot}|`) && k.endsWith(suffix)) t += v;
    return t;
  }
  stakersOf(hot: string, netuid: number): [Hex, bigint][] {
    const out: [Hex, bigint][] = [];
    for (const [k, v] of Object.entries(this.state.stake)) {
      const [h, c, n] = k.split('|');
      if (h === hot && Number(n) === netuid) out.push([c as Hex, v]);
    }
    return out;
  }
  epochIndex(sn: Subnet, block: number): number {
    return Math.floor((block + sn.netuid + 1) / (sn.tempo + 1));
  }

  // --- dispatch ------------------------------------------------------------------------------
  dispatch(call: Call, origin: Origin): void {
    const args: Record<string, Codec> = {};
    call.meta.fields.forEach((f, i) => {
      args[f.name.unwrap().toString()] = call.args[i]!;
    });
    const key = `${call.section}.${call.method}`;
    const signed = origin === 'root' ? null : origin.signed;
    const needSigned = (): Hex => {
      if (!signed) throw new DispatchErr({ BadOrigin: null }, 'BadOrigin');
      return signed;
    };
    const needRoot = () => {
      if (origin !== 'root') throw new DispatchErr({ BadOrigin: null }, 'BadOrigin');
    };
    const acc = (c: Codec): Hex => u8aToHex(c.toU8a()) as Hex;
    const addr = (c: Codec): Hex => {
      const u = c.toU8a();
      if (u.length !== 33 || u[0] !== 0) throw new DispatchErr({ CannotLookup: null }, 'CannotLookup');
      return u8aToHex(u.subarray(1)) as Hex;
    };
    const num = (c: Codec): number => Number((c as unknown as { toBigInt(): bigint }).toBigInt());
    const big = (c: Codec): bigint => (c as unknown as { toBigInt(): bigint }).toBigInt();
    const u16s = (c: Codec): number[] => (c as unknown as Codec[]).map((x) => num(x));
    switch (key) {
      case 'system.remark':
        needSigned();
        return;
      case 'system.remarkWithEvent':
        this.emit('System', 'Remarked', [needSigned(), blake2AsHex(args.remark!.toU8a(true))]);
        return;
      case 'timestamp.set':
        this.state.timestamp = num(args.now!);
        return;
      case 'balances.transferAllowDeath':
        return this.transfer(needSigned(), addr(args.dest!), big(args.value!), false);
      case 'balances.transferKeepAlive':
        return this.transfer(needSigned(), addr(args.dest!), big(args.value!), true);
      case 'balances.transferAll': {
        const from = needSigned();
        const keep = args.keep_alive!.toString() === 'true';
        const free = this.free(from);
        return this.transfer(from, addr(args.dest!), keep ? (free > D.existentialDeposit ? free - D.existentialDeposit : 0n) : free, keep);
      }
      case 'balances.forceSetBalance': {
        needRoot();
        const who = addr(args.who!);
        const v = big(args.new_free!);
        const old = this.free(who);
        this.state.totalIssuance += v - old;
        if (this.state.accounts[who]) this.state.accounts[who].free = v;
        else if (v > 0n) this.state.accounts[who] = { nonce: 0, free: v };
        this.emit('Balances', 'BalanceSet', [who, v]);
        return;
      }
      case 'sudo.sudo': {
        const who = needSigned();
        if (who !== this.state.sudo) throw this.modErr('Sudo', 'RequireSudo');
        const inner = args.call as unknown as Call;
        let result: unknown = { Ok: null };
        try {
          this.transactional(() => this.dispatch(inner, 'root'));
        } catch (e) {
          if (!(e instanceof DispatchErr)) throw e;
          result = { Err: e.value };
        }
        this.emit('Sudo', 'Sudid', [result]);
        return;
      }
      case 'sudo.setKey': {
        const who = needSigned();
        if (who !== this.state.sudo) throw this.modErr('Sudo', 'RequireSudo');
        const nk = addr(args.new!);
        this.emit('Sudo', 'KeyChanged', [this.state.sudo, nk]);
        this.state.sudo = nk;
        return;
      }
      case 'subtensorModule.registerNetwork':
        return this.registerNetwork(needSigned(), acc(args.hotkey!));
      case 'subtensorModule.startCall':
        return this.startCall(needSigned(), num(args.netuid!));
      case 'subtensorModule.burnedRegister':
        return this.burnedRegister(needSigned(), num(args.netuid!), acc(args.hotkey!));
      case 'subtensorModule.addStake':
        return this.doAddStake(needSigned(), acc(args.hotkey!), num(args.netuid!), big(args.amount_staked!));
      case 'subtensorModule.removeStake':
        return this.doRemoveStake(needSigned(), acc(args.hotkey!), num(args.netuid!), big(args.amount_unstaked!));
      case 'subtensorModule.setWeights':
        return this.setWeights(needSigned(), num(args.netuid!), u16s(args.dests!), u16s(args.weights!), big(args.version_key!), false);
      case 'subtensorModule.commitWeights':
        return this.commitWeights(needSigned(), num(args.netuid!), args.commit_hash!.toHex() as Hex);
      case 'subtensorModule.revealWeights':
        return this.revealWeights(needSigned(), num(args.netuid!), u16s(args.uids!), u16s(args.values!), u16s(args.salt!), big(args.version_key!));
      case 'subtensorModule.serveAxon':
        return this.serveAxon(needSigned(), num(args.netuid!), {
          block: this.block,
          version: num(args.version!),
          ip: big(args.ip!).toString(),
          port: num(args.port!),
          ipType: num(args.ip_type!),
          protocol: num(args.protocol!),
        });
      case 'commitments.setCommitment':
        return this.setCommitment(needSigned(), num(args.netuid!), args.info!);
      default:
        if (call.section === 'adminUtils') return this.admin(call.method, origin, args);
        throw new DispatchErr({ Other: null }, `call ${key} is not implemented by the devnet`);
    }
  }

  /** Run fn; on a DispatchErr restore the state as it was (storage transaction). */
  transactional(fn: () => void): void {
    const snapshot = stateToJson(this.state);
    const nEvents = this.events.length;
    try {
      fn();
    } catch (e) {
      if (e instanceof DispatchErr) {
        this.state = stateFromJson(snapshot);
        this.events.length = nEvents;
      }
      throw e;
    }
  }

  private admin(method: string, origin: Origin, args: Record<string, Codec>): void {
    const def = ADMIN_CALLS.find(([, name]) => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) === method);
    if (!def) throw new DispatchErr({ Other: null }, `adminUtils.${method} not implemented`);
    const netuid = Number(args.netuid!.toString());
    const sn = this.subnet(netuid);
    if (!sn) throw this.modErr('AdminUtils', 'SubnetDoesNotExist');
    const rootOnly = new Set(['sudo_set_tempo', 'sudo_set_kappa', 'sudo_set_max_allowed_validators', 'sudo_set_network_registration_allowed', 'sudo_set_weights_set_rate_limit']);
    if (origin !== 'root') {
      if (rootOnly.has(def[1]) || origin.signed !== sn.owner) throw new DispatchErr({ BadOrigin: null }, 'BadOrigin');
    }
    const v = args[def[2][0]!]!;
    const n = (): number => Number(v.toString());
    const b = (): bigint => BigInt(v.toString());
    switch (def[1]) {
      case 'sudo_set_weights_version_key': sn.weightsVersionKey = b(); break;
      case 'sudo_set_weights_set_rate_limit': sn.weightsSetRateLimit = b(); this.emit('SubtensorModule', 'WeightsSetRateLimitSet', [netuid, sn.weightsSetRateLimit]); break;
      case 'sudo_set_immunity_period': sn.immunityPeriod = n(); break;
      case 'sudo_set_min_allowed_weights': sn.minAllowedWeights = n(); break;
      case 'sudo_set_max_allowed_uids':
        if (n() < sn.neurons.length) throw this.modErr('AdminUtils', 'MaxAllowedUIdsLessThanCurrentUIds');
        sn.maxAllowedUids = n();
        break;
      case 'sudo_set_kappa': sn.kappa = n(); break;
      case 'sudo_set_activity_cutoff': sn.activityCutoff = n(); break;
      case 'sudo_set_network_registration_allowed': sn.registrationAllowed = v.toString() === 'true'; break;
      case 'sudo_set_min_burn': sn.minBurn = b(); break;
      case 'sudo_set_max_burn': sn.maxBurn = b(); break;
      case 'sudo_set_max_allowed_validators': sn.maxAllowedValidators = n(); break;
      case 'sudo_set_tempo': sn.tempo = n(); this.emit('SubtensorModule', 'TempoSet', [netuid, sn.tempo]); break;
      case 'sudo_set_commit_reveal_weights_enabled':
        sn.commitReveal = v.toString() === 'true';
        this.emit('SubtensorModule', 'CommitRevealEnabled', [netuid, sn.commitReveal]);
        break;
    }
  }

  private claimHotkey(cold: Hex, hot: Hex): void {
    const o = this.state.owner[hot];
    if (o && o !== cold) throw this.modErr('SubtensorModule', 'NonAssociatedColdKey');
    if (!o) {
      this.state.owner[hot] = cold;
      (this.state.ownedHotkeys[cold] ??= []).push(hot);
    }
  }

  registerNetwork(cold: Hex, hot: Hex): void {
    const o = this.state.owner[hot];
    if (o && o !== cold) throw this.modErr('SubtensorModule', 'NonAssociatedColdKey');
    const lock = D.networkLockCost;
    if (this.free(cold) < lock) throw this.modErr('SubtensorModule', 'NotEnoughBalanceToStake');
    let netuid = 1;
    while (this.state.subnets[String(netuid)]) netuid++;
    this.withdraw(cold, lock, false);
    this.state.totalIssuance -= lock;
    this.claimHotkey(cold, hot);
    const sn = newSubnet(netuid, cold, hot, this.block);
    sn.locked = lock;
    sn.subnetTao = lock;
    this.state.subnets[String(netuid)] = sn;
    sn.neurons.push(newNeuron(hot, cold, this.block));
    this.emit('SubtensorModule', 'NetworkAdded', [netuid, 1]);
    this.emit('SubtensorModule', 'NeuronRegistered', [netuid, 0, hot]);
  }

  startCall(cold: Hex, netuid: number): void {
    const sn = this.subnet(netuid);
    if (!sn || netuid === 0) throw this.modErr('SubtensorModule', 'SubnetNotExists');
    if (sn.owner !== cold) throw new DispatchErr({ BadOrigin: null }, 'BadOrigin');
    if (sn.firstEmissionBlock !== null) throw this.modErr('SubtensorModule', 'FirstEmissionBlockNumberAlreadySet');
    sn.firstEmissionBlock = this.block + 1;
    this.emit('SubtensorModule', 'FirstEmissionBlockNumberSet', [netuid, sn.firstEmissionBlock]);
  }

  burnedRegister(cold: Hex, netuid: number, hot: Hex): void {
    if (netuid === 0) throw this.modErr('SubtensorModule', 'RegistrationNotPermittedOnRootSubnet');
    const sn = this.subnet(netuid);
    if (!sn) throw this.modErr('SubtensorModule', 'SubnetNotExists');
    if (!sn.registrationAllowed) throw this.modErr('SubtensorModule', 'SubNetRegistrationDisabled');
    if (sn.registrationsThisBlock >= sn.maxRegistrationsPerBlock) throw this.modErr('SubtensorModule', 'TooManyRegistrationsThisBlock');
    if (this.uidOf(sn, hot) >= 0) throw this.modErr('SubtensorModule', 'HotKeyAlreadyRegisteredInSubNet');
    const o = this.state.owner[hot];
    if (o && o !== cold) throw this.modErr('SubtensorModule', 'NonAssociatedColdKey');
    if (this.free(cold) < sn.burn) throw this.modErr('SubtensorModule', 'NotEnoughBalanceToStake');
    let uid: number;
    if (sn.neurons.length < sn.maxAllowedUids) {
      uid = sn.neurons.length;
    } else {
      // replace the lowest pruning score outside the immunity period (ties: oldest, then lowest uid)
      let best = -1;
      sn.neurons.forEach((n, i) => {
        if (this.block - n.registeredAt < sn.immunityPeriod) return;
        if (i === 0 && n.hotkey === sn.ownerHotkey) return;
        const b = sn.neurons[best];
        if (best < 0 || n.pruning < b!.pruning || (n.pruning === b!.pruning && n.registeredAt < b!.registeredAt)) best = i;
      });
      if (best < 0) throw this.modErr('SubtensorModule', 'NoNeuronIdAvailable');
      uid = best;
    }
    this.withdraw(cold, sn.burn, false);
    this.state.totalIssuance -= sn.burn;
    this.claimHotkey(cold, hot);
    sn.neurons[uid] = newNeuron(hot, cold, this.block);
    for (const n of sn.neurons) n.bonds = n.bonds.filter(([j]) => j !== uid);
    delete sn.commits[hot];
    sn.registrationsThisBlock++;
    sn.registrationsThisInterval++;
    this.emit('SubtensorModule', 'NeuronRegistered', [netuid, uid, hot]);
  }

  doAddStake(cold: Hex, hot: Hex, netuid: number, amount: bigint): void {
    if (!this.subnet(netuid)) throw this.modErr('SubtensorModule', 'SubnetNotExists');
    if (!this.state.owner[hot]) throw this.modErr('SubtensorModule', 'HotKeyAccountNotExists');
    if (amount < D.minStake) throw this.modErr('SubtensorModule', 'AmountTooLow');
    if (this.free(cold) < amount) throw this.modErr('SubtensorModule', 'NotEnoughBalanceToStake');
    this.withdraw(cold, amount, false);
    this.addStake(hot, cold, netuid, amount);
    const sn = this.subnet(netuid)!;
    sn.subnetTao += amount;
    sn.alphaOut += amount;
    this.emit('SubtensorModule', 'StakeAdded', [cold, hot, amount, amount, netuid, 0n]);
  }

  doRemoveStake(cold: Hex, hot: Hex, netuid: number, amount: bigint): void {
    if (!this.state.owner[hot]) throw this.modErr('SubtensorModule', 'HotKeyAccountNotExists');
    const sn = this.subnet(netuid);
    if (!sn) throw this.modErr('SubtensorModule', 'SubnetNotExists');
    if (amount === 0n) throw this.modErr('SubtensorModule', 'AmountTooLow');
    if (this.stakeOf(hot, cold, netuid) < amount) throw this.modErr('SubtensorModule', 'NotEnoughStakeToWithdraw');
    this.addStake(hot, cold, netuid, -amount);
    this.deposit(cold, amount);
    sn.subnetTao = sn.subnetTao > amount ? sn.subnetTao - amount : 0n;
    sn.alphaOut = sn.alphaOut > amount ? sn.alphaOut - amount : 0n;
    this.emit('SubtensorModule', 'StakeRemoved', [cold, hot, amount, amount, netuid, 0n]);
  }

  setWeights(hot: Hex, netuid: number, uids: number[], values: number[], versionKey: bigint, fromReveal: boolean): void {
    const E = (n: string) => this.modErr('SubtensorModule', n);
    if (netuid === 0) throw E('CanNotSetRootNetworkWeights');
    if (uids.length !== values.length) throw E('WeightVecNotEqualSize');
    const sn = this.subnet(netuid);
    if (!sn) throw E('SubnetNotExists');
    if (!fromReveal && sn.commitReveal) throw E('CommitRevealEnabled');
    if (uids.length > sn.neurons.length) throw E('UidsLengthExceedUidsInSubNet');
    const uid = this.uidOf(sn, hot);
    if (uid < 0) throw E('HotKeyNotRegisteredInSubNet');
    if (sn.weightsVersionKey !== 0n && versionKey < sn.weightsVersionKey) throw E('IncorrectWeightVersionKey');
    const me = sn.neurons[uid]!;
    if (!fromReveal && me.weightsSetAt !== null && BigInt(this.block - me.weightsSetAt) < sn.weightsSetRateLimit) throw E('SettingWeightsTooFast');
    const selfWeight = uids.length === 1 && uids[0] === uid;
    if (!me.permit && !selfWeight && hot !== sn.ownerHotkey) throw E('NeuronNoValidatorPermit');
    if (new Set(uids).size !== uids.length) throw E('DuplicateUids');
    if (uids.some((u) => u >= sn.neurons.length)) throw E('UidVecContainInvalidOne');
    if (!selfWeight && uids.length < Math.min(sn.neurons.length, sn.minAllowedWeights)) throw E('WeightVecLengthIsLow');
    const max = Math.max(0, ...values);
    const up = values.map((v) => (max > 0 ? Math.round((v * 65535) / max) : 0));
    if (sn.maxWeightsLimit < 65535 && up.length > 1 && Math.max(...up) > sn.maxWeightsLimit) throw E('MaxWeightExceeded');
    me.weights = uids.map((u, i) => [u, up[i]!] as [number, number]).filter(([, w]) => w > 0).sort((a, b) => a[0] - b[0]);
    me.lastUpdate = this.block;
    me.weightsSetAt = this.block;
    this.emit('SubtensorModule', 'WeightsSet', [netuid, uid]);
  }

  commitWeights(hot: Hex, netuid: number, hash: Hex): void {
    const E = (n: string) => this.modErr('SubtensorModule', n);
    const sn = this.subnet(netuid);
    if (!sn) throw E('SubnetNotExists');
    if (!sn.commitReveal) throw E('CommitRevealDisabled');
    const uid = this.uidOf(sn, hot);
    if (uid < 0) throw E('HotKeyNotRegisteredInSubNet');
    const list = (sn.commits[hot] ??= []);
    const cur = this.epochIndex(sn, this.block);
    // drop expired commits
    sn.commits[hot] = list.filter((c) => c[4] + sn.revealPeriodEpochs >= cur);
    const live = sn.commits[hot]!;
    if (live.length >= 10) throw E('TooManyUnrevealedCommits');
    const last = live[live.length - 1];
    if (last && BigInt(this.block - last[1]) < sn.weightsSetRateLimit) throw E('CommittingWeightsTooFast');
    const revealEpoch = cur + sn.revealPeriodEpochs;
    const first = revealEpoch * (sn.tempo + 1) - netuid - 1;
    live.push([hash, this.block, first, first + sn.tempo, cur]);
    this.emit('SubtensorModule', 'WeightsCommitted', [hot, netuid, hash]);
  }

  revealWeights(hot: Hex, netuid: number, uids: number[], values: number[], salt: number[], versionKey: bigint): void {
    const E = (n: string) => this.modErr('SubtensorModule', n);
    const sn = this.subnet(netuid);
    if (!sn) throw E('SubnetNotExists');
    if (!sn.commitReveal) throw E('CommitRevealDisabled');
    const list = sn.commits[hot];
    if (!list || list.length === 0) throw E('NoWeightsCommitFound');
    const reg = this.md.registry;
    const enc = u8aConcat(
      hexToU8a(hot),
      reg.createType('u16', netuid).toU8a(),
      reg.createType('Vec<u16>', uids).toU8a(),
      reg.createType('Vec<u16>', values).toU8a(),
      reg.createType('Vec<u16>', salt).toU8a(),
      reg.createType('u64', versionKey).toU8a(),
    );
    const hash = blake2AsHex(enc, 256);
    const idx = list.findIndex((c) => c[0] === hash);
    if (idx < 0) throw E('InvalidRevealCommitHashNotMatch');
    const c = list[idx]!;
    const cur = this.epochIndex(sn, this.block);
    if (cur < c[4] + sn.revealPeriodEpochs) throw E('RevealTooEarly');
    if (cur > c[4] + sn.revealPeriodEpochs) throw E('ExpiredWeightCommit');
    this.setWeights(hot, netuid, uids, values, versionKey, true);
    list.splice(0, idx + 1);
    if (list.length === 0) delete sn.commits[hot];
    this.emit('SubtensorModule', 'WeightsRevealed', [hot, netuid, hash]);
  }

  serveAxon(hot: Hex, netuid: number, axon: Axon): void {
    const E = (n: string) => this.modErr('SubtensorModule', n);
    const sn = this.subnet(netuid);
    if (!sn) throw E('SubnetNotExists');
    const uid = this.uidOf(sn, hot);
    if (uid < 0) throw E('HotKeyNotRegisteredInNetwork');
    if (axon.ipType !== 4 && axon.ipType !== 6) throw E('InvalidIpType');
    if (axon.port === 0) throw E('InvalidPort');
    const ip = BigInt(axon.ip);
    if (ip === 0n || (axon.ipType === 4 && ip >= 1n << 32n)) throw E('InvalidIpAddress');
    sn.neurons[uid]!.axon = axon;
    this.emit('SubtensorModule', 'AxonServed', [netuid, hot]);
  }

  setCommitment(who: Hex, netuid: number, info: Codec): void {
    const sn = this.subnet(netuid);
    if (!sn || this.uidOf(sn, who) < 0) throw this.modErr('Commitments', 'AccountNotAllowedCommit');
    const fields = (info as unknown as { fields: Codec[] & { length: number } }).fields;
    if (fields.length > 3) throw this.modErr('Commitments', 'TooManyFieldsInCommitmentInfo');
    this.state.commitments[`${netuid}|${who}`] = { block: this.block, info: info.toHex() as Hex };
    this.emit('Commitments', 'Commitment', [netuid, who]);
  }

  // --- block hooks ---------------------------------------------------------------------------
  onInitialize(): void {
    this.phase = 'Initialization';
    const block = this.block;
    for (const sn of Object.values(this.state.subnets)) {
      sn.registrationsThisBlock = 0;
      if (sn.netuid === 0) continue;
      if (sn.firstEmissionBlock !== null && block >= sn.firstEmissionBlock) sn.pendingEmission += D.emissionPerBlock;
      sn.blocksSinceLastStep++;
      if ((block + sn.netuid + 1) % (sn.tempo + 1) === 0) {
        if (sn.firstEmissionBlock !== null && block >= sn.firstEmissionBlock) this.runEpoch(sn);
        sn.blocksSinceLastStep = 0;
        sn.lastStepBlock = block;
        sn.registrationsThisInterval = 0;
      }
    }
  }

  runEpoch(sn: Subnet): void {
    const n = sn.neurons.length;
    if (n === 0) return;
    const stakes = sn.neurons.map((x) => this.totalHotkeyAlpha(x.hotkey, sn.netuid));
    const out = yumaEpoch({
      block: this.block,
      stake: stakes.map((s) => Number(s)),
      lastUpdate: sn.neurons.map((x) => x.lastUpdate),
      blockAtRegistration: sn.neurons.map((x) => x.registeredAt),
      activityCutoff: sn.activityCutoff,
      permits: sn.neurons.map((x) => x.permit),
      maxAllowedValidators: sn.maxAllowedValidators,
      weights: sn.neurons.map((x) => x.weights),
      bonds: sn.neurons.map((x) => x.bonds),
      kappa: sn.kappa / 65535,
      bondsAlpha: 1 - Number(sn.bondsMovingAverage) / 1_000_000,
    });
    // emission: owner cut, then half to miners by incentive, half to validators by dividends
    const E = sn.pendingEmission;
    sn.pendingEmission = 0n;
    const ownerCut = (E * BigInt(D.subnetOwnerCut)) / 65535n;
    const rest = E - ownerCut;
    const minerTotal = rest / 2n;
    const valTotal = rest - minerTotal;
    if (ownerCut > 0n) this.addStake(sn.ownerHotkey, sn.owner, sn.netuid, ownerCut);
    const share = (total: bigint, x: number) => BigInt(Math.floor(Number(total) * x));
    sn.neurons.forEach((nr, i) => {
      const inc = share(minerTotal, out.incentive[i]!);
      const div = share(valTotal, out.dividends[i]!);
      if (inc > 0n) this.addStake(nr.hotkey, this.state.owner[nr.hotkey] ?? nr.coldkey, sn.netuid, inc);
      if (div > 0n) {
        const stakers = this.stakersOf(nr.hotkey, sn.netuid);
        const tot = stakers.reduce((a, [, v]) => a + v, 0n);
        if (tot === 0n) this.addStake(nr.hotkey, nr.coldkey, sn.netuid, div);
        else {
          let paid = 0n;
          stakers.forEach(([c, v], k) => {
            const part = k === stakers.length - 1 ? div - paid : (div * v) / tot;
            paid += part;
            this.addStake(nr.hotkey, c, sn.netuid, part);
          });
        }
      }
      sn.alphaOut += inc + div;
      nr.emission = inc + div;
      nr.active = out.active[i]!;
      nr.permit = out.newPermits[i]!;
      nr.consensus = toU16(out.consensus[i]!);
      nr.incentive = toU16(out.incentive[i]!);
      nr.dividends = toU16(out.dividends[i]!);
      nr.trust = toU16(out.trust[i]!);
      nr.rank = toU16(out.rank[i]!);
      nr.validatorTrust = toU16(out.validatorTrust[i]!);
      nr.pruning = toU16(Math.max(out.incentive[i]!, out.dividends[i]!));
      nr.bonds = out.bonds[i]!.map((b, j) => [j, toU16(b)] as [number, number]).filter(([, b]) => b > 0);
    });
    sn.alphaOut += ownerCut;
  }
}

// ---------------------------------------------------------------------------------------------
// Storage: state → Substrate key/value pairs (hex), encoded with the devnet's metadata.

function hashKey(hasher: string, data: Uint8Array): Uint8Array {
  switch (hasher) {
    case 'Identity':
      return data;
    case 'Twox64Concat':
      return u8aConcat(xxhashAsU8a(data, 64), data);
    case 'Blake2_128Concat':
      return u8aConcat(blake2AsU8a(data, 128), data);
    case 'Twox128':
      return xxhashAsU8a(data, 128);
    case 'Blake2_128':
      return blake2AsU8a(data, 128);
    default:
      return blake2AsU8a(data, 256);
  }
}

export function storagePrefix(pallet: string, item: string): Uint8Array {
  return u8aConcat(xxhashAsU8a(stringToU8a(pallet), 128), xxhashAsU8a(stringToU8a(item), 128));
}

export class StorageWriter {
  readonly out = new Map<string, string>();
  private readonly prefixes = new Map<string, Uint8Array>();
  constructor(private readonly md: BuiltMetadata) {}

  put(pallet: string, item: string, keys: unknown[], value: unknown): void {
    const entry = this.md.storage.get(`${pallet}.${item}`);
    if (!entry) throw new Error(`no storage ${pallet}.${item}`);
    const reg = this.md.registry;
    let prefix = this.prefixes.get(`${pallet}.${item}`);
    if (!prefix) {
      prefix = storagePrefix(pallet, item);
      this.prefixes.set(`${pallet}.${item}`, prefix);
    }
    const parts = keys.map((k, i) => {
      const ty = entry.keyTypes[i]!;
      const bytes = k instanceof Uint8Array ? k : reg.createTypeUnsafe(reg.createLookupType(ty), [k]).toU8a();
      return hashKey(entry.spec.keys![i]![0], bytes);
    });
    const key = u8aToHex(u8aConcat(prefix, ...parts));
    const val = value instanceof Uint8Array ? value : reg.createTypeUnsafe(reg.createLookupType(entry.valueType), [value]).toU8a();
    this.out.set(key, u8aToHex(val));
  }
}

export function encodeEvents(md: BuiltMetadata, events: EventRec[]): Uint8Array {
  const reg = md.registry;
  const parts: Uint8Array[] = [compactToU8a(events.length)];
  const lookup = md.metadata.asLatest;
  for (const ev of events) {
    const pallet = lookup.pallets.find((p) => p.name.toString() === ev.pallet)!;
    const evTy = pallet.events.unwrap().type;
    const variant = reg.lookup.getSiType(evTy).def.asVariant.variants.find((v) => v.name.toString() === ev.name);
    if (!variant) throw new Error(`no event ${ev.pallet}.${ev.name}`);
    const phase = ev.phase === 'Initialization' ? [2] : ev.phase === 'Finalization' ? [1] : [0, ...reg.createType('u32', ev.phase.ApplyExtrinsic).toU8a()];
    parts.push(Uint8Array.from(phase), Uint8Array.from([pallet.index.toNumber(), variant.index.toNumber()]));
    variant.fields.forEach((f, i) => {
      parts.push(reg.createTypeUnsafe(reg.createLookupType(f.type), [ev.data[i]]).toU8a());
    });
    parts.push(Uint8Array.from([0])); // topics
  }
  return u8aConcat(...parts);
}

const blockHashCache = new Map<string, [string, string]>();

/** All storage of the chain at the end of a block. */
export function materialize(
  md: BuiltMetadata,
  s: State,
  chain: { number: number; parentHash: Hex; events: Uint8Array; eventCount: number; hashes: (n: number) => Hex | undefined },
): Map<string, string> {
  const w = new StorageWriter(md);
  for (const [who, a] of Object.entries(s.accounts)) {
    w.put('System', 'Account', [hexToU8a(who)], {
      nonce: a.nonce,
      consumers: 0,
      providers: 1,
      sufficients: 0,
      data: { free: a.free, reserved: 0, frozen: 0, flags: 1n << 127n },
    });
  }
  w.put('System', 'Number', [], chain.number);
  w.put('System', 'ParentHash', [], chain.parentHash);
  w.put('System', 'Events', [], chain.events);
  w.put('System', 'EventCount', [], chain.eventCount);
  for (let n = Math.max(0, chain.number - 2400); n <= chain.number; n++) {
    const h = chain.hashes(n);
    if (!h) continue;
    const ck = `${n}:${h}`;
    let kv = blockHashCache.get(ck);
    if (!kv) {
      const tmp = new StorageWriter(md);
      tmp.put('System', 'BlockHash', [n], h);
      kv = [...tmp.out.entries()][0]!;
      blockHashCache.set(ck, kv);
      if (blockHashCache.size > 5000) blockHashCache.delete(blockHashCache.keys().next().value!);
    }
    w.out.set(kv[0], kv[1]);
  }
  w.put('Timestamp', 'Now', [], s.timestamp);
  w.put('Balances', 'TotalIssuance', [], s.totalIssuance);
  w.put('Sudo', 'Key', [], s.sudo);

  const st = 'SubtensorModule';
  let totalStake = 0n;
  for (const v of Object.values(s.stake)) totalStake += v;
  w.put(st, 'TotalStake', [], totalStake);
  w.put(st, 'TotalIssuance', [], s.totalIssuance + totalStake);
  w.put(st, 'TotalNetworks', [], Object.keys(s.subnets).length);
  w.put(st, 'NetworkMinLockCost', [], D.networkLockCost);
  w.put(st, 'NetworkLastLockCost', [], D.networkLockCost);
  for (const [hot, cold] of Object.entries(s.owner)) w.put(st, 'Owner', [hexToU8a(hot)], cold);
  for (const [cold, hots] of Object.entries(s.ownedHotkeys)) w.put(st, 'OwnedHotkeys', [hexToU8a(cold)], hots);
  for (const [cold, hots] of Object.entries(s.stakingHotkeys)) w.put(st, 'StakingHotkeys', [hexToU8a(cold)], hots);
  const hotAlpha = new Map<string, bigint>();
  for (const [k, v] of Object.entries(s.stake)) {
    const [hot, cold, net] = k.split('|') as [Hex, Hex, string];
    w.put(st, 'Alpha', [hexToU8a(hot), hexToU8a(cold), Number(net)], { bits: v << 64n });
    const hk = `${hot}|${net}`;
    hotAlpha.set(hk, (hotAlpha.get(hk) ?? 0n) + v);
  }
  for (const [hk, v] of hotAlpha) {
    const [hot, net] = hk.split('|') as [Hex, string];
    w.put(st, 'TotalHotkeyAlpha', [hexToU8a(hot), Number(net)], v);
  }
  for (const sn of Object.values(s.subnets)) {
    const u = sn.netuid;
    const N = sn.neurons;
    w.put(st, 'NetworksAdded', [u], true);
    w.put(st, 'SubnetworkN', [u], N.length);
    w.put(st, 'SubnetMechanism', [u], u === 0 ? 0 : 1);
    w.put(st, 'SubnetOwner', [u], sn.owner);
    w.put(st, 'SubnetOwnerHotkey', [u], sn.ownerHotkey);
    w.put(st, 'Tempo', [u], sn.tempo);
    w.put(st, 'Burn', [u], sn.burn);
    w.put(st, 'MinBurn', [u], sn.minBurn);
    w.put(st, 'MaxBurn', [u], sn.maxBurn);
    w.put(st, 'ImmunityPeriod', [u], sn.immunityPeriod);
    w.put(st, 'MaxAllowedUids', [u], sn.maxAllowedUids);
    w.put(st, 'MaxAllowedValidators', [u], sn.maxAllowedValidators);
    w.put(st, 'MinAllowedWeights', [u], sn.minAllowedWeights);
    w.put(st, 'MaxWeightsLimit', [u], sn.maxWeightsLimit);
    w.put(st, 'WeightsSetRateLimit', [u], sn.weightsSetRateLimit);
    w.put(st, 'WeightsVersionKey', [u], sn.weightsVersionKey);
    w.put(st, 'CommitRevealWeightsEnabled', [u], sn.commitReveal);
    w.put(st, 'RevealPeriodEpochs', [u], sn.revealPeriodEpochs);
    w.put(st, 'ActivityCutoff', [u], sn.activityCutoff);
    w.put(st, 'Kappa', [u], sn.kappa);
    w.put(st, 'Rho', [u], sn.rho);
    w.put(st, 'BondsMovingAverage', [u], sn.bondsMovingAverage);
    w.put(st, 'MaxRegistrationsPerBlock', [u], sn.maxRegistrationsPerBlock);
    w.put(st, 'RegistrationsThisBlock', [u], sn.registrationsThisBlock);
    w.put(st, 'RegistrationsThisInterval', [u], sn.registrationsThisInterval);
    w.put(st, 'NetworkRegistrationAllowed', [u], sn.registrationAllowed);
    if (sn.firstEmissionBlock !== null) w.put(st, 'FirstEmissionBlockNumber', [u], sn.firstEmissionBlock);
    w.put(st, 'SubnetLocked', [u], sn.locked);
    w.put(st, 'SubnetTAO', [u], sn.subnetTao);
    w.put(st, 'SubnetAlphaIn', [u], sn.subnetTao);
    w.put(st, 'SubnetAlphaOut', [u], sn.alphaOut);
    w.put(st, 'BlocksSinceLastStep', [u], sn.blocksSinceLastStep);
    w.put(st, 'Difficulty', [u], 10_000_000);
    w.put(st, 'MinDifficulty', [u], 10_000_000);
    w.put(st, 'MaxDifficulty', [u], 4611686018427387903n);
    w.put(st, 'AdjustmentInterval', [u], 100);
    w.put(st, 'LiquidAlphaOn', [u], false);
    w.put(st, 'Yuma3On', [u], false);
    w.put(st, 'AlphaValues', [u], [45875, 58982]);
    w.put(st, 'BondsPenalty', [u], 65535);
    w.put(st, 'SubtokenEnabled', [u], sn.firstEmissionBlock !== null);
    w.put(st, 'TransferToggle', [u], true);
    w.put(st, 'TargetRegistrationsPerInterval', [u], D.targetRegistrationsPerInterval);
    w.put(st, 'ServingRateLimit', [u], D.servingRateLimit);
    w.put(st, 'LastMechansimStepBlock', [u], sn.lastStepBlock);
    w.put(st, 'Active', [u], N.map((x) => x.active));
    w.put(st, 'ValidatorPermit', [u], N.map((x) => x.permit));
    w.put(st, 'Rank', [u], N.map((x) => x.rank));
    w.put(st, 'Trust', [u], N.map((x) => x.trust));
    w.put(st, 'Consensus', [u], N.map((x) => x.consensus));
    w.put(st, 'Incentive', [u], N.map((x) => x.incentive));
    w.put(st, 'Dividends', [u], N.map((x) => x.dividends));
    w.put(st, 'ValidatorTrust', [u], N.map((x) => x.validatorTrust));
    w.put(st, 'PruningScores', [u], N.map((x) => x.pruning));
    w.put(st, 'Emission', [u], N.map((x) => x.emission));
    w.put(st, 'LastUpdate', [u], N.map((x) => x.lastUpdate));
    const stakes = N.map((x) => hotAlpha.get(`${x.hotkey}|${u}`) ?? 0n);
    const maxStake = stakes.reduce((a, b) => (b > a ? b : a), 0n);
    w.put(st, 'StakeWeight', [u], stakes.map((x) => (maxStake > 0n ? Number((x * 65535n) / maxStake) : 0)));
    N.forEach((x, uid) => {
      w.put(st, 'Keys', [u, uid], x.hotkey);
      w.put(st, 'Uids', [u, hexToU8a(x.hotkey)], uid);
      w.put(st, 'BlockAtRegistration', [u, uid], x.registeredAt);
      if (x.weights.length) w.put(st, 'Weights', [u, uid], x.weights);
      if (x.bonds.length) w.put(st, 'Bonds', [u, uid], x.bonds);
      if (x.axon)
        w.put(st, 'Axons', [u, hexToU8a(x.hotkey)], {
          block: x.axon.block,
          version: x.axon.version,
          ip: BigInt(x.axon.ip),
          port: x.axon.port,
          ip_type: x.axon.ipType,
          protocol: x.axon.protocol,
          placeholder1: 0,
          placeholder2: 0,
        });
    });
    for (const [hot, list] of Object.entries(sn.commits)) {
      if (list.length) w.put(st, 'WeightCommits', [u, hexToU8a(hot)], list.map(([h, a, b, c]) => [h, a, b, c]));
    }
  }
  for (const [k, c] of Object.entries(s.commitments)) {
    const [net, who] = k.split('|') as [string, Hex];
    const info = md.registry.createTypeUnsafe(md.registry.createLookupType(md.storage.get('Commitments.CommitmentOf')!.valueType), []);
    void info;
    const reg = md.registry;
    const infoBytes = hexToU8a(c.info);
    const val = u8aConcat(reg.createType('u64', 0).toU8a(), reg.createType('u32', c.block).toU8a(), infoBytes);
    w.put('Commitments', 'CommitmentOf', [Number(net), hexToU8a(who)], val);
    w.put('Commitments', 'LastCommitment', [Number(net), hexToU8a(who)], c.block);
  }
  return w.out;
}

/** NeuronInfoLite for each uid of a subnet (runtime API get_neurons_lite / get_neuron_lite). */
export function neuronsLite(md: BuiltMetadata, rt: Runtime, netuid: number, only?: number): Uint8Array {
  const sn = rt.subnet(netuid);
  const reg = md.registry;
  const api = md.metadata.asLatest.apis.find((a) => a.name.toString() === 'NeuronInfoRuntimeApi')!;
  const out = (name: string) => reg.createLookupType(api.methods.find((m) => m.name.toString() === name)!.output);
  const mk = (uid: number) => {
    const n = sn!.neurons[uid]!;
    return {
      hotkey: n.hotkey,
      coldkey: n.coldkey,
      uid,
      netuid,
      active: n.active,
      axon_info: n.axon
        ? { block: n.axon.block, version: n.axon.version, ip: BigInt(n.axon.ip), port: n.axon.port, ip_type: n.axon.ipType, protocol: n.axon.protocol, placeholder1: 0, placeholder2: 0 }
        : {},
      prometheus_info: {},
      stake: rt.stakersOf(n.hotkey, netuid),
      rank: n.rank,
      emission: n.emission,
      incentive: n.incentive,
      consensus: n.consensus,
      trust: n.trust,
      validator_trust: n.validatorTrust,
      dividends: n.dividends,
      last_update: n.lastUpdate,
      validator_permit: n.permit,
      pruning_score: n.pruning,
    };
  };
  if (only !== undefined) {
    if (!sn || only >= sn.neurons.length) return Uint8Array.from([0]);
    return reg.createTypeUnsafe(out('get_neuron_lite'), [mk(only)]).toU8a();
  }
  if (!sn) return Uint8Array.from([0]);
  return reg.createTypeUnsafe(out('get_neurons_lite'), [sn.neurons.map((_, uid) => mk(uid))]).toU8a();
}
