// A devnet with fast blocks for chain tests, a connected client and the //Alice (sudo) key.
import type { KeyringPair } from '@polkadot/keyring/types';
import { connect, type Chain } from '../../src/chain/client.js';

export interface TestDevnet {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  devnet: any;
  chain: Chain;
  alice: KeyringPair;
}

export async function startTestDevnet(blockTimeMs = 200): Promise<TestDevnet> {
  const { Devnet } = await import('../../src/devnet/node.js');
  const devnet = await Devnet.start({ port: 0, blockTimeMs });
  const chain = await connect(devnet.url, { timeoutMs: 30_000 });
  const { Keyring } = await import('@polkadot/keyring');
  const alice = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Alice');
  return { devnet, chain, alice };
}
