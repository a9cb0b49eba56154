// Everything the project uses on chain, by Subtensor's names: calls (with their signer),
// storage items and runtime APIs. The devnet's fidelity test walks this list and checks that
// its metadata has each entry with the same argument names and types as finney's.
// Keep it in step with src/chain/client.ts (a test checks every entry exists in finney's
// spec-393 metadata).

export type Signer = 'coldkey' | 'hotkey';

export interface CallUse {
  kind: 'call';
  pallet: string;
  name: string;
  /** Argument names as in the metadata, in order. */
  args: string[];
  signer: Signer;
}
export interface StorageUse {
  kind: 'storage';
  pallet: string;
  name: string;
  /** true: read only when the chain has it (metadata-driven fallbacks and optional fields). */
  optional?: boolean;
}
export interface RuntimeApiUse {
  kind: 'runtimeApi';
  api: string;
  method: string;
  optional?: boolean;
}
export interface ConstantUse {
  kind: 'constant';
  pallet: string;
  name: string;
}
export type ChainUse = CallUse | StorageUse | RuntimeApiUse | ConstantUse;

export const CALLS: readonly CallUse[] = [
  { kind: 'call', pallet: 'Balances', name: 'transfer_keep_alive', args: ['dest', 'value'], signer: 'coldkey' },
  { kind: 'call', pallet: 'Balances', name: 'transfer_allow_death', args: ['dest', 'value'], signer: 'coldkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'burned_register', args: ['netuid', 'hotkey'], signer: 'coldkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'register_network', args: ['hotkey'], signer: 'coldkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'add_stake', args: ['hotkey', 'netuid', 'amount_staked'], signer: 'coldkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'remove_stake', args: ['hotkey', 'netuid', 'amount_unstaked'], signer: 'coldkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'set_weights', args: ['netuid', 'dests', 'weights', 'version_key'], signer: 'hotkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'commit_weights', args: ['netuid', 'commit_hash'], signer: 'hotkey' },
  { kind: 'call', pallet: 'SubtensorModule', name: 'reveal_weights', args: ['netuid', 'uids', 'values', 'salt', 'version_key'], signer: 'hotkey' },
  { kind: 'call', pallet: 'Commitments', name: 'set_commitment', args: ['netuid', 'info'], signer: 'hotkey' },
];

const st = (name: string, optional?: boolean): StorageUse => ({ kind: 'storage', pallet: 'SubtensorModule', name, ...(optional ? { optional } : {}) });

/** Subnet hyperparameters read by `loco subnet hyperparameters` (each only where the chain has it). */
export const HYPERPARAMETERS = [
  'Rho', 'Kappa', 'ImmunityPeriod', 'MinAllowedWeights', 'MaxWeightsLimit', 'Tempo', 'MinDifficulty', 'MaxDifficulty',
  'WeightsVersionKey', 'WeightsSetRateLimit', 'AdjustmentInterval', 'ActivityCutoff', 'NetworkRegistrationAllowed',
  'TargetRegistrationsPerInterval', 'MinBurn', 'MaxBurn', 'BondsMovingAverage', 'MaxRegistrationsPerBlock',
  'ServingRateLimit', 'MaxAllowedValidators', 'MaxAllowedUids', 'Difficulty', 'Burn', 'CommitRevealWeightsEnabled',
  'RevealPeriodEpochs', 'LiquidAlphaOn', 'Yuma3On', 'AlphaValues', 'BondsPenalty', 'SubtokenEnabled', 'TransferToggle',
] as const;

export const STORAGE: readonly StorageUse[] = [
  { kind: 'storage', pallet: 'System', name: 'Account' },
  { kind: 'storage', pallet: 'System', name: 'Events' },
  st('NetworksAdded'),
  st('SubnetworkN'),
  st('SubnetOwner'),
  st('SubnetOwnerHotkey', true),
  st('Keys'),
  st('Uids'),
  st('Owner'),
  st('Active'),
  st('ValidatorPermit'),
  st('Rank', true),
  st('Trust', true),
  st('Consensus'),
  st('Incentive'),
  st('Dividends'),
  st('ValidatorTrust'),
  st('PruningScores', true),
  st('Emission'),
  st('LastUpdate'),
  st('TotalHotkeyAlpha'),
  st('Axons'),
  st('NetworkLastLockCost', true),
  ...HYPERPARAMETERS.map((h) => st(h, !['Tempo', 'Burn', 'MaxAllowedUids', 'WeightsVersionKey', 'CommitRevealWeightsEnabled', 'ImmunityPeriod', 'WeightsSetRateLimit'].includes(h))),
  { kind: 'storage', pallet: 'Commitments', name: 'CommitmentOf' },
];

export const RUNTIME_APIS: readonly RuntimeApiUse[] = [
  { kind: 'runtimeApi', api: 'NeuronInfoRuntimeApi', method: 'get_neurons_lite', optional: true },
  { kind: 'runtimeApi', api: 'SubnetRegistrationRuntimeApi', method: 'get_network_registration_cost', optional: true },
  // called by @polkadot/api itself when it signs (next nonce) and for fee estimates
  { kind: 'runtimeApi', api: 'AccountNonceApi', method: 'account_nonce' },
  { kind: 'runtimeApi', api: 'TransactionPaymentApi', method: 'query_info', optional: true },
  { kind: 'runtimeApi', api: 'Metadata', method: 'metadata_at_version' },
];

export const CONSTANTS: readonly ConstantUse[] = [{ kind: 'constant', pallet: 'Balances', name: 'ExistentialDeposit' }];

/** Every call, storage item, runtime API and constant the project uses. */
export const CHAIN_USAGE: readonly ChainUse[] = [...CALLS, ...STORAGE, ...RUNTIME_APIS, ...CONSTANTS];

/** The JSON-RPC methods the client sends (besides what @polkadot/api needs to start). */
export const RPC_METHODS = [
  'chain_getHeader', 'chain_getBlockHash', 'chain_getFinalizedHead', 'state_getStorage', 'state_getKeysPaged',
  'state_call', 'system_accountNextIndex', 'author_submitAndWatchExtrinsic', 'author_unwatchExtrinsic',
] as const;

/** Which key signs a call ("SubtensorModule.burned_register" → "coldkey"). */
export function signerOf(pallet: string, name: string): Signer {
  const c = CALLS.find((x) => x.pallet === pallet && x.name === name);
  if (!c) throw new Error(`unknown call ${pallet}.${name}`);
  return c.signer;
}
