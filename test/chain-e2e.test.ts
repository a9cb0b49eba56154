// The client and the chain commands end to end over a real WebSocket, against a small scripted
// Substrate node that serves finney's spec-393 metadata (so every byte the client sends is
// finney's): it decodes each submitted extrinsic, checks the signer and nonce, applies a few
// effects, and answers ready → inBlock → finalized with System.Events (success or a module
// error), or a pool error (1010 custom codes). Checks which key signed what, the confirmation
// rule, the storage fallback for the metagraph, commit–reveal, decoded errors and reconnection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiPromise } from '@polkadot/api';
import { LOCO, SHARED, tempDir } from './helpers.js';
import { OfflineProvider, readHexFile } from '../src/chain/offline.js';
import { SUBTENSOR_SIGNED_EXTENSIONS, connect } from '../src/chain/client.js';
import { commitHash } from '../src/chain/weights.js';
import { blake2AsHex } from '@polkadot/util-crypto';

const FIX = join(SHARED, 'fixtures', 'subtensor');
const WALLET = join(SHARED, 'fixtures', 'wallet', 'wallets', 'fixture');
const have = existsSync(join(FIX, 'finney-spec393-metadata-v15.hex')) && existsSync(WALLET);
const skip = have ? false : `fixtures not found under ${SHARED}/fixtures: skipping the end-to-end chain tests`;
if (!have) console.log(`# ${skip}`);

const COLD = '5HDvhV6WDCjCKyrXqGQSDYqQAzkzabNhctmiDYEqgBC66BsX';
const HOT = '5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV';
const COLD_HEX = 'e4359ad3e2716c539a1d663ebd0a51bdc5c98a12e663bb4c4402db47828c9446';
const OTHER = '5FEiH8iuDUw271xbqWTWuB6WrDjv5dnCeDX1CyHubAniXDNN';
const TAO = 1_000_000_000n;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
type WebSocket = Any;
// `ws` (the WebSocket library @polkadot/api itself uses) has no type declarations installed here.
const wsModule = (): Promise<Any> => import('ws' as string);

/** SCALE bytes as hex (a number's toHex() is big-endian, not SCALE). */
const scale = (c: { toU8a(): Uint8Array }) => `0x${Buffer.from(c.toU8a()).toString('hex')}`;

interface Submitted {
  pallet: string;
  call: string;
  signer: string;
  nonce: number;
  args: Any[];
}

/** A scripted node: enough JSON-RPC for @polkadot/api to connect, read, sign and submit. */
class FakeNode {
  wss!: Any;
  port = 0;
  storage = new Map<string, string>();
  blocks = new Map<string, { number: number; parent: string; extrinsics: string[]; events: string }>();
  head: string;
  submitted: Submitted[] = [];
  /** Next submission of this call is refused by the pool with this custom code. */
  poolReject: Record<string, number> = {};
  commits = new Map<string, string>();
  private subId = 0;

  constructor(readonly h: ApiPromise, readonly metadataHex: string) {
    this.head = this.hashOf(0);
    this.blocks.set(this.head, { number: 0, parent: `0x${'00'.repeat(32)}`, extrinsics: [], events: this.encodeEvents([]) });
  }

  hashOf(n: number) {
    return `0x${n.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`;
  }

  // ---- storage helpers over the real metadata ----
  entry(pallet: string, item: string): Any {
    return (this.h.query as Any)[pallet][item];
  }
  valueType(e: Any): string {
    const t = e.creator.meta.type;
    return this.h.registry.createLookupType(t.isMap ? t.asMap.value : t.asPlain);
  }
  put(pallet: string, item: string, args: unknown[], value: unknown) {
    const e = this.entry(pallet, item);
    this.storage.set(e.key(...args), scale(this.h.registry.createType(this.valueType(e), value)));
  }
  get(pallet: string, item: string, args: unknown[]): Any {
    const e = this.entry(pallet, item);
    const v = this.storage.get(e.key(...args));
    return v === undefined ? undefined : this.h.registry.createType(this.valueType(e), new Uint8Array(Buffer.from(v.slice(2), 'hex')));
  }
  account(addr: string) {
    const a = this.get('system', 'account', [addr]);
    return { nonce: a ? a.nonce.toNumber() : 0, free: a ? BigInt(a.data.free.toString()) : 0n };
  }
  setAccount(addr: string, nonce: number, free: bigint) {
    this.put('system', 'account', [addr], { nonce, providers: 1, data: { free, reserved: 0, frozen: 0, flags: 0 } });
  }

  /** One event's bytes: pallet index, event index, then each field SCALE-encoded by its metadata type. */
  eventBytes(pallet: string, name: string, args: unknown[]): Uint8Array {
    const reg: Any = this.h.registry;
    const p = reg.metadata.pallets.find((x: Any) => x.name.toString() === pallet);
    const v = reg.lookup.getSiType(p.events.unwrap().type).def.asVariant.variants.find((x: Any) => x.name.toString() === name);
    assert.ok(v, `event ${pallet}.${name}`);
    const fields = v.fields.map((f: Any, i: number) => reg.createType(reg.createLookupType(f.type), args[i]).toU8a());
    return Buffer.concat([Buffer.from([p.index.toNumber(), v.index.toNumber()]), ...fields]);
  }

  /** Vec<EventRecord> with every event in phase ApplyExtrinsic(0) and no topics. */
  encodeEvents(events: Array<{ event: [string, string, unknown[]] }>): string {
    const reg = this.h.registry;
    const recs = events.map(({ event: [p, n, a] }) => Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), this.eventBytes(p, n, a), Buffer.from([0])]));
    return `0x${Buffer.concat([reg.createType('Compact<u32>', recs.length).toU8a(), ...recs]).toString('hex')}`;
  }

  async start(port = 0) {
    const { WebSocketServer } = await wsModule();
    this.wss = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise<void>((r) => this.wss.on('listening', () => r()));
    this.port = (this.wss.address() as { port: number }).port;
    this.wss.on('connection', (ws: WebSocket) => ws.on('message', (m: unknown) => this.onMessage(ws, String(m))));
  }
  async stop() {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }

  private send(ws: WebSocket, o: unknown) {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(o));
  }

  private header(hash: string) {
    const b = this.blocks.get(hash) ?? this.blocks.get(this.head)!;
    return { parentHash: b.parent, number: `0x${b.number.toString(16)}`, stateRoot: `0x${'11'.repeat(32)}`, extrinsicsRoot: `0x${'22'.repeat(32)}`, digest: { logs: [] } };
  }

  private runtimeVersion() {
    return {
      specName: 'node-subtensor', implName: 'node-subtensor', authoringVersion: 1, specVersion: 393, implVersion: 1, transactionVersion: 1, stateVersion: 1,
      // what this node serves (NeuronInfoRuntimeApi is deliberately absent: the client reads storage)
      apis: [['Metadata', 2], ['AccountNonceApi', 1], ['TransactionPaymentApi', 4], ['SubnetRegistrationRuntimeApi', 1]].map(([n, v]) => [blake2AsHex(n as string, 64), v]),
    };
  }

  private onMessage(ws: WebSocket, text: string) {
    const { id, method, params } = JSON.parse(text) as { id: number; method: string; params: Any[] };
    try {
      const r = this.handle(ws, method, params ?? []);
      this.send(ws, { jsonrpc: '2.0', id, result: r === undefined ? null : r });
    } catch (e) {
      const x = e as { code?: number; message: string; data?: string };
      this.send(ws, { jsonrpc: '2.0', id, error: { code: x.code ?? -32601, message: x.message, ...(x.data ? { data: x.data } : {}) } });
    }
  }

  private stateCall(name: string, args: string): string {
    const reg = this.h.registry;
    switch (name) {
      case 'Metadata_metadata_versions':
        return '0x080e0000000f000000';
      case 'Metadata_metadata_at_version':
        return this.metadataHex;
      case 'AccountNonceApi_account_nonce': {
        const who = reg.createType('AccountId32', args).toString();
        return scale(reg.createType('u32', this.account(who).nonce));
      }
      case 'TransactionPaymentApi_query_info': {
        const api = (reg.metadata.apis as Any).find((a: Any) => a.name.toString() === 'TransactionPaymentApi');
        const out = api.methods.find((m: Any) => m.name.toString() === 'query_info').output;
        return scale(reg.createType(reg.createLookupType(out), { weight: { refTime: 1000, proofSize: 10 }, class: 'Normal', partialFee: 12_345 }));
      }
      case 'SubnetRegistrationRuntimeApi_get_network_registration_cost':
        return scale(reg.createType('u64', 100n * TAO));
      default:
        // e.g. NeuronInfoRuntimeApi_get_neurons_lite: not served here, so the client reads storage
        throw Object.assign(new Error(`Execution failed: Exported method ${name} is not found`), { code: 1002 });
    }
  }

  private handle(ws: WebSocket, method: string, params: Any[]): unknown {
    switch (method) {
      case 'rpc_methods':
        return { methods: [] };
      case 'system_chain':
        return 'Bittensor';
      case 'system_name':
        return 'fake-subtensor';
      case 'system_version':
        return '0.0.1';
      case 'system_properties':
        return { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' };
      case 'system_health':
        return { peers: 0, isSyncing: false, shouldHavePeers: false };
      case 'chain_getBlockHash':
        return params[0] === undefined || params[0] === null ? this.head : this.hashOf(Number(params[0]));
      case 'chain_getHeader':
        return this.header(params[0] ?? this.head);
      case 'chain_getFinalizedHead':
        return this.head;
      case 'chain_getBlock': {
        const b = this.blocks.get(params[0] ?? this.head)!;
        return { block: { header: this.header(params[0] ?? this.head), extrinsics: b.extrinsics }, justifications: null };
      }
      case 'state_getRuntimeVersion':
        return this.runtimeVersion();
      case 'state_subscribeRuntimeVersion': {
        const sub = `rv${++this.subId}`;
        setTimeout(() => this.send(ws, { jsonrpc: '2.0', method: 'state_runtimeVersion', params: { subscription: sub, result: this.runtimeVersion() } }), 5);
        return sub;
      }
      case 'state_unsubscribeRuntimeVersion':
      case 'author_unwatchExtrinsic':
        return true;
      case 'state_call':
        return this.stateCall(params[0], params[1]);
      case 'state_getStorage': {
        const [key, at] = params;
        if (key === this.entry('system', 'events').key()) return this.blocks.get(at ?? this.head)?.events ?? null;
        return this.storage.get(key) ?? null;
      }
      case 'state_getKeysPaged': {
        const [prefix, count, start] = params;
        return [...this.storage.keys()].filter((k) => k.startsWith(prefix) && (!start || k > start)).sort().slice(0, count);
      }
      case 'state_queryStorageAt': {
        const [keys] = params;
        return [{ block: this.head, changes: keys.map((k: string) => [k, this.storage.get(k) ?? null]) }];
      }
      case 'system_accountNextIndex':
        return this.account(String(params[0])).nonce;
      case 'author_submitAndWatchExtrinsic':
        return this.submit(ws, params[0]);
      default:
        throw Object.assign(new Error(`Method not found: ${method}`), { code: -32601 });
    }
  }

  private moduleError(pallet: string, name: string) {
    const reg: Any = this.h.registry;
    const p = reg.metadata.pallets.find((x: Any) => x.name.toString() === pallet);
    const idx = reg.lookup.getSiType(p.errors.unwrap().type).def.asVariant.variants.findIndex((v: Any) => v.name.toString() === name);
    assert.ok(idx >= 0, `${pallet}.${name}`);
    return { Module: { index: p.index.toNumber(), error: [idx, 0, 0, 0] } };
  }

  private submit(ws: WebSocket, hex: string): string {
    const reg = this.h.registry;
    const ext: Any = reg.createType('Extrinsic', hex);
    assert.ok(ext.isSigned, 'extrinsic is signed');
    const signer = ext.signer.toString();
    const call = { pallet: ext.method.section, call: ext.method.method, signer, nonce: ext.nonce.toNumber(), args: ext.method.args.map((a: Any) => a.toJSON()) };
    const acc = this.account(signer);
    if (call.nonce !== acc.nonce) throw Object.assign(new Error('Invalid Transaction'), { code: 1010, data: call.nonce < acc.nonce ? 'Transaction is outdated' : 'Transaction is in the future' });
    // the signature must verify against the signer over the signing payload
    const custom = this.poolReject[call.call];
    if (custom !== undefined) {
      delete this.poolReject[call.call];
      throw Object.assign(new Error('Invalid Transaction'), { code: 1010, data: `Custom error: ${custom}` });
    }
    this.submitted.push(call);
    this.setAccount(signer, acc.nonce + 1, acc.free - 12_345n);
    const { events, error } = this.apply(call);
    const dispatchInfo = { weight: { refTime: 1000, proofSize: 10 }, class: 'Normal', paysFee: 'Yes' };
    const all = [...(error ? [] : events), { event: (error ? ['System', 'ExtrinsicFailed', [error, dispatchInfo]] : ['System', 'ExtrinsicSuccess', [dispatchInfo]]) as [string, string, unknown[]] }];
    const parent = this.head;
    const number = this.blocks.get(parent)!.number + 1;
    const hash = this.hashOf(number);
    this.blocks.set(hash, { number, parent, extrinsics: [hex], events: this.encodeEvents(all) });
    this.head = hash;
    const sub = `tx${++this.subId}`;
    const note = (result: unknown) => this.send(ws, { jsonrpc: '2.0', method: 'author_extrinsicUpdate', params: { subscription: sub, result } });
    setTimeout(() => note('ready'), 5);
    setTimeout(() => note({ inBlock: hash }), 15);
    setTimeout(() => note({ finalized: hash }), 25);
    return sub;
  }

  private apply(c: Submitted): { events: Array<{ event: [string, string, unknown[]] }>; error?: Any } {
    const key = `${c.pallet}.${c.call}`;
    if (key === 'balances.transferKeepAlive' || key === 'balances.transferAllowDeath') {
      const dest = c.args[0].id;
      const amount = BigInt(c.args[1]);
      const from = this.account(c.signer);
      if (from.free < amount) return { events: [], error: this.moduleError('Balances', 'InsufficientBalance') };
      this.setAccount(c.signer, from.nonce, from.free - amount);
      const to = this.account(dest);
      this.setAccount(dest, to.nonce, to.free + amount);
      return { events: [{ event: ['Balances', 'Transfer', [c.signer, dest, amount]] as [string, string, unknown[]] }] };
    }
    if (key === 'subtensorModule.burnedRegister') {
      const [netuid, hotkey] = c.args as [number, string];
      if (this.get('subtensorModule', 'uids', [netuid, hotkey])) return { events: [], error: this.moduleError('SubtensorModule', 'HotKeyAlreadyRegisteredInSubNet') };
      const n = this.get('subtensorModule', 'subnetworkN', [netuid]).toNumber();
      this.put('subtensorModule', 'keys', [netuid, n], hotkey);
      this.put('subtensorModule', 'uids', [netuid, hotkey], n);
      this.put('subtensorModule', 'owner', [hotkey], c.signer);
      this.put('subtensorModule', 'subnetworkN', [netuid], n + 1);
      return { events: [{ event: ['SubtensorModule', 'NeuronRegistered', [netuid, n, hotkey]] as [string, string, unknown[]] }] };
    }
    if (key === 'subtensorModule.registerNetwork') return { events: [{ event: ['SubtensorModule', 'NetworkAdded', [2, 1]] as [string, string, unknown[]] }] };
    if (key === 'subtensorModule.addStake' || key === 'subtensorModule.removeStake') {
      const [hotkey, netuid, amount] = c.args as [string, number, number];
      const cur = BigInt(this.get('subtensorModule', 'totalHotkeyAlpha', [hotkey, netuid])?.toString() ?? '0');
      this.put('subtensorModule', 'totalHotkeyAlpha', [hotkey, netuid], key.endsWith('addStake') ? cur + BigInt(amount) : cur - BigInt(amount));
      return { events: [] };
    }
    const registered = (netuid: number) => Boolean(this.get('subtensorModule', 'uids', [netuid, c.signer]));
    if (key === 'subtensorModule.setWeights') {
      if (!registered(c.args[0])) return { events: [], error: this.moduleError('SubtensorModule', 'HotKeyNotRegisteredInSubNet') };
      return { events: [{ event: ['SubtensorModule', 'WeightsSet', [c.args[0], 0]] as [string, string, unknown[]] }] };
    }
    if (key === 'subtensorModule.commitWeights') {
      this.commits.set(`${c.args[0]}:${c.signer}`, c.args[1]);
      return { events: [] };
    }
    if (key === 'subtensorModule.revealWeights') {
      const [netuid, uids, values, salt, vk] = c.args as [number, number[], number[], number[], number];
      const who = (this.h.registry.createType('AccountId32', c.signer) as Any).toU8a();
      const h = commitHash({ hotkey: who, netuid, uids, values, salt, versionKey: BigInt(vk) });
      if (this.commits.get(`${netuid}:${c.signer}`) !== h) return { events: [], error: this.moduleError('SubtensorModule', 'InvalidRevealCommitHashNotMatch') };
      return { events: [{ event: ['SubtensorModule', 'WeightsSet', [netuid, 0]] as [string, string, unknown[]] }] };
    }
    if (key === 'commitments.setCommitment') {
      const [netuid, info] = c.args as [number, Any];
      this.put('commitments', 'commitmentOf', [netuid, c.signer], { deposit: 0, block: this.blocks.get(this.head)!.number + 1, info });
      return { events: [] };
    }
    return { events: [] };
  }
}

let helper: ApiPromise;
let node: FakeNode;
let home: string;
let url: string;

function setupState(n: FakeNode) {
  n.setAccount(COLD, 0, 50n * TAO);
  n.setAccount(HOT, 0, 1n * TAO);
  n.put('subtensorModule', 'networksAdded', [1], true);
  n.put('subtensorModule', 'networksAdded', [3], true);
  for (const netuid of [1, 3]) {
    n.put('subtensorModule', 'tempo', [netuid], 360);
    n.put('subtensorModule', 'burn', [netuid], netuid === 1 ? 2n * TAO : 100n * TAO);
    n.put('subtensorModule', 'maxAllowedUids', [netuid], 256);
    n.put('subtensorModule', 'subnetOwner', [netuid], OTHER);
    n.put('subtensorModule', 'weightsVersionKey', [netuid], 7);
    n.put('subtensorModule', 'immunityPeriod', [netuid], 5000);
    n.put('subtensorModule', 'commitRevealWeightsEnabled', [netuid], netuid === 3);
  }
  // subnet 1 starts with one neuron (uid 0), owned by OTHER
  n.put('subtensorModule', 'subnetworkN', [1], 1);
  n.put('subtensorModule', 'subnetworkN', [3], 0);
  n.put('subtensorModule', 'keys', [1, 0], OTHER);
  n.put('subtensorModule', 'uids', [1, OTHER], 0);
  n.put('subtensorModule', 'owner', [OTHER], OTHER);
  n.put('subtensorModule', 'active', [1], [true, true]);
  n.put('subtensorModule', 'validatorPermit', [1], [true, false]);
  n.put('subtensorModule', 'incentive', [1], [0, 65535]);
  n.put('subtensorModule', 'dividends', [1], [65535, 0]);
  n.put('subtensorModule', 'emission', [1], [5n * TAO, 3n * TAO]);
  n.put('subtensorModule', 'lastUpdate', [1], [100, 90]);
  n.put('subtensorModule', 'totalHotkeyAlpha', [OTHER, 1], 1000n * TAO);
}

before(async () => {
  if (!have) return;
  const { ApiPromise } = await import('@polkadot/api');
  const metadataHex = readHexFile(join(FIX, 'finney-spec393-metadata-v15.hex'));
  helper = await ApiPromise.create({ provider: new OfflineProvider({ metadataAtVersionHex: metadataHex, specVersion: 393 }), noInitWarn: true, signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS });
  node = new FakeNode(helper, metadataHex);
  setupState(node);
  await node.start();
  url = `ws://127.0.0.1:${node.port}`;
  home = tempDir();
  cpSync(WALLET, join(home, 'wallets', 'fixture'), { recursive: true });
  writeFileSync(join(home, 'pw'), 'thisisafakepassword\n');
  // The same keys with an unencrypted coldkey (as `--no-use-password` writes it): most tests use it,
  // because an argon2i unlock (512 MiB) per command would dominate their time.
  cpSync(WALLET, join(home, 'wallets', 'plain'), { recursive: true });
  writeFileSync(
    join(home, 'wallets', 'plain', 'coldkey'),
    JSON.stringify({
      accountId: `0x${COLD_HEX}`, publicKey: `0x${COLD_HEX}`, ss58Address: COLD,
      secretPhrase: 'old leopard transfer rib spatial phone calm indicate online fire caution review',
    }),
    { mode: 0o600 },
  );
});
after(async () => {
  await node?.stop();
  await helper?.disconnect();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: Any;
}
/** `loco …` against the fake node, asynchronously (the node lives in this process). */
function run(args: string[], wallet = 'plain', json = true): Promise<Run> {
  const env = { ...process.env, HOME: home, LOCO_CONFIG_DIR: join(home, '.cfg'), NO_COLOR: '1' } as NodeJS.ProcessEnv;
  delete env.LOCO_PASSWORD;
  const full = [...args, '--network', url, '--wallet-path', join(home, 'wallets'), '--wallet-name', wallet, ...(json ? ['--json'] : [])];
  return new Promise((resolve) => {
    execFile(process.execPath, [LOCO, ...full], { env, timeout: 240_000 }, (err, stdout, stderr) => {
      let json: Any;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* asserted by the caller */
      }
      resolve({ code: err ? ((err as Any).code ?? -1) : 0, stdout, stderr, json });
    });
  });
}

test('reads: balance, subnet list/show/hyperparameters, and the metagraph from storage when get_neurons_lite is not served', { skip }, async () => {
  const [bal, list, show, hp, mg, human] = await Promise.all([
    run(['wallet', 'balance']),
    run(['subnet', 'list']),
    run(['subnet', 'show', '--netuid', '1']),
    run(['subnet', 'hyperparameters', '--netuid', '3']),
    run(['subnet', 'metagraph', '--netuid', '1']),
    run(['subnet', 'metagraph', '--netuid', '1', '--sort', 'stake'], 'plain', false),
  ]);
  // people's output: a table on stdout, and no library noise on stderr (the runtime API this node
  // does not list is not even tried)
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /metagraph of subnet 1 on ws:\/\/127\.0\.0\.1:\d+ at block \d+ \(storage\)\nuid +stake +incentive/);
  assert.match(human.stdout, new RegExp(`\\n +0 +1000\\.000000000 +0\\.00000 +1\\.00000 .* ${OTHER}\\n`));
  assert.equal(human.stderr, '');
  assert.equal(bal.code, 0, bal.stderr);
  assert.deepEqual(bal.json.data.balances[0].free, { rao: '50000000000', tao: '50.000000000' });
  assert.equal(bal.json.data.balances[0].address, COLD);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(list.json.data.subnets.map((s: Any) => [s.netuid, s.tempo, s.burn.tao, s.maxN, s.owner]), [
    [1, 360, '2.000000000', 256, OTHER],
    [3, 360, '100.000000000', 256, OTHER],
  ]);
  assert.equal(show.code, 0, show.stderr);
  assert.equal(show.json.data.subnet.n, 1);
  assert.equal(hp.json.data.hyperparameters.commit_reveal_weights_enabled, true);
  assert.equal(hp.json.data.hyperparameters.weights_version_key, 7);
  assert.equal(hp.json.data.hyperparameters.immunity_period, 5000);
  assert.equal(mg.code, 0, mg.stderr);
  assert.equal(mg.json.data.source, 'storage');
  const n0 = mg.json.data.neurons[0];
  assert.equal(n0.hotkey, OTHER);
  assert.equal(n0.coldkey, OTHER);
  assert.equal(n0.stake, String(1000n * TAO));
  assert.equal(n0.dividends, 1);
  assert.equal(n0.validatorPermit, true);
  assert.equal(n0.emission, String(5n * TAO));
  assert.equal(n0.lastUpdate, 100);
  const nf = await run(['subnet', 'show', '--netuid', '9']);
  assert.equal(nf.code, 4);
  assert.match(nf.json.error.message, /subnet 9 does not exist/);
});

test('burned_register: shows the cost, needs --yes without a terminal, is signed by the (encrypted) coldkey, reports the uid', { skip }, async () => {
  const before = node.submitted.length;
  const no = await run(['subnet', 'register', '--netuid', '1', '--password-file', join(home, 'pw')], 'fixture');
  assert.equal(no.code, 9, no.stderr);
  assert.equal(no.json.error.kind, 'cancelled');
  assert.match(no.stderr, /cost τ2\.000000000/);
  assert.equal(node.submitted.length, before, 'nothing submitted without a yes');
  const r = await run(['subnet', 'register', '--netuid', '1', '--password-file', join(home, 'pw'), '--yes'], 'fixture');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(r.json.data.uid, 1);
  assert.equal(r.json.data.hotkey, HOT);
  assert.deepEqual(r.json.data.cost, { rao: '2000000000', tao: '2.000000000' });
  const s = node.submitted.at(-1)!;
  assert.deepEqual([s.pallet, s.call, s.signer, s.args], ['subtensorModule', 'burnedRegister', COLD, [1, HOT]]);
  const again = await run(['subnet', 'register', '--netuid', '1', '--yes'], 'fixture');
  assert.equal(again.code, 0);
  assert.equal(again.json.data.alreadyRegistered, true);
  assert.equal(again.json.data.uid, 1);
});

test('transfer and stake are signed by the coldkey with the exact RAO amounts', { skip }, async () => {
  const t = await run(['wallet', 'transfer', '--dest', OTHER, '--amount', '1.25', '--yes']);
  assert.equal(t.code, 0, t.stderr + t.stdout);
  let s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['transferKeepAlive', COLD, [{ id: OTHER }, 1_250_000_000]]);
  assert.equal(t.json.data.events.some((e: Any) => e.pallet === 'Balances' && e.name === 'Transfer'), true);
  const a = await run(['stake', 'add', '--netuid', '1', '--amount', '3.000000001', '--yes']);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['addStake', COLD, [HOT, 1, 3_000_000_001]]);
  const rm = await run(['stake', 'remove', '--netuid', '1', '--amount', '1', '--yes']);
  assert.equal(rm.code, 0, rm.stderr + rm.stdout);
  s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['removeStake', COLD, [HOT, 1, 1_000_000_000]]);
  const poor = await run(['wallet', 'transfer', '--dest', OTHER, '--amount', '1000', '--yes']);
  assert.equal(poor.code, 8);
  assert.match(poor.json.error.message, /balance too low/);
});

test('weights: set and commit/reveal are signed by the hotkey, normalised as the SDK does, with the subnet version key', { skip }, async () => {
  const w = await run(['weights', 'set', '--netuid', '1', '--uids', '0,1', '--weights', '0.5,1']);
  assert.equal(w.code, 0, w.stderr + w.stdout);
  let s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['setWeights', HOT, [1, [0, 1], [32768, 65535], 7]]);
  const out = join(home, 'reveal.json');
  const c = await run(['weights', 'commit', '--netuid', '1', '--uids', '0,1', '--weights', '1,3', '--salt', '1,2,3,4,5,6,7,8', '--out', out]);
  assert.equal(c.code, 0, c.stderr + c.stdout);
  s = node.submitted.at(-1)!;
  assert.equal(s.call, 'commitWeights');
  assert.equal(s.signer, HOT);
  assert.equal(s.args[1], c.json.data.commitHash);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')).values, [21845, 65535]);
  const rv = await run(['weights', 'reveal', '--from', out]);
  assert.equal(rv.code, 0, rv.stderr + rv.stdout);
  s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['revealWeights', HOT, [1, [0, 1], [21845, 65535], [1, 2, 3, 4, 5, 6, 7, 8], 7]]);
  // a reveal that does not match the commit: the module error comes back decoded
  const bad = await run(['weights', 'reveal', '--netuid', '1', '--uids', '0,1', '--weights', '1,3', '--salt', '9,9,9,9,9,9,9,9', '--version-key', '7']);
  assert.equal(bad.code, 8);
  assert.equal(bad.json.error.kind, 'chain');
  assert.match(bad.json.error.message, /reveal_weights failed: SubtensorModule\.InvalidRevealCommitHashNotMatch/);
  assert.equal(bad.json.error.details.error.name, 'InvalidRevealCommitHashNotMatch');
});

test('errors: not registered, a pool rejection with a custom code, and set_commitment / commitments round trip', { skip }, async () => {
  node.poolReject.setWeights = 6;
  // (the first stops before submitting anything, so the two can run side by side)
  const [nr, rl] = await Promise.all([
    run(['weights', 'set', '--netuid', '3', '--uids', '0', '--weights', '1']),
    run(['weights', 'set', '--netuid', '1', '--uids', '0', '--weights', '1']),
  ]);
  assert.equal(nr.code, 8);
  assert.match(nr.json.error.message, /not registered on subnet 3/);
  assert.equal(rl.code, 8);
  assert.match(rl.json.error.message, /set_weights rejected by the chain: rate limit exceeded.*\(RateLimitExceeded, custom error 6\)/);
  const cm = await run(['subnet', 'commit', '--netuid', '1', '--data', 'hello']);
  assert.equal(cm.code, 0, cm.stderr + cm.stdout);
  const s = node.submitted.at(-1)!;
  assert.deepEqual([s.pallet, s.call, s.signer, s.args], ['commitments', 'setCommitment', HOT, [1, { fields: [{ raw5: '0x68656c6c6f' }] }]]);
  const ls = await run(['subnet', 'commitments', '--netuid', '1']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(ls.json.data.commitments.map((x: Any) => [x.hotkey, x.fields[0].type, x.fields[0].text]), [[HOT, 'Raw5', 'hello']]);
});

test('subnet create: register_network signed by the coldkey, cost from the runtime API, netuid from the event', { skip }, async () => {
  const c = await run(['subnet', 'create', '--yes']);
  // 100 TAO lock cost > the fixture coldkey's balance: refused before anything is signed
  assert.equal(c.code, 8);
  assert.match(c.json.error.message, /balance too low to create a subnet: the cost is τ100\.000000000/);
  node.setAccount(COLD, node.account(COLD).nonce, 500n * TAO);
  const ok = await run(['subnet', 'create', '--yes']);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.equal(ok.json.data.netuid, 2);
  const s = node.submitted.at(-1)!;
  assert.deepEqual([s.call, s.signer, s.args], ['registerNetwork', COLD, [HOT]]);
});

test('the client reconnects after the node goes away and comes back', { skip }, async () => {
  const chain = await connect(url, { timeoutMs: 5000 });
  try {
    assert.equal((await chain.balance(OTHER)).free > 0n, true);
    await node.stop();
    await new Promise((r) => setTimeout(r, 300));
    await node.start(node.port);
    const t0 = Date.now();
    let ok = false;
    while (!ok && Date.now() - t0 < 10_000) {
      try {
        await chain.balance(OTHER);
        ok = true;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.ok(ok, 'reads work again after the reconnect');
  } finally {
    await chain.close();
  }
});
