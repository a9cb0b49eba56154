// The project's metagraph model: one row per uid, decoded from the runtime API
// `NeuronInfoRuntimeApi.get_neurons_lite` where the chain has it, or assembled from storage.
// Scores stored on chain as u16 are given as floats in [0, 1] (value / 65535, as the SDK does);
// amounts stay exact (bigint RAO of the subnet's alpha).
import { formatTao } from './amount.js';

export interface Axon {
  block: number;
  version: number;
  ip: string;
  port: number;
  ipType: number;
  protocol: number;
}

export interface Neuron {
  uid: number;
  netuid: number;
  hotkey: string;
  coldkey: string;
  active: boolean;
  validatorPermit: boolean;
  /** Total stake on the hotkey in this subnet (alpha, RAO): the sum over its stakers. */
  stake: bigint;
  /** Stake per staking coldkey (alpha, RAO). */
  stakes: Array<{ coldkey: string; amount: bigint }>;
  rank: number;
  trust: number;
  consensus: number;
  incentive: number;
  dividends: number;
  validatorTrust: number;
  pruningScore: number;
  /** Emission of the last epoch (alpha, RAO). */
  emission: bigint;
  lastUpdate: number;
  axon?: Axon;
}

export interface Metagraph {
  netuid: number;
  /** Block the metagraph was read at (when known). */
  block?: number;
  source: 'runtime-api' | 'storage';
  neurons: Neuron[];
}

export const U16_MAX = 65535;
export const u16f = (v: number) => v / U16_MAX;

/** IPv4/IPv6 as text from the chain's u128 + ip_type. */
export function ipToString(ip: bigint, ipType: number): string {
  if (ipType === 4) return [24n, 16n, 8n, 0n].map((s) => ((ip >> s) & 0xffn).toString()).join('.');
  if (ipType === 6) {
    const parts: string[] = [];
    for (let i = 7; i >= 0; i--) parts.push(((ip >> BigInt(16 * i)) & 0xffffn).toString(16));
    return parts.join(':');
  }
  return '0.0.0.0';
}

const num = (c: unknown): number => {
  const x = c as { toNumber?: () => number; toString(): string };
  return typeof x?.toNumber === 'function' ? x.toNumber() : Number(String(x));
};
const big = (c: unknown): bigint => BigInt((c as { toString(): string }).toString());
const bool = (c: unknown): boolean => (c as { isTrue?: boolean }).isTrue ?? Boolean((c as { valueOf(): unknown }).valueOf());

/** One decoded `NeuronInfoLite` (a polkadot-js Struct) → Neuron. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function neuronFromLite(n: any): Neuron {
  const stakes: Array<{ coldkey: string; amount: bigint }> = [];
  for (const pair of n.stake) stakes.push({ coldkey: pair[0].toString(), amount: big(pair[1]) });
  const ax = n.axonInfo ?? n.axon_info;
  return {
    uid: num(n.uid),
    netuid: num(n.netuid),
    hotkey: n.hotkey.toString(),
    coldkey: n.coldkey.toString(),
    active: bool(n.active),
    validatorPermit: bool(n.validatorPermit),
    stake: stakes.reduce((a, s) => a + s.amount, 0n),
    stakes,
    rank: u16f(num(n.rank)),
    trust: u16f(num(n.trust)),
    consensus: u16f(num(n.consensus)),
    incentive: u16f(num(n.incentive)),
    dividends: u16f(num(n.dividends)),
    validatorTrust: u16f(num(n.validatorTrust)),
    pruningScore: u16f(num(n.pruningScore)),
    emission: big(n.emission),
    lastUpdate: num(n.lastUpdate),
    axon: ax ? axonFrom(ax) : undefined,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function axonFrom(ax: any): Axon {
  const ipType = num(ax.ipType);
  return {
    block: num(ax.block),
    version: num(ax.version),
    ip: ipToString(big(ax.ip), ipType),
    port: num(ax.port),
    ipType,
    protocol: num(ax.protocol),
  };
}

export interface MetagraphTotals {
  n: number;
  stake: bigint;
  emission: bigint;
  incentive: number;
  dividends: number;
  validators: number;
  active: number;
}

export function totals(m: Metagraph): MetagraphTotals {
  let stake = 0n;
  let emission = 0n;
  let incentive = 0;
  let dividends = 0;
  let validators = 0;
  let active = 0;
  for (const n of m.neurons) {
    stake += n.stake;
    emission += n.emission;
    incentive += n.incentive;
    dividends += n.dividends;
    if (n.validatorPermit) validators++;
    if (n.active) active++;
  }
  return { n: m.neurons.length, stake, emission, incentive, dividends, validators, active };
}

/** JSON-safe form: bigints as decimal strings (RAO) plus TAO strings for the totals. */
export function metagraphJson(m: Metagraph) {
  const t = totals(m);
  return {
    netuid: m.netuid,
    block: m.block ?? null,
    source: m.source,
    n: t.n,
    totals: {
      stake: t.stake.toString(),
      stakeTao: formatTao(t.stake),
      emission: t.emission.toString(),
      incentive: t.incentive,
      dividends: t.dividends,
      validators: t.validators,
      active: t.active,
    },
    neurons: m.neurons.map((n) => ({
      ...n,
      stake: n.stake.toString(),
      stakes: n.stakes.map((s) => ({ coldkey: s.coldkey, amount: s.amount.toString() })),
      emission: n.emission.toString(),
    })),
  };
}
