// The Subtensor client: one metadata-driven code path (@polkadot/api) for finney, the test network,
// a Subtensor localnet and the embedded devnet. Connects with a deadline and reconnects with
// exponential backoff; reads balances, subnets, hyperparameters, metagraphs and commitments;
// builds the project's extrinsics, signs them with the right key and waits for inclusion, turning
// every failure into a readable LocoError('chain').
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { KeyringPair } from '@polkadot/keyring/types';
import { blake2AsHex } from '@polkadot/util-crypto';
import { LocoError } from '../errors.js';
import { crypto, type Keypair } from '../wallet/keypair.js';
import { describeDispatchError, rpcError } from './errors.js';
import { axonFrom, neuronFromLite, u16f, type Metagraph, type Neuron } from './metagraph.js';
import { resolveNetwork, type Endpoint } from './networks.js';
import { HYPERPARAMETERS } from './usage.js';

/** Subtensor's transaction extensions that carry no bytes (declared so polkadot-js need not guess). */
export const SUBTENSOR_SIGNED_EXTENSIONS = Object.fromEntries(
  ['SudoTransactionExtension', 'CheckShieldedTxValidity', 'SubtensorTransactionExtension', 'DrandPriority', 'SubtensorSignedExtension', 'CommitmentsSignedExtension'].map(
    (n) => [n, { extrinsic: {}, payload: {} }],
  ),
);

/** The SDK's mortal era (blocks). */
export const DEFAULT_ERA = 128;

export interface ConnectOptions {
  /** Give up when not connected (and the metadata loaded) within this; default 15 s. */
  timeoutMs?: number;
  /** Per-request timeout once connected; default 60 s. */
  requestTimeoutMs?: number;
  /** Progress for people ("connecting…", "reconnecting in 2 s"). */
  onStatus?: (msg: string) => void;
}

const errText = (e: unknown): string => {
  const x = e as { message?: string; error?: { message?: string }; code?: string };
  return x?.error?.message ?? x?.message ?? String(e);
};

/**
 * Connect to a network name or URL. Rejects with LocoError('chain') (exit 8) if the node cannot be
 * reached within the deadline; once up, a dropped connection is retried with backoff
 * (0.25 s, 0.5 s, 1 s … capped at 10 s) and subscriptions resume.
 */
export async function connect(network: string, opts: ConnectOptions = {}): Promise<Chain> {
  const endpoint = resolveNetwork(network);
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const { ApiPromise, WsProvider } = await import('@polkadot/api');
  const provider = new WsProvider(endpoint.url, false, {}, opts.requestTimeoutMs ?? 60_000);
  let closed = false;
  let attempt = 0;
  let lastError = '';
  let timer: NodeJS.Timeout | undefined;
  const tryConnect = () => {
    if (closed) return;
    provider.connect().catch((e) => {
      lastError = errText(e);
      schedule();
    });
  };
  const schedule = () => {
    if (closed || timer) return;
    const delay = Math.min(250 * 2 ** attempt, 10_000);
    attempt++;
    if (attempt > 1) opts.onStatus?.(`reconnecting to ${endpoint.url} in ${(delay / 1000).toFixed(1)} s`);
    timer = setTimeout(() => {
      timer = undefined;
      tryConnect();
    }, delay);
  };
  provider.on('error', (e) => {
    lastError = errText(e);
  });
  provider.on('connected', () => {
    attempt = 0;
  });
  provider.on('disconnected', () => schedule());
  const api = new ApiPromise({ provider, noInitWarn: true, signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS });
  // Errors while connecting are retried until the deadline (a node that is still starting is
  // fine); the last one is what the person sees if the deadline passes.
  api.on('error', (e: unknown) => {
    lastError = errText(e);
  });
  api.isReadyOrError.catch(() => {}); // rejects on the first socket error; the deadline decides instead
  const shutdown = async () => {
    closed = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    await api.disconnect().catch(() => {});
  };
  opts.onStatus?.(`connecting to ${endpoint.name === 'custom' ? endpoint.url : `${endpoint.name} (${endpoint.url})`}`);
  tryConnect();
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      api.isReady,
      new Promise((_, reject) => {
        deadline = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
  } catch (e) {
    await shutdown();
    const why = errText(e) === 'timeout' ? lastError || 'no answer' : errText(e);
    throw new LocoError(
      'chain',
      `cannot reach ${endpoint.name === 'custom' ? endpoint.url : `${endpoint.name} at ${endpoint.url}`} within ${Math.round(timeoutMs / 100) / 10} s: ${why}` +
        (endpoint.name === 'devnet' || endpoint.name === 'local' ? ' (is the local chain running? `loco devnet start`)' : ''),
      { network: endpoint.name, url: endpoint.url, timeoutMs },
    );
  } finally {
    if (deadline) clearTimeout(deadline);
  }
  return new Chain(api, endpoint, shutdown);
}

export interface Balance {
  free: bigint;
  reserved: bigint;
  frozen: bigint;
  /** free − frozen: what can move. */
  transferable: bigint;
}

export interface SubnetInfo {
  netuid: number;
  tempo: number;
  /** Registration cost now (burn), RAO. */
  burn: bigint;
  /** Registered neurons. */
  n: number;
  maxN: number;
  /** Subnet owner (coldkey). */
  owner: string;
  ownerHotkey?: string;
  registrationAllowed?: boolean;
}

export interface Commitment {
  netuid: number;
  hotkey: string;
  block: number;
  deposit: bigint;
  /** Each field: its type (Raw5, Sha256, …), bytes as hex, and text when it is printable UTF-8. */
  fields: Array<{ type: string; hex: string; text?: string }>;
}

export interface TxEvent {
  pallet: string;
  name: string;
  data: unknown;
}

export interface TxResult {
  txHash: string;
  blockHash: string;
  blockNumber?: number;
  events: TxEvent[];
}

export interface SubmitOptions {
  /** Wait this long for the block that includes it; default 5 min. */
  inclusionTimeoutMs?: number;
  era?: number;
  tip?: bigint;
  onStatus?: (status: string) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const num = (c: Any): number => (typeof c?.toNumber === 'function' ? c.toNumber() : Number(String(c)));
const big = (c: Any): bigint => BigInt(c.toString());

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase());
}
function snake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

export function keyringPair(kp: Keypair): Promise<KeyringPair> {
  return (async () => {
    if (!kp.secretKey) throw new LocoError('invalidInput', `${kp.ss58Address} is a public key only; it cannot sign`);
    await crypto(); // sr25519 WASM ready
    const { Keyring } = await import('@polkadot/keyring');
    return new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromPair({ publicKey: kp.publicKey, secretKey: kp.secretKey });
  })();
}

export class Chain {
  constructor(
    readonly api: ApiPromise,
    readonly endpoint: Endpoint = { name: 'custom', url: '' },
    private readonly closeFn: () => Promise<void> = () => api.disconnect(),
  ) {}

  /** The network's name, or the URL of a custom endpoint. */
  get where(): string {
    return this.endpoint.name === 'custom' ? this.endpoint.url || 'this chain' : this.endpoint.name;
  }

  async close(): Promise<void> {
    await this.closeFn();
  }

  private get q(): Any {
    return (this.api.query as Any).subtensorModule;
  }

  private need(section: Any, item: string, what: string): Any {
    const f = section?.[camel(item)];
    if (!f) throw new LocoError('chain', `this chain has no ${what} (${item}) in its metadata`);
    return f;
  }

  /**
   * Whether the node implements a runtime API. Metadata V15 declares them all, but the runtime
   * version lists what this runtime really serves; asking for one it lacks only makes
   * @polkadot/api log an error. An empty list (some test nodes) means "unknown": try it.
   */
  hasRuntimeApi(name: string): boolean {
    const apis = this.api.runtimeVersion?.apis;
    if (!apis || apis.length === 0) return true;
    const want = blake2AsHex(name, 64);
    return apis.some(([hash]) => hash.toHex() === want);
  }

  // ---------------- reads ----------------

  async blockNumber(): Promise<number> {
    const h = await this.api.rpc.chain.getHeader();
    return h.number.toNumber();
  }

  async balance(address: string): Promise<Balance> {
    const a: Any = await (this.api.query as Any).system.account(address);
    const free = big(a.data.free);
    const reserved = big(a.data.reserved);
    const frozen = big(a.data.frozen ?? a.data.miscFrozen ?? 0);
    return { free, reserved, frozen, transferable: free > frozen ? free - frozen : 0n };
  }

  existentialDeposit(): bigint {
    const c: Any = (this.api.consts as Any).balances?.existentialDeposit;
    return c ? big(c) : 0n;
  }

  async netuids(): Promise<number[]> {
    const keys: Any[] = await this.need(this.q, 'NetworksAdded', 'subnet list').keys();
    return keys.map((k) => num(k.args[0])).sort((a, b) => a - b);
  }

  async subnetExists(netuid: number): Promise<boolean> {
    const v: Any = await this.need(this.q, 'NetworksAdded', 'subnet list')(netuid);
    return Boolean(v.isTrue ?? v.valueOf());
  }

  async subnet(netuid: number): Promise<SubnetInfo> {
    if (!(await this.subnetExists(netuid))) throw new LocoError('notFound', `subnet ${netuid} does not exist on ${this.where}`);
    const q = this.q;
    const [tempo, burn, n, maxN, owner, ownerHotkey, regAllowed] = await Promise.all([
      q.tempo(netuid),
      q.burn(netuid),
      q.subnetworkN(netuid),
      q.maxAllowedUids(netuid),
      q.subnetOwner(netuid),
      q.subnetOwnerHotkey ? q.subnetOwnerHotkey(netuid) : undefined,
      q.networkRegistrationAllowed ? q.networkRegistrationAllowed(netuid) : undefined,
    ]);
    return {
      netuid,
      tempo: num(tempo),
      burn: big(burn),
      n: num(n),
      maxN: num(maxN),
      owner: owner.toString(),
      ...(ownerHotkey ? { ownerHotkey: ownerHotkey.toString() } : {}),
      ...(regAllowed ? { registrationAllowed: Boolean(regAllowed.isTrue) } : {}),
    };
  }

  async subnets(): Promise<SubnetInfo[]> {
    const ids = await this.netuids();
    return Promise.all(ids.map((id) => this.subnet(id)));
  }

  /** Each hyperparameter this chain stores, by its snake_case name (btcli's names). */
  async hyperparameters(netuid: number): Promise<Record<string, unknown>> {
    if (!(await this.subnetExists(netuid))) throw new LocoError('notFound', `subnet ${netuid} does not exist on ${this.where}`);
    const q = this.q;
    const present = HYPERPARAMETERS.filter((h) => q[camel(h)]);
    const values: Any[] = await Promise.all(present.map((h) => q[camel(h)](netuid)));
    const out: Record<string, unknown> = {};
    present.forEach((h, i) => {
      const v = values[i];
      const j = v.toJSON();
      // u64s beyond 2^53 come out of toJSON as hex: give them as exact decimal strings instead
      out[snake(h)] = typeof j === 'string' && j.startsWith('0x') && typeof v.toBigInt === 'function' ? v.toBigInt().toString() : j;
    });
    return out;
  }

  async weightsVersionKey(netuid: number): Promise<bigint> {
    return big(await this.need(this.q, 'WeightsVersionKey', 'weights version key')(netuid));
  }

  async commitRevealEnabled(netuid: number): Promise<boolean> {
    const f = this.q.commitRevealWeightsEnabled;
    return f ? Boolean((await f(netuid)).isTrue) : false;
  }

  async uidOf(netuid: number, hotkey: string): Promise<number | undefined> {
    const v: Any = await this.need(this.q, 'Uids', 'uid index')(netuid, hotkey);
    return v.isSome ? num(v.unwrap()) : undefined;
  }

  /** Subnet creation cost (RAO): the runtime API where present, else the last lock cost. */
  async networkRegistrationCost(): Promise<bigint | undefined> {
    const call: Any = (this.api.call as Any).subnetRegistrationRuntimeApi?.getNetworkRegistrationCost;
    if (call && this.hasRuntimeApi('SubnetRegistrationRuntimeApi')) {
      try {
        return big(await call());
      } catch {
        /* fall back to storage */
      }
    }
    const last = this.q.networkLastLockCost;
    return last ? big(await last()) : undefined;
  }

  /**
   * The metagraph of a subnet: `NeuronInfoRuntimeApi.get_neurons_lite` where the chain has it,
   * otherwise assembled from storage (Keys, Owner, Active, ValidatorPermit, Incentive, …).
   */
  async metagraph(netuid: number, opts: { source?: 'auto' | 'runtime-api' | 'storage' } = {}): Promise<Metagraph> {
    const source = opts.source ?? 'auto';
    const block = await this.blockNumber().catch(() => undefined);
    const rt: Any = (this.api.call as Any).neuronInfoRuntimeApi?.getNeuronsLite;
    if (source !== 'storage' && rt && (source === 'runtime-api' || this.hasRuntimeApi('NeuronInfoRuntimeApi'))) {
      try {
        const list: Any = await rt(netuid);
        const neurons = [...list].map(neuronFromLite).sort((a, b) => a.uid - b.uid);
        if (!neurons.length && !(await this.subnetExists(netuid))) throw new LocoError('notFound', `subnet ${netuid} does not exist on ${this.where}`);
        return { netuid, block, source: 'runtime-api', neurons };
      } catch (e) {
        if (e instanceof LocoError || source === 'runtime-api') throw e instanceof LocoError ? e : rpcError(e, 'get_neurons_lite');
        /* the runtime API is declared but not served: read storage instead */
      }
    } else if (source === 'runtime-api') {
      throw new LocoError('chain', 'this chain has no NeuronInfoRuntimeApi.get_neurons_lite');
    }
    return { netuid, block, source: 'storage', neurons: await this.neuronsFromStorage(netuid) };
  }

  private async neuronsFromStorage(netuid: number): Promise<Neuron[]> {
    if (!(await this.subnetExists(netuid))) throw new LocoError('notFound', `subnet ${netuid} does not exist on ${this.where}`);
    const q = this.q;
    const n = num(await q.subnetworkN(netuid));
    const vec = async (item: string): Promise<Any[]> => (q[camel(item)] ? [...((await q[camel(item)](netuid)) as Any)] : []);
    const [hotkeysC, active, permit, rank, trust, consensus, incentive, dividends, vtrust, pruning, emission, lastUpdate] = await Promise.all([
      Promise.all(Array.from({ length: n }, (_, uid) => q.keys(netuid, uid))),
      vec('Active'),
      vec('ValidatorPermit'),
      vec('Rank'),
      vec('Trust'),
      vec('Consensus'),
      vec('Incentive'),
      vec('Dividends'),
      vec('ValidatorTrust'),
      vec('PruningScores'),
      vec('Emission'),
      vec('LastUpdate'),
    ]);
    const hotkeys = hotkeysC.map((h: Any) => h.toString());
    const [owners, stakes, axons] = await Promise.all([
      Promise.all(hotkeys.map((h) => q.owner(h))),
      Promise.all(hotkeys.map((h) => (q.totalHotkeyAlpha ? q.totalHotkeyAlpha(h, netuid) : 0))),
      Promise.all(hotkeys.map((h) => (q.axons ? q.axons(netuid, h) : undefined))),
    ]);
    const f = (v: Any[], i: number) => (v[i] === undefined ? 0 : u16f(num(v[i])));
    const b = (v: Any[], i: number) => (v[i] === undefined ? false : Boolean(v[i].isTrue ?? v[i].valueOf()));
    return hotkeys.map((hotkey, uid): Neuron => {
      const stake = big(stakes[uid] ?? 0);
      const coldkey = owners[uid].toString();
      const ax: Any = axons[uid];
      return {
        uid,
        netuid,
        hotkey,
        coldkey,
        active: b(active, uid),
        validatorPermit: b(permit, uid),
        stake,
        stakes: [],
        rank: f(rank, uid),
        trust: f(trust, uid),
        consensus: f(consensus, uid),
        incentive: f(incentive, uid),
        dividends: f(dividends, uid),
        validatorTrust: f(vtrust, uid),
        pruningScore: f(pruning, uid),
        emission: emission[uid] === undefined ? 0n : big(emission[uid]),
        lastUpdate: lastUpdate[uid] === undefined ? 0 : num(lastUpdate[uid]),
        ...(ax?.isSome ? { axon: axonFrom(ax.unwrap()) } : {}),
      };
    });
  }

  /** Commitments on a subnet (all, or one hotkey's). */
  async commitments(netuid: number, hotkey?: string): Promise<Commitment[]> {
    const c: Any = (this.api.query as Any).commitments?.commitmentOf;
    if (!c) throw new LocoError('chain', 'this chain has no Commitments pallet');
    const decode = (hk: string, v: Any): Commitment | undefined => {
      if (!v || v.isNone) return undefined;
      const r = v.isSome ? v.unwrap() : v;
      return {
        netuid,
        hotkey: hk,
        block: num(r.block),
        deposit: big(r.deposit),
        fields: [...r.info.fields].map((d: Any) => {
          const type = d.type as string;
          const inner = d.isNone ? undefined : d.value;
          const bytes: Uint8Array = inner?.toU8a ? (/^Raw\d+$/.test(type) ? inner.toU8a(true) : inner.toU8a()) : new Uint8Array();
          const hex = `0x${Buffer.from(bytes).toString('hex')}`;
          const text = Buffer.from(bytes).toString('utf8');
          const printable = /^Raw\d+$|^BigRaw$/.test(type) && /^[\x20-\x7e\t\n\r]*$/.test(text) ? { text } : {};
          return { type, hex, ...printable };
        }),
      };
    };
    if (hotkey) {
      const one = decode(hotkey, await c(netuid, hotkey));
      return one ? [one] : [];
    }
    const entries: Any[] = await c.entries(netuid);
    return entries
      .map(([k, v]) => decode(k.args[1].toString(), v))
      .filter((x): x is Commitment => Boolean(x))
      .sort((a, b) => a.hotkey.localeCompare(b.hotkey));
  }

  // ---------------- extrinsics (built, not sent) ----------------

  private call(pallet: string, name: string): Any {
    const p: Any = (this.api.tx as Any)[camel(pallet)];
    const f = p?.[camel(name)];
    if (!f) throw new LocoError('chain', `this chain has no ${pallet}.${name} call`);
    return f;
  }

  readonly tx = {
    transferKeepAlive: (dest: string, rao: bigint): SubmittableExtrinsic<'promise'> => this.call('Balances', 'transfer_keep_alive')(dest, rao),
    transferAllowDeath: (dest: string, rao: bigint): SubmittableExtrinsic<'promise'> => this.call('Balances', 'transfer_allow_death')(dest, rao),
    burnedRegister: (netuid: number, hotkey: string): SubmittableExtrinsic<'promise'> => this.call('SubtensorModule', 'burned_register')(netuid, hotkey),
    registerNetwork: (hotkey: string): SubmittableExtrinsic<'promise'> => this.call('SubtensorModule', 'register_network')(hotkey),
    addStake: (hotkey: string, netuid: number, rao: bigint): SubmittableExtrinsic<'promise'> => this.call('SubtensorModule', 'add_stake')(hotkey, netuid, rao),
    removeStake: (hotkey: string, netuid: number, rao: bigint): SubmittableExtrinsic<'promise'> => this.call('SubtensorModule', 'remove_stake')(hotkey, netuid, rao),
    setWeights: (netuid: number, uids: number[], values: number[], versionKey: bigint): SubmittableExtrinsic<'promise'> =>
      this.call('SubtensorModule', 'set_weights')(netuid, uids, values, versionKey),
    commitWeights: (netuid: number, hash: string): SubmittableExtrinsic<'promise'> => this.call('SubtensorModule', 'commit_weights')(netuid, hash),
    revealWeights: (netuid: number, uids: number[], values: number[], salt: number[], versionKey: bigint): SubmittableExtrinsic<'promise'> =>
      this.call('SubtensorModule', 'reveal_weights')(netuid, uids, values, salt, versionKey),
    setCommitment: (netuid: number, data: Uint8Array): SubmittableExtrinsic<'promise'> =>
      this.call('Commitments', 'set_commitment')(netuid, { fields: [commitmentField(data)] }),
  };

  /** Estimated fee (RAO) for a signed `tx` from `address`; undefined where the chain cannot say. */
  async fee(tx: SubmittableExtrinsic<'promise'>, address: string): Promise<bigint | undefined> {
    if (!this.hasRuntimeApi('TransactionPaymentApi')) return undefined;
    try {
      const info: Any = await tx.paymentInfo(address);
      return big(info.partialFee);
    } catch {
      return undefined;
    }
  }

  /**
   * Sign with `signer`, submit, and wait until a block includes it. A dispatch failure
   * (ExtrinsicFailed) or a rejected submission becomes LocoError('chain') with the decoded reason.
   */
  async submit(tx: SubmittableExtrinsic<'promise'>, signer: Keypair | KeyringPair, what: string, opts: SubmitOptions = {}): Promise<TxResult> {
    const pair = 'sign' in signer && typeof signer.sign === 'function' && 'address' in signer ? (signer as KeyringPair) : await keyringPair(signer as Keypair);
    const timeoutMs = opts.inclusionTimeoutMs ?? 300_000;
    return new Promise<TxResult>((resolve, reject) => {
      let unsub: (() => void) | undefined;
      let done = false;
      const finish = (err: LocoError | undefined, res?: TxResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          unsub?.();
        } catch {
          /* ignore */
        }
        if (err) reject(err);
        else resolve(res as TxResult);
      };
      const timer = setTimeout(
        () => finish(new LocoError('chain', `${what}: not included in a block within ${Math.round(timeoutMs / 1000)} s (it may still be included later)`)),
        timeoutMs,
      );
      // nonce -1: the node's next index (AccountNonceApi, counting its pool), not a storage subscription
      tx.signAndSend(pair, { era: opts.era ?? DEFAULT_ERA, nonce: -1, ...(opts.tip ? { tip: opts.tip } : {}) }, (result: Any) => {
        const s = result.status;
        opts.onStatus?.(s.type);
        if (s.isInBlock || s.isFinalized) {
          const blockHash = (s.isInBlock ? s.asInBlock : s.asFinalized).toHex();
          const events: TxEvent[] = result.events.map((r: Any) => ({ pallet: palletOf(this.api, r.event.section), name: r.event.method, data: r.event.data.toJSON() }));
          if (result.dispatchError) {
            const d = describeDispatchError(this.api.registry, result.dispatchError);
            return finish(new LocoError('chain', `${what} failed: ${d.message}`, { blockHash, ...(d.module ? { error: d.module } : {}) }));
          }
          const res: TxResult = { txHash: tx.hash.toHex(), blockHash, events };
          this.api.rpc.chain
            .getHeader(blockHash)
            .then((h) => finish(undefined, { ...res, blockNumber: h.number.toNumber() }))
            .catch(() => finish(undefined, res));
        } else if (s.isInvalid || s.isDropped || s.isUsurped) {
          finish(new LocoError('chain', `${what}: the transaction was ${s.type.toLowerCase()} by the node`));
        }
      })
        .then((u) => {
          unsub = u;
          if (done) u();
        })
        .catch((e) => finish(rpcError(e, what)));
    });
  }
}

function palletOf(api: ApiPromise, section: string): string {
  for (const p of api.registry.metadata.pallets) if (p.name.toString().toLowerCase() === section.toLowerCase()) return p.name.toString();
  return section;
}

/** A commitment field as Subtensor's `Data`: RawN for up to 128 bytes, BigRaw beyond (where present). */
export function commitmentField(data: Uint8Array): Record<string, string> {
  const hex = `0x${Buffer.from(data).toString('hex')}`;
  if (data.length <= 128) return { [`Raw${data.length}`]: hex };
  return { BigRaw: hex };
}

export { neuronFromLite };
