// A devnet with fast blocks for chain tests, a connected client and the //Alice (sudo) key.
import { before, after } from 'node:test';
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

/**
 * One devnet for the whole test file: registers a `before` hook that starts it (startTestDevnet), then
 * runs `setup` if given, and an `after` hook that closes the client, then stops the devnet. The
 * fields of the returned object are getters over the started devnet; they throw if read before that
 * (e.g. at module load). File-specific setup that needs the chain goes in `setup`, not in a separate
 * top-level `before`: on Node 20 a top-level `before` starts as soon as it is registered, so two of
 * them run concurrently and a second one would not see the devnet.
 */
export function useTestDevnet(opts: { blockTimeMs?: number; setup?: (net: TestDevnet) => Promise<void> } = {}): TestDevnet {
  let started: TestDevnet | undefined;
  before(async () => {
    started = await startTestDevnet(opts.blockTimeMs);
    await opts.setup?.(started);
  });
  after(async () => {
    await started?.chain.close();
    await started?.devnet.stop();
  });
  const get = (): TestDevnet => {
    if (!started) throw new Error('useTestDevnet: the devnet is not started yet (its fields are valid inside tests and in the setup callback)');
    return started;
  };
  return {
    get devnet() {
      return get().devnet;
    },
    get chain() {
      return get().chain;
    },
    get alice() {
      return get().alice;
    },
  };
}
