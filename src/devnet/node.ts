// The devnet node: block production on a timer, a transaction pool with Substrate's validity
// checks, persistence under --dir, and the Substrate JSON-RPC API over WebSocket (and HTTP POST).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, ftruncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Call, Extrinsic } from '@polkadot/types/interfaces';
import { compactAddLength, compactToU8a, hexToU8a, isHex, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex, blake2AsU8a, cryptoWaitReady, decodeAddress, signatureVerify } from '@polkadot/util-crypto';
import { sr25519Verify as wasmSr25519Verify } from '@polkadot/wasm-crypto';
import { writeFileAtomic } from '../util/atomic.js';
import { LocoError } from '../errors.js';
import { SPEC_VERSION, TX_VERSION, buildMetadata, DEVNET_DEFAULTS, type BuiltMetadata } from './metadata.js';
import {
  DispatchErr,
  Runtime,
  computeFee,
  callWeight,
  encodeEvents,
  genesisState,
  materialize,
  neuronsLite,
  paysFee,
  stateFromJson,
  stateToJson,
  type Hex,
  type State,
} from './runtime.js';
import { createWsServer, type WsConnection, type WsServer } from './ws.js';
import { pidAlive } from '../util/pid.js';

export interface DevnetOptions {
  dir?: string; // persist state and blocks here (none: in memory only)
  port?: number; // 0 = any free port
  host?: string;
  blockTimeMs?: number;
  /** NDJSON-style events: block produced, extrinsic included/failed */
  onEvent?: (ev: Record<string, unknown>) => void;
}

interface BlockRec {
  number: number;
  hash: Hex;
  parentHash: Hex;
  stateRoot: Hex;
  extrinsicsRoot: Hex;
  extrinsics: Hex[];
  events: Hex;
}

interface PoolTx {
  hash: Hex;
  hex: Hex;
  len: number;
  ext: Extrinsic;
  sender: Hex;
  nonce: number;
  tip: bigint;
  fee: bigint;
  watchers: Set<Sub>;
}

interface Sub {
  id: string;
  conn: WsConnection;
  kind: 'newHead' | 'finalizedHead' | 'allHead' | 'storage' | 'runtimeVersion' | 'extrinsic';
  method: string; // notification method
  keys?: string[] | null;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const invalidTx = (data: string) => new RpcError(1010, 'Invalid Transaction', data);
const ZERO_HASH = `0x${'00'.repeat(32)}` as Hex;
const KEEP_BLOCKS = 4096;
const KEEP_SNAPSHOTS = 256;
const MAX_TX_PER_BLOCK = 2000;
const MAX_FUTURE_PER_SENDER = 4096;

function headerJson(b: BlockRec) {
  return {
    parentHash: b.parentHash,
    number: `0x${b.number.toString(16)}`,
    stateRoot: b.stateRoot,
    extrinsicsRoot: b.extrinsicsRoot,
    digest: { logs: [] as string[] },
  };
}

export class Devnet {
  readonly md: BuiltMetadata;
  rt!: Runtime;
  private opts: Required<Omit<DevnetOptions, 'dir' | 'onEvent'>> & Pick<DevnetOptions, 'dir' | 'onEvent'>;
  private hashes: Hex[] = [];
  private byHash = new Map<string, number>();
  private blocks = new Map<number, BlockRec>();
  private snapshots = new Map<string, Map<string, string>>();
  private sortedKeys: { hash: string; keys: string[] } | null = null;
  private pool: PoolTx[] = [];
  private awaitingFinality: [Sub, Hex, number][] = [];
  private subs = new Map<string, Sub>();
  private ws: WsServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private blocksFd: number | null = null;
  private stopped = false;
  genesisHash: Hex = ZERO_HASH;
  port = 0;

  private constructor(opts: DevnetOptions) {
    this.md = buildMetadata();
    this.opts = { port: 9944, host: '127.0.0.1', blockTimeMs: 250, ...opts };
  }

  static async start(opts: DevnetOptions = {}): Promise<Devnet> {
    await cryptoWaitReady();
    const d = new Devnet(opts);
    await d.init();
    await d.listen();
    d.schedule();
    return d;
  }

  get url(): string {
    return `ws://${this.opts.host}:${this.port}`;
  }

  get head(): BlockRec {
    return this.blocks.get(this.hashes.length - 1)!;
  }

  /** Finality lags the head by max(2 blocks, 1 s of blocks). */
  get finalityLag(): number {
    return Math.max(2, Math.ceil(1000 / this.opts.blockTimeMs));
  }

  get finalized(): BlockRec {
    return this.blocks.get(Math.max(0, this.hashes.length - 1 - this.finalityLag)) ?? this.head;
  }

  // --- persistence -----------------------------------------------------------------------
  private async init(): Promise<void> {
    const dir = this.opts.dir;
    const statePath = dir ? join(dir, 'state.json') : null;
    if (dir) {
      mkdirSync(dir, { recursive: true });
      this.lock(join(dir, 'LOCK'));
    }
    if (statePath && existsSync(statePath)) {
      let saved: { format: string; genesisHash: Hex; head: { number: number; hash: Hex }; state: string };
      try {
        saved = JSON.parse(readFileSync(statePath, 'utf8'));
        if (saved.format !== 'loco-devnet/1') throw new Error(`unknown format ${saved.format}`);
      } catch (e) {
        throw new LocoError('corrupt', `devnet state ${statePath} is damaged: ${(e as Error).message}`);
      }
      this.rt = new Runtime(stateFromJson(saved.state));
      this.genesisHash = saved.genesisHash;
      this.loadBlocks(join(dir!, 'blocks.ndjson'), saved.head.number, saved.head.hash);
      const head = this.head;
      this.snapshots.set(head.hash, this.storageFor(head));
      return;
    }
    this.rt = new Runtime(await genesisState());
    const events = encodeEvents(this.md, []);
    const storage = materialize(this.md, this.rt.state, {
      number: 0,
      parentHash: ZERO_HASH,
      events,
      eventCount: 0,
      hashes: () => undefined,
    });
    const b = this.seal(0, ZERO_HASH, storage, [], u8aToHex(events) as Hex);
    this.genesisHash = b.hash;
    // BlockHash(0) is part of genesis storage in Substrate
    this.addBlock(b, this.storageFor(b));
    if (dir) {
      this.blocksFd = openSync(join(dir, 'blocks.ndjson'), 'w');
      this.persist(b);
    }
  }

  private lockPath: string | null = null;

  /** One devnet per folder: a LOCK file holding the pid; a stale one (dead pid) is taken over. */
  private lock(path: string): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.lockPath = path;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(path, 'utf8').trim());
        if (pidAlive(pid)) throw new LocoError('alreadyExists', `another devnet (pid ${pid}) is using ${path.replace(/\/LOCK$/, '')}; stop it or pick another --dir`);
        rmSync(path, { force: true });
      }
    }
    throw new LocoError('io', `cannot lock ${path}`);
  }

  private loadBlocks(path: string, headNumber: number, headHash: Hex): void {
    if (!existsSync(path)) throw new LocoError('corrupt', `devnet blocks file ${path} is missing`);
    const text = readFileSync(path, 'utf8');
    let off = 0;
    let keepBytes = 0;
    const recs: BlockRec[] = [];
    while (off < text.length) {
      const nl = text.indexOf('\n', off);
      if (nl < 0) break; // torn last line
      const line = text.slice(off, nl);
      let rec: BlockRec;
      try {
        rec = JSON.parse(line) as BlockRec;
      } catch {
        break;
      }
      if (rec.number !== recs.length || rec.number > headNumber) break;
      recs.push(rec);
      off = nl + 1;
      keepBytes = Buffer.byteLength(text.slice(0, off), 'utf8');
    }
    if (recs.length !== headNumber + 1 || recs[headNumber]!.hash !== headHash) {
      throw new LocoError('corrupt', `devnet blocks file ${path} does not match state.json (head #${headNumber})`);
    }
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, keepBytes); // drop a block written after the last saved state
    closeSync(fd);
    this.blocksFd = openSync(path, 'a');
    for (const r of recs) {
      this.hashes.push(r.hash);
      this.byHash.set(r.hash, r.number);
    }
    for (const r of recs.slice(-KEEP_BLOCKS)) this.blocks.set(r.number, r);
  }

  private persist(b: BlockRec): void {
    if (!this.opts.dir || this.blocksFd === null) return;
    writeSync(this.blocksFd, `${JSON.stringify(b)}\n`);
    fsyncSync(this.blocksFd);
    writeFileAtomic(
      join(this.opts.dir, 'state.json'),
      JSON.stringify({
        format: 'loco-devnet/1',
        genesisHash: this.genesisHash,
        head: { number: b.number, hash: b.hash },
        state: stateToJson(this.rt.state),
      }),
    );
  }

  // --- blocks ----------------------------------------------------------------------------
  private storageFor(b: BlockRec): Map<string, string> {
    const ev = hexToU8a(b.events);
    return materialize(this.md, this.rt.state, {
      number: b.number,
      parentHash: b.parentHash,
      events: ev,
      eventCount: (this.md.registry.createTypeUnsafe('Vec<EventRecord>', [ev]) as unknown as unknown[]).length,
      hashes: (n) => (n === b.number ? undefined : this.hashes[n]),
    });
  }

  private seal(number: number, parentHash: Hex, storage: Map<string, string>, extrinsics: Hex[], events: Hex): BlockRec {
    const keys = [...storage.keys()].sort();
    const stateRoot = blake2AsHex(u8aConcat(...keys.flatMap((k) => [hexToU8a(k), hexToU8a(storage.get(k)!)])));
    const extrinsicsRoot = blake2AsHex(u8aConcat(...extrinsics.map((e) => hexToU8a(e))));
    const rec: BlockRec = { number, hash: ZERO_HASH, parentHash, stateRoot, extrinsicsRoot, extrinsics, events };
    const header = this.md.registry.createType('Header', headerJson(rec));
    rec.hash = u8aToHex(blake2AsU8a(header.toU8a())) as Hex;
    return rec;
  }

  private addBlock(b: BlockRec, storage: Map<string, string>): void {
    this.hashes.push(b.hash);
    this.byHash.set(b.hash, b.number);
    this.blocks.set(b.number, b);
    this.blocks.delete(b.number - KEEP_BLOCKS);
    this.snapshots.set(b.hash, storage);
    if (this.snapshots.size > KEEP_SNAPSHOTS) this.snapshots.delete(this.snapshots.keys().next().value!);
  }

  private schedule(delay = this.opts.blockTimeMs): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const t0 = Date.now();
      try {
        this.produceBlock();
      } catch (e) {
        this.opts.onEvent?.({ event: 'error', message: (e as Error).message });
      }
      this.schedule(Math.max(0, this.opts.blockTimeMs - (Date.now() - t0)));
    }, delay);
  }

  produceBlock(): BlockRec {
    const rt = this.rt;
    const parent = this.head;
    const number = parent.number + 1;
    rt.state.number = number;
    rt.events = [];
    rt.onInitialize();
    // inherent: Timestamp.set
    const now = Math.max(Date.now(), rt.state.timestamp + 1);
    const tsCall = u8aConcat([2, 0], compactToU8a(BigInt(now)));
    const tsExt = u8aToHex(compactAddLength(u8aConcat([4], tsCall))) as Hex;
    rt.phase = { ApplyExtrinsic: 0 };
    rt.state.timestamp = now;
    rt.emit('System', 'ExtrinsicSuccess', [{ weight: { ref_time: 10_000_000, proof_size: 1493 }, class: 'Mandatory', pays_fee: 'Yes' }]);
    const extrinsics: Hex[] = [tsExt];
    const included: { tx: PoolTx; index: number; ok: boolean; error?: string }[] = [];
    const dropped: PoolTx[] = [];
    const remaining: PoolTx[] = [];
    for (const tx of this.pool) {
      if (included.length >= MAX_TX_PER_BLOCK) {
        remaining.push(tx);
        continue;
      }
      const expected = rt.nonce(tx.sender);
      if (tx.nonce < expected) {
        dropped.push(tx);
        continue;
      }
      if (tx.nonce > expected) {
        remaining.push(tx);
        continue;
      }
      const cost = tx.fee + tx.tip;
      if (cost > 0n && rt.free(tx.sender) < cost + DEVNET_DEFAULTS.existentialDeposit) {
        dropped.push(tx);
        continue;
      }
      const index = extrinsics.length;
      rt.phase = { ApplyExtrinsic: index };
      const acct = (rt.state.accounts[tx.sender] ??= { nonce: 0, free: 0n });
      acct.nonce++;
      if (cost > 0n) {
        acct.free -= cost;
        rt.state.totalIssuance -= cost;
        rt.emit('Balances', 'Withdraw', [tx.sender, cost]);
      }
      const call = tx.ext.method as unknown as Call;
      const info = { weight: { ref_time: callWeight(call), proof_size: 0 }, class: 'Normal', pays_fee: paysFee(call) ? 'Yes' : 'No' };
      let ok = true;
      let error: string | undefined;
      let errValue: unknown;
      try {
        rt.transactional(() => rt.dispatch(call, { signed: tx.sender }));
      } catch (e) {
        ok = false;
        if (e instanceof DispatchErr) {
          errValue = e.value;
          error = e.message;
        } else {
          errValue = { Other: null };
          error = (e as Error).message;
        }
      }
      if (cost > 0n) rt.emit('TransactionPayment', 'TransactionFeePaid', [tx.sender, cost, tx.tip]);
      if (ok) rt.emit('System', 'ExtrinsicSuccess', [info]);
      else rt.emit('System', 'ExtrinsicFailed', [errValue, info]);
      extrinsics.push(tx.hex);
      included.push({ tx, index, ok, error });
    }
    this.pool = remaining;
    rt.phase = 'Finalization';
    const events = encodeEvents(this.md, rt.events);
    const storage = materialize(this.md, rt.state, {
      number,
      parentHash: parent.hash,
      events,
      eventCount: rt.events.length,
      hashes: (n) => this.hashes[n],
    });
    const b = this.seal(number, parent.hash, storage, extrinsics, u8aToHex(events) as Hex);
    this.persist(b);
    const prevStorage = this.snapshots.get(parent.hash);
    this.addBlock(b, storage);

    // notifications (finality lags a few blocks, as GRANDPA does on a real chain)
    const hj = headerJson(b);
    const fin = this.finalized;
    const fj = headerJson(fin);
    const toFinalize = this.awaitingFinality.filter(([, , n]) => n <= fin.number);
    this.awaitingFinality = this.awaitingFinality.filter(([, , n]) => n > fin.number);
    for (const s of this.subs.values()) {
      if (s.kind === 'newHead' || s.kind === 'allHead') this.notify(s, hj);
      else if (s.kind === 'finalizedHead') this.notify(s, fj);
      else if (s.kind === 'storage') {
        const keys = s.keys ?? [...new Set([...storage.keys(), ...(prevStorage?.keys() ?? [])])];
        const changes = keys.filter((k) => storage.get(k) !== prevStorage?.get(k)).map((k) => [k, storage.get(k) ?? null]);
        if (changes.length) this.notify(s, { block: b.hash, changes });
      }
    }
    for (const [w, h] of toFinalize) {
      this.notify(w, { finalized: h });
      this.subs.delete(w.id);
    }
    for (const inc of included) {
      for (const w of inc.tx.watchers) {
        this.notify(w, { inBlock: b.hash });
        this.awaitingFinality.push([w, b.hash, b.number]);
      }
    }
    for (const tx of dropped) {
      for (const w of tx.watchers) {
        this.notify(w, 'invalid');
        this.subs.delete(w.id);
      }
    }
    this.opts.onEvent?.({ event: 'block', number, hash: b.hash, extrinsics: extrinsics.length, events: rt.events.length });
    for (const inc of included) {
      const call = inc.tx.ext.method as unknown as Call;
      this.opts.onEvent?.({
        event: inc.ok ? 'extrinsic_included' : 'extrinsic_failed',
        block: number,
        index: inc.index,
        hash: inc.tx.hash,
        call: `${call.section}.${call.method}`,
        signer: inc.tx.ext.signer.toString(),
        nonce: inc.tx.nonce,
        ...(inc.ok ? {} : { error: inc.error }),
      });
    }
    for (const tx of dropped) this.opts.onEvent?.({ event: 'extrinsic_dropped', hash: tx.hash, reason: 'no longer valid' });
    return b;
  }

  // --- transaction pool ------------------------------------------------------------------
  /** Validate an extrinsic as a Substrate node's pool does; returns the pool entry or throws RpcError. */
  submit(hex: string): PoolTx {
    if (!isHex(hex)) throw new RpcError(-32602, 'Invalid params', 'expected hex-encoded extrinsic bytes');
    const bytes = hexToU8a(hex);
    let ext: Extrinsic;
    try {
      ext = this.md.registry.createType('Extrinsic', bytes);
      if (ext.encodedLength !== bytes.length) throw new Error('trailing bytes');
    } catch (e) {
      throw new RpcError(1001, 'Extrinsic has invalid format', `Could not decode extrinsic: ${(e as Error).message}`);
    }
    const hash = blake2AsHex(bytes) as Hex;
    if (this.pool.some((t) => t.hash === hash)) throw new RpcError(1013, 'Transaction Already Imported', 'The transaction is already in the pool.');
    if (!ext.isSigned) {
      throw new RpcError(1011, 'Unknown Transaction Validity', 'Could not find an unsigned validator for the unsigned transaction');
    }
    const sig = (ext.inner as unknown as { signature: unknown }).signature as unknown as {
      signer: { toU8a(): Uint8Array };
      multiSignature: { toU8a(): Uint8Array };
      era: { isImmortalEra: boolean; asMortalEra: { birth(n: number): number; death(n: number): number } };
      nonce: { toNumber(): number };
      tip: { toBigInt(): bigint };
      mode?: { toNumber?(): number; toU8a(): Uint8Array };
    };
    const su8 = sig.signer.toU8a();
    if (su8.length !== 33 || su8[0] !== 0) throw invalidTx('Invalid signing address');
    const sender = u8aToHex(su8.subarray(1)) as Hex;
    if (sender === ZERO_HASH) throw invalidTx('Invalid signing address');
    const current = this.head.number + 1;
    let birthHash: Hex = this.genesisHash;
    if (!sig.era.isImmortalEra) {
      const birth = sig.era.asMortalEra.birth(current);
      if (birth > current) throw invalidTx('Transaction has an ancient birth block');
      birthHash = this.hashes[birth] ?? ZERO_HASH;
    }
    const payload = this.md.registry.createType(
      'ExtrinsicPayload',
      {
        method: ext.method.toHex(),
        era: ext.era,
        nonce: sig.nonce,
        tip: sig.tip,
        mode: (sig as unknown as { mode?: unknown }).mode ?? 0,
        metadataHash: null,
        specVersion: SPEC_VERSION,
        transactionVersion: TX_VERSION,
        genesisHash: this.genesisHash,
        blockHash: birthHash,
      },
      { version: 4 },
    );
    let msg = payload.toU8a({ method: true });
    if (msg.length > 256) msg = blake2AsU8a(msg, 256);
    let valid = false;
    try {
      const ms = sig.multiSignature.toU8a();
      // sr25519 through the WASM verifier (about 10× faster than the JS one); others via util-crypto
      valid = ms[0] === 1 && ms.length === 65 ? wasmSr25519Verify(ms.subarray(1), msg, hexToU8a(sender)) : signatureVerify(msg, ms, hexToU8a(sender)).isValid;
    } catch {
      valid = false;
    }
    if (!valid) throw invalidTx('Transaction has a bad signature');
    const nonce = sig.nonce.toNumber();
    const accountNonce = this.rt.nonce(sender);
    if (nonce < accountNonce) throw invalidTx('Transaction is outdated');
    const call = ext.method as unknown as Call;
    const fee = computeFee(call, bytes.length).total;
    const tip = sig.tip.toBigInt();
    const pending = this.pool.filter((t) => t.sender === sender);
    const reserved = pending.reduce((a, t) => a + t.fee + t.tip, 0n);
    if (fee + tip > 0n && this.rt.free(sender) < fee + tip + reserved + DEVNET_DEFAULTS.existentialDeposit) {
      throw invalidTx('Inability to pay some fees (e.g. account balance too low)');
    }
    if (pending.some((t) => t.nonce === nonce)) {
      throw new RpcError(1014, 'Priority is too low: (0 vs 0)', 'The transaction has too low priority to replace another transaction already in the pool.');
    }
    if (nonce - accountNonce > MAX_FUTURE_PER_SENDER) throw invalidTx('Transaction will be valid in the future');
    const tx: PoolTx = { hash, hex: u8aToHex(bytes) as Hex, len: bytes.length, ext, sender, nonce, tip, fee, watchers: new Set() };
    this.pool.push(tx);
    this.pool.sort((a, b) => (a.sender === b.sender ? a.nonce - b.nonce : 0));
    return tx;
  }

  private isReady(tx: PoolTx): boolean {
    let expected = this.rt.nonce(tx.sender);
    for (const t of this.pool.filter((x) => x.sender === tx.sender).sort((a, b) => a.nonce - b.nonce)) {
      if (t.nonce === expected) expected++;
      if (t === tx) return t.nonce < expected;
    }
    return false;
  }

  nextIndex(who: Hex): number {
    let n = this.rt.nonce(who);
    const mine = new Set(this.pool.filter((t) => t.sender === who).map((t) => t.nonce));
    while (mine.has(n)) n++;
    return n;
  }

  // --- RPC -------------------------------------------------------------------------------
  private notify(s: Sub, result: unknown): void {
    s.conn.send(JSON.stringify({ jsonrpc: '2.0', method: s.method, params: { subscription: s.id, result } }));
  }

  private subscribe(conn: WsConnection, kind: Sub['kind'], method: string, initial?: () => unknown, keys?: string[] | null): string {
    const id = randomBytes(8).toString('hex');
    const s: Sub = { id, conn, kind, method, keys };
    this.subs.set(id, s);
    if (initial) setImmediate(() => this.subs.has(id) && this.notify(s, initial()));
    return id;
  }

  private unsubscribe(id: unknown): boolean {
    return typeof id === 'string' && this.subs.delete(id);
  }

  private blockAt(at: unknown): BlockRec {
    if (at === undefined || at === null) return this.head;
    if (typeof at !== 'string' || !isHex(at)) throw new RpcError(-32602, 'Invalid params', 'expected a block hash');
    const n = this.byHash.get(at.toLowerCase());
    const b = n === undefined ? undefined : this.blocks.get(n);
    if (!b) throw new RpcError(4003, `Client error: UnknownBlock: Header was not found in the database: ${at}`);
    return b;
  }

  private storageAt(at: unknown): { block: BlockRec; storage: Map<string, string> } {
    const block = this.blockAt(at);
    const storage = this.snapshots.get(block.hash);
    if (!storage) throw new RpcError(4003, `Client error: UnknownBlock: State already discarded for ${block.hash}`);
    return { block, storage };
  }

  private stateCall(method: string, data: Uint8Array): Uint8Array {
    const reg = this.md.registry;
    switch (method) {
      case 'Core_version':
        return reg.createTypeUnsafe('(Text,Text,u32,u32,u32,Vec<([u8;8],u32)>,u32,u8)', [[
          this.md.runtimeVersion.specName,
          this.md.runtimeVersion.implName,
          1,
          SPEC_VERSION,
          1,
          this.md.runtimeVersion.apis,
          TX_VERSION,
          1,
        ]]).toU8a();
      case 'Metadata_metadata':
        return compactAddLength(this.md.v14);
      case 'Metadata_metadata_versions':
        return reg.createType('Vec<u32>', [14, 15]).toU8a();
      case 'Metadata_metadata_at_version': {
        const v = reg.createType('u32', data).toNumber();
        if (v === 14) return u8aConcat([1], compactAddLength(this.md.v14));
        if (v === 15) return u8aConcat([1], compactAddLength(this.md.v15));
        return Uint8Array.from([0]);
      }
      case 'AccountNonceApi_account_nonce':
        return reg.createType('u32', this.rt.nonce(u8aToHex(data.slice(0, 32)))).toU8a();
      case 'TransactionPaymentApi_query_info':
      case 'TransactionPaymentApi_query_fee_details': {
        const ext = reg.createType('Extrinsic', data);
        const len = reg.createType('u32', data.subarray(ext.encodedLength)).toNumber() || ext.encodedLength;
        const call = ext.method as unknown as Call;
        const fee = computeFee(call, len);
        if (method === 'TransactionPaymentApi_query_info') {
          return reg
            .createTypeUnsafe(this.apiOutput('TransactionPaymentApi', 'query_info'), [{ weight: { ref_time: callWeight(call), proof_size: 0 }, class: 'Normal', partial_fee: fee.total }])
            .toU8a();
        }
        const inclusion = fee.total === 0n ? null : { base_fee: fee.base, len_fee: fee.len, adjusted_weight_fee: fee.weight };
        return reg.createTypeUnsafe(this.apiOutput('TransactionPaymentApi', 'query_fee_details'), [{ inclusion_fee: inclusion, tip: 0 }]).toU8a();
      }
      case 'NeuronInfoRuntimeApi_get_neurons_lite':
        return neuronsLite(this.md, this.rt, reg.createType('u16', data).toNumber());
      case 'NeuronInfoRuntimeApi_get_neuron_lite':
        return neuronsLite(this.md, this.rt, reg.createType('u16', data.subarray(0, 2)).toNumber(), reg.createType('u16', data.subarray(2, 4)).toNumber());
      case 'SubnetRegistrationRuntimeApi_get_network_registration_cost':
        return reg.createType('u64', DEVNET_DEFAULTS.networkLockCost).toU8a();
      default:
        throw new RpcError(4003, `Client error: Execution failed: Other: Exported method ${method} is not found`);
    }
  }

  private apiOutput(api: string, method: string): string {
    const a = this.md.metadata.asLatest.apis.find((x) => x.name.toString() === api)!;
    return this.md.registry.createLookupType(a.methods.find((m) => m.name.toString() === method)!.output);
  }

  private runtimeVersionJson() {
    return this.md.runtimeVersion;
  }

  private methods(): Record<string, (p: unknown[], conn: WsConnection | null) => unknown> {
    const subOnly = (conn: WsConnection | null): WsConnection => {
      if (!conn) throw new RpcError(-32601, 'Method not found', 'subscriptions need a WebSocket connection');
      return conn;
    };
    const blockHash = (p: unknown): Hex | null => {
      if (p === undefined || p === null) return this.head.hash;
      const n = typeof p === 'number' ? p : typeof p === 'string' && isHex(p) ? parseInt(p.slice(2) || '0', 16) : NaN;
      if (!Number.isInteger(n) || n < 0) throw new RpcError(-32602, 'Invalid params', 'expected a block number');
      return this.hashes[n] ?? null;
    };
    const m: Record<string, (p: unknown[], conn: WsConnection | null) => unknown> = {
      system_chain: () => 'Bittensor (loco devnet)',
      system_name: () => 'loco-devnet',
      system_version: () => '0.1.0',
      system_chainType: () => 'Development',
      system_properties: () => ({ ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' }),
      system_health: () => ({ peers: 0, isSyncing: false, shouldHavePeers: false }),
      system_peers: () => [],
      system_nodeRoles: () => ['Authority'],
      system_localPeerId: () => '12D3KooWLocoDevnet',
      system_localListenAddresses: () => [],
      system_syncState: () => ({ startingBlock: 0, currentBlock: this.head.number, highestBlock: this.head.number }),
      system_accountNextIndex: ([who]) => {
        let pk: Uint8Array;
        try {
          pk = decodeAddress(who as string);
        } catch {
          throw new RpcError(-32602, 'Invalid params', 'invalid address');
        }
        return this.nextIndex(u8aToHex(pk) as Hex);
      },
      rpc_methods: () => ({ methods: Object.keys(this.methods()).sort(), version: 1 }),
      chain_getBlockHash: ([n]) => (Array.isArray(n) ? n.map((x) => blockHash(x)) : blockHash(n)),
      chain_getHeader: ([h]) => {
        try {
          return headerJson(this.blockAt(h));
        } catch {
          return null;
        }
      },
      chain_getBlock: ([h]) => {
        let b: BlockRec;
        try {
          b = this.blockAt(h);
        } catch {
          return null;
        }
        return { block: { header: headerJson(b), extrinsics: b.extrinsics }, justifications: null };
      },
      chain_getFinalizedHead: () => this.finalized.hash,
      chain_subscribeNewHeads: (_p, c) => this.subscribe(subOnly(c), 'newHead', 'chain_newHead', () => headerJson(this.head)),
      chain_unsubscribeNewHeads: ([id]) => this.unsubscribe(id),
      chain_subscribeFinalizedHeads: (_p, c) => this.subscribe(subOnly(c), 'finalizedHead', 'chain_finalizedHead', () => headerJson(this.finalized)),
      chain_unsubscribeFinalizedHeads: ([id]) => this.unsubscribe(id),
      chain_subscribeAllHeads: (_p, c) => this.subscribe(subOnly(c), 'allHead', 'chain_allHead', () => headerJson(this.head)),
      chain_unsubscribeAllHeads: ([id]) => this.unsubscribe(id),
      state_getMetadata: ([at]) => {
        this.blockAt(at);
        return u8aToHex(this.md.v14);
      },
      state_getRuntimeVersion: ([at]) => {
        this.blockAt(at);
        return this.runtimeVersionJson();
      },
      state_subscribeRuntimeVersion: (_p, c) => this.subscribe(subOnly(c), 'runtimeVersion', 'state_runtimeVersion', () => this.runtimeVersionJson()),
      state_unsubscribeRuntimeVersion: ([id]) => this.unsubscribe(id),
      state_getStorage: ([key, at]) => {
        if (typeof key !== 'string' || !isHex(key)) throw new RpcError(-32602, 'Invalid params', 'expected a hex storage key');
        return this.storageAt(at).storage.get(key.toLowerCase()) ?? null;
      },
      state_getStorageHash: ([key, at]) => {
        const v = this.storageAt(at).storage.get(String(key).toLowerCase());
        return v === undefined ? null : blake2AsHex(hexToU8a(v));
      },
      state_getStorageSize: ([key, at]) => {
        const v = this.storageAt(at).storage.get(String(key).toLowerCase());
        return v === undefined ? null : (v.length - 2) / 2;
      },
      state_queryStorageAt: ([keys, at]) => {
        if (!Array.isArray(keys)) throw new RpcError(-32602, 'Invalid params', 'expected a list of keys');
        const { block, storage } = this.storageAt(at);
        return [{ block: block.hash, changes: keys.map((k) => [k, storage.get(String(k).toLowerCase()) ?? null]) }];
      },
      state_getKeysPaged: ([prefix, count, startKey, at]) => {
        const { block, storage } = this.storageAt(at);
        if (this.sortedKeys?.hash !== block.hash) this.sortedKeys = { hash: block.hash, keys: [...storage.keys()].sort() };
        const p = String(prefix ?? '0x').toLowerCase();
        const start = typeof startKey === 'string' ? startKey.toLowerCase() : '';
        const n = Math.min(Number(count ?? 1000), 1000);
        const out: string[] = [];
        for (const k of this.sortedKeys.keys) {
          if (out.length >= n) break;
          if (k.startsWith(p) && k > start) out.push(k);
        }
        return out;
      },
      state_getKeys: ([prefix, at]) => {
        const { storage } = this.storageAt(at);
        const p = String(prefix ?? '0x').toLowerCase();
        return [...storage.keys()].filter((k) => k.startsWith(p)).sort();
      },
      state_subscribeStorage: ([keys], c) => {
        const list = Array.isArray(keys) ? keys.map((k) => String(k).toLowerCase()) : null;
        return this.subscribe(subOnly(c), 'storage', 'state_storage', () => {
          const st = this.snapshots.get(this.head.hash)!;
          const ks = list ?? [...st.keys()];
          return { block: this.head.hash, changes: ks.map((k) => [k, st.get(k) ?? null]) };
        }, list);
      },
      state_unsubscribeStorage: ([id]) => this.unsubscribe(id),
      state_call: ([method, data, at]) => {
        this.blockAt(at);
        if (typeof method !== 'string') throw new RpcError(-32602, 'Invalid params', 'expected a method name');
        let bytes: Uint8Array;
        try {
          bytes = hexToU8a(String(data ?? '0x'));
        } catch {
          throw new RpcError(-32602, 'Invalid params', 'expected hex call data');
        }
        try {
          return u8aToHex(this.stateCall(method, bytes));
        } catch (e) {
          if (e instanceof RpcError) throw e;
          throw new RpcError(4003, `Client error: Execution failed: Execution aborted due to trap: ${(e as Error).message}`);
        }
      },
      author_submitExtrinsic: ([hex]) => this.submit(String(hex)).hash,
      author_submitAndWatchExtrinsic: ([hex], c) => {
        const conn = subOnly(c);
        const tx = this.submit(String(hex));
        const ready = this.isReady(tx);
        const id = this.subscribe(conn, 'extrinsic', 'author_extrinsicUpdate', () => (ready ? 'ready' : 'future'));
        tx.watchers.add(this.subs.get(id)!);
        return id;
      },
      author_unwatchExtrinsic: ([id]) => this.unsubscribe(id),
      author_pendingExtrinsics: () => this.pool.map((t) => t.hex),
      payment_queryInfo: ([hex]) => {
        let ext: Extrinsic;
        try {
          ext = this.md.registry.createType('Extrinsic', hexToU8a(String(hex)));
        } catch (e) {
          throw new RpcError(9000, 'Unable to query dispatch info.', `Unable to decode extrinsic: ${(e as Error).message}`);
        }
        const call = ext.method as unknown as Call;
        return {
          weight: { ref_time: Number(callWeight(call)), proof_size: 0 },
          class: 'normal',
          partialFee: computeFee(call, ext.encodedLength).total.toString(),
        };
      },
    };
    // aliases a Substrate node also serves
    m.chain_getFinalisedHead = m.chain_getFinalizedHead!;
    m.chain_subscribeFinalisedHeads = m.chain_subscribeFinalizedHeads!;
    m.chain_unsubscribeFinalisedHeads = m.chain_unsubscribeFinalizedHeads!;
    m.chain_getRuntimeVersion = m.state_getRuntimeVersion!;
    m.chain_subscribeRuntimeVersion = m.state_subscribeRuntimeVersion!;
    m.chain_unsubscribeRuntimeVersion = m.state_unsubscribeRuntimeVersion!;
    m.state_getStorageAt = m.state_getStorage!;
    m.state_getKeysPagedAt = m.state_getKeysPaged!;
    m.state_callAt = m.state_call!;
    m.chain_subscribeNewHead = m.chain_subscribeNewHeads!;
    m.chain_unsubscribeNewHead = m.chain_unsubscribeNewHeads!;
    return m;
  }

  private methodTable: ReturnType<Devnet['methods']> | null = null;

  handle(raw: string, conn: WsConnection | null): string | null {
    let msg: unknown;
    try {
      msg = JSON.parse(raw);
    } catch {
      return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) return JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid request' } });
      return `[${msg.map((x) => this.handleOne(x, conn)).join(',')}]`;
    }
    return this.handleOne(msg, conn);
  }

  private handleOne(msg: unknown, conn: WsConnection | null): string {
    const req = msg as { id?: unknown; method?: unknown; params?: unknown };
    const id = req && typeof req === 'object' && 'id' in req ? (req.id as unknown) : null;
    const reply = (body: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', ...body, id });
    if (!req || typeof req !== 'object' || typeof req.method !== 'string') {
      return reply({ error: { code: -32600, message: 'Invalid request' } });
    }
    this.methodTable ??= this.methods();
    const fn = this.methodTable[req.method];
    if (!fn) return reply({ error: { code: -32601, message: 'Method not found' } });
    const params = Array.isArray(req.params) ? req.params : req.params === undefined || req.params === null ? [] : [req.params];
    try {
      const result = fn(params, conn);
      return reply({ result: result === undefined ? null : result });
    } catch (e) {
      if (e instanceof RpcError) {
        return reply({ error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } });
      }
      return reply({ error: { code: -32603, message: 'Internal error', data: (e as Error).message } });
    }
  }

  private async listen(): Promise<void> {
    this.ws = createWsServer(
      (conn) => {
        conn.onMessage = (text) => {
          const out = this.handle(text, conn);
          if (out !== null) conn.send(out);
        };
        conn.onClose = () => {
          for (const [id, s] of this.subs) if (s.conn === conn) this.subs.delete(id);
        };
      },
      async (_req, body) => this.handle(body, null) ?? '',
    );
    await new Promise<void>((resolve, reject) => {
      this.ws!.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? new LocoError('io', `port ${this.opts.port} is already in use (another devnet or node?); pick one with --port`)
            : e,
        ),
      );
      this.ws!.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.port = (this.ws.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ws?.close();
    if (this.blocksFd !== null) {
      closeSync(this.blocksFd);
      this.blocksFd = null;
    }
    if (this.lockPath) rmSync(this.lockPath, { force: true });
    this.lockPath = null;
  }
}

export type { State };
