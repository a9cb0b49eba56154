// Network names → WebSocket endpoints (the official SDK's and btcli's names). Cheap: no imports.
import { LocoError } from '../errors.js';

export const NETWORKS: Record<string, string> = {
  finney: 'wss://entrypoint-finney.opentensor.ai:443',
  test: 'wss://test.finney.opentensor.ai:443',
  archive: 'wss://archive.chain.opentensor.ai:443',
  local: 'ws://127.0.0.1:9944',
  /** The embedded devnet (`loco devnet start`) listens here by default. */
  devnet: 'ws://127.0.0.1:9944',
};

export const GENESIS: Record<string, string> = {
  finney: '0x2f0555cc76fc2840a25a6ea3b9637146806f1f44b090c175ffde2a7e5ab36c03',
  test: '0x8f9cf856bf558a14440e75569c9e58594757048d7b3a84b5d25f6bd978263105',
};

export interface Endpoint {
  /** The name given (a known network name, or "custom"). */
  name: string;
  url: string;
}

/** `finney` | `test` | `archive` | `local` | `devnet` | `ws://…` | `wss://…`. */
export function resolveNetwork(nameOrUrl: string): Endpoint {
  const s = nameOrUrl.trim();
  const known = NETWORKS[s.toLowerCase()];
  if (known) return { name: s.toLowerCase(), url: known };
  if (/^wss?:\/\/[^\s/]+/i.test(s)) return { name: 'custom', url: s };
  throw new LocoError(
    'usage',
    `unknown network "${nameOrUrl}": use ${Object.keys(NETWORKS).join(', ')}, or a ws:// or wss:// URL`,
  );
}
