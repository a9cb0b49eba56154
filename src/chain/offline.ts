// A provider that answers the handful of RPCs `ApiPromise.create` needs from recorded data, so an
// ApiPromise runs with no node at all: tests build, sign and decode extrinsics over real finney
// metadata and replay recorded runtime-API responses (`state_call`) through the client's own code.
import type { ProviderInterface, ProviderInterfaceCallback, ProviderInterfaceEmitCb, ProviderInterfaceEmitted } from '@polkadot/rpc-provider/types';
import { readFileSync } from 'node:fs';
import { blake2AsHex } from '@polkadot/util-crypto';

export interface OfflineChain {
  /** `Metadata_metadata_at_version(15)` result as hex: 0x01 ‖ compact(len) ‖ metadata. */
  metadataAtVersionHex: string;
  specVersion: number;
  transactionVersion?: number;
  genesisHash?: string;
  chain?: string;
  /** Answers to `state_call(method, argsHex)`: keyed by `method` or `method:argsHex`. */
  stateCalls?: Record<string, string>;
  /** Block number reported by chain_getHeader (default 0). */
  blockNumber?: number;
  /** Answers to storage reads by key hex (missing keys read as null). */
  storage?: Record<string, string>;
}

const FINNEY_GENESIS = '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03';

export class OfflineProvider implements ProviderInterface {
  readonly isClonable = false;
  readonly hasSubscriptions = false;
  readonly isConnected = true;
  readonly stats = {
    active: { requests: 0, subscriptions: 0 },
    total: { bytesRecv: 0, bytesSent: 0, cached: 0, errors: 0, requests: 0, subscriptions: 0, timeout: 0 },
  };
  /** Every RPC asked, in order (tests look at what the client requested). */
  readonly calls: Array<{ method: string; params: unknown[] }> = [];

  constructor(private readonly chain: OfflineChain) {}

  clone(): ProviderInterface {
    return new OfflineProvider(this.chain);
  }
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}
  on(_type: ProviderInterfaceEmitted, _sub: ProviderInterfaceEmitCb): () => void {
    return () => {};
  }
  async subscribe(_type: string, method: string, _params: unknown[], _cb: ProviderInterfaceCallback): Promise<number | string> {
    throw new Error(`offline provider: no subscriptions (${method})`);
  }
  async unsubscribe(): Promise<boolean> {
    return true;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async send<T = any>(method: string, params: unknown[]): Promise<T> {
    this.calls.push({ method, params });
    const c = this.chain;
    switch (method) {
      case 'chain_getBlockHash':
        return (c.genesisHash ?? FINNEY_GENESIS) as T;
      case 'chain_getHeader':
        return {
          parentHash: `0x${'00'.repeat(32)}`,
          number: `0x${(c.blockNumber ?? 0).toString(16)}`,
          stateRoot: `0x${'00'.repeat(32)}`,
          extrinsicsRoot: `0x${'00'.repeat(32)}`,
          digest: { logs: [] },
        } as T;
      case 'chain_getFinalizedHead':
      case 'chain_getHead':
        return (c.genesisHash ?? FINNEY_GENESIS) as T;
      case 'state_getRuntimeVersion':
        return {
          specName: 'node-subtensor',
          implName: 'node-subtensor',
          authoringVersion: 1,
          specVersion: c.specVersion,
          implVersion: 1,
          // Metadata v2 (metadata comes by state_call), plus each runtime API with recorded answers
          apis: [
            ['0x37e397fc7c91f5e4', 2],
            ...[...new Set(Object.keys(c.stateCalls ?? {}).map((k) => k.split('_')[0]))].map((api) => [blake2AsHex(api, 64), 1]),
          ],
          transactionVersion: c.transactionVersion ?? 1,
          stateVersion: 1,
        } as T;
      case 'system_chain':
        return (c.chain ?? 'Bittensor') as T;
      case 'system_name':
        return 'offline' as T;
      case 'system_version':
        return '0.0.0' as T;
      case 'system_properties':
        return { ss58Format: 42, tokenDecimals: 9, tokenSymbol: 'TAO' } as T;
      case 'rpc_methods':
        return { methods: [] } as T;
      case 'state_getStorage':
        return (c.storage?.[String(params[0])] ?? null) as T;
      case 'state_call': {
        const [name, args] = params as [string, string];
        if (name === 'Metadata_metadata_versions') return '0x080e0000000f000000' as T;
        if (name === 'Metadata_metadata_at_version') return c.metadataAtVersionHex as T;
        const hit = c.stateCalls?.[`${name}:${args}`] ?? c.stateCalls?.[name];
        if (hit !== undefined) return hit as T;
        throw new Error(`offline provider: no recorded answer for state_call ${name}(${args})`);
      }
      default:
        throw new Error(`offline provider: no answer for ${method}`);
    }
  }
}

export function readHexFile(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
