// Chain failures → readable LocoError('chain') messages: Subtensor's custom transaction-validity
// codes (`1010: Invalid Transaction: Custom error: N`, subtensor common/src/transaction_error.rs),
// the node's own pool errors, and dispatch (module) errors decoded from the runtime metadata.
import { LocoError } from '../errors.js';

/** Subtensor's `CustomTransactionError` codes (0 is deprecated; 20–27 are newer than spec 393). */
export const CUSTOM_ERRORS: Record<number, { name: string; message: string }> = {
  0: { name: 'ColdkeyInSwapSchedule', message: 'the coldkey is scheduled for a swap' },
  1: { name: 'StakeAmountTooLow', message: 'the stake amount is below the minimum stake' },
  2: { name: 'BalanceTooLow', message: 'the balance is too low for this amount' },
  3: { name: 'SubnetNotExists', message: 'the subnet does not exist' },
  4: { name: 'HotkeyAccountDoesntExist', message: 'the hotkey is not registered (no such hotkey account)' },
  5: { name: 'NotEnoughStakeToWithdraw', message: 'not enough stake to withdraw that amount' },
  6: { name: 'RateLimitExceeded', message: 'rate limit exceeded: wait some blocks and try again' },
  7: { name: 'InsufficientLiquidity', message: 'the subnet pool has too little liquidity for this swap' },
  8: { name: 'SlippageTooHigh', message: 'slippage too high' },
  9: { name: 'TransferDisallowed', message: 'transfers are disabled on this subnet' },
  10: { name: 'HotKeyNotRegisteredInNetwork', message: 'the hotkey is not registered on this subnet' },
  11: { name: 'InvalidIpAddress', message: 'invalid IP address' },
  12: { name: 'ServingRateLimitExceeded', message: 'serving rate limit exceeded' },
  13: { name: 'InvalidPort', message: 'invalid port' },
  14: { name: 'ZeroMaxAmount', message: 'the maximum amount is zero' },
  15: { name: 'InvalidRevealRound', message: 'invalid reveal round' },
  16: { name: 'CommitNotFound', message: 'no matching weight commit was found' },
  17: { name: 'CommitBlockNotInRevealRange', message: 'the commit is not in its reveal window (too early or expired)' },
  18: { name: 'InputLengthsUnequal', message: 'uids, values (and salt) lengths differ' },
  19: { name: 'UidNotFound', message: 'uid not found on this subnet' },
  20: { name: 'EvmKeyAssociateRateLimitExceeded', message: 'EVM key association rate limit exceeded' },
  21: { name: 'ColdkeySwapDisputed', message: 'the coldkey swap is disputed' },
  22: { name: 'InvalidRealAccount', message: 'invalid real (proxied) account' },
  23: { name: 'FailedShieldedTxParsing', message: 'the shielded transaction could not be parsed' },
  24: { name: 'InvalidShieldedTxPubKeyHash', message: 'the shielded transaction key hash is invalid' },
  25: { name: 'NonAssociatedColdKey', message: 'the coldkey is not associated with this hotkey' },
  26: { name: 'DelegateTakeTooLow', message: 'delegate take below the minimum' },
  27: { name: 'DelegateTakeTooHigh', message: 'delegate take above the maximum' },
  255: { name: 'BadRequest', message: 'bad request' },
};

/** Extra advice for the module errors people hit most (the metadata's docs are shown too). */
export const MODULE_HINTS: Record<string, string> = {
  'SubtensorModule.NotEnoughBalanceToStake': 'the coldkey balance does not cover the amount',
  'SubtensorModule.NotEnoughBalanceToPayRegistration': 'the coldkey balance does not cover the registration burn',
  'SubtensorModule.HotKeyAlreadyRegisteredInSubNet': 'this hotkey already has a uid on the subnet',
  'SubtensorModule.HotKeyNotRegisteredInSubNet': 'register the hotkey first: loco subnet register',
  'SubtensorModule.HotKeyNotRegisteredInNetwork': 'register the hotkey first: loco subnet register',
  'SubtensorModule.SubNetworkDoesNotExist': 'no subnet with that netuid: loco subnet list',
  'SubtensorModule.MechanismDoesNotExist': 'no subnet (mechanism) with that netuid: loco subnet list',
  'SubtensorModule.CommitRevealEnabled': 'this subnet uses commit–reveal: use loco weights commit, then loco weights reveal',
  'SubtensorModule.CommitRevealDisabled': 'commit–reveal is off on this subnet: use loco weights set',
  'SubtensorModule.SettingWeightsTooFast': 'WeightsSetRateLimit blocks have not passed since the last update',
  'SubtensorModule.IncorrectWeightVersionKey': 'the version key is below the subnet\'s WeightsVersionKey (see loco subnet hyperparameters)',
  'SubtensorModule.NeuronNoValidatorPermit': 'only neurons with a validator permit may set weights on others',
  'SubtensorModule.WeightVecLengthIsLow': 'fewer weights than the subnet\'s MinAllowedWeights',
  'SubtensorModule.TooManyRegistrationsThisBlock': 'registration limit for this block reached: try again next block',
  'SubtensorModule.TooManyRegistrationsThisInterval': 'registration limit for this interval reached: try later',
  'SubtensorModule.NoWeightsCommitFound': 'no commit matches these uids, values, salt and version key',
  'SubtensorModule.InvalidRevealCommitHashNotMatch': 'the revealed uids/values/salt/version key do not hash to the commit',
  'SubtensorModule.RevealTooEarly': 'the reveal window has not opened yet: wait for the next epoch',
  'SubtensorModule.ExpiredWeightCommit': 'the commit expired before it was revealed',
  'SubtensorModule.NotEnoughStakeToWithdraw': 'the stake on this hotkey/subnet is less than the amount',
  'SubtensorModule.AmountTooLow': 'the amount is below the minimum',
  'SubtensorModule.SubtokenDisabled': 'the subnet has not been started yet (start_call)',
  'Balances.InsufficientBalance': 'the balance does not cover the amount',
  'Balances.KeepAlive': 'the transfer would take the balance below the existential deposit (500 RAO)',
  'Balances.ExistentialDeposit': 'the amount is below the existential deposit (500 RAO)',
};

/** The node's pool errors (code 1010/1011/1012/1014) → advice. */
const POOL_HINTS: Array<[RegExp, string]> = [
  [/Inability to pay some fees/i, 'the signing account cannot pay the transaction fee (balance too low)'],
  [/Transaction is outdated|Stale/i, 'the nonce is stale (another transaction from this account went first): try again'],
  [/Transaction has a bad signature|BadProof/i, 'the signature did not verify (wrong key or wrong chain)'],
  [/Priority is too low/i, 'a transaction with the same nonce is already pending'],
  [/Transaction is temporarily banned|Temporarily banned/i, 'the same transaction was just rejected; wait a block'],
  [/ancient birth block|AncientBirthBlock/i, 'the transaction\'s era is no longer valid'],
];

/** Turn a submission (RPC) error into a chain LocoError with a readable message. */
export function rpcError(e: unknown, what: string): LocoError {
  if (e instanceof LocoError) return e;
  const raw = (e as Error)?.message ?? String(e);
  const custom = /Custom error:\s*(\d+)/i.exec(raw);
  if (custom) {
    const code = Number(custom[1]);
    const known = CUSTOM_ERRORS[code];
    return new LocoError(
      'chain',
      `${what} rejected by the chain: ${known ? `${known.message} (${known.name}, custom error ${code})` : `custom error ${code}`}`,
      { code, name: known?.name, raw },
    );
  }
  for (const [re, hint] of POOL_HINTS) {
    if (re.test(raw)) return new LocoError('chain', `${what} rejected by the chain: ${hint} (${raw})`, { raw });
  }
  return new LocoError('chain', `${what} failed: ${raw}`, { raw });
}

export interface DecodedModuleError {
  pallet: string;
  name: string;
  docs: string;
}

/** A dispatch error (from ExtrinsicFailed) as text; module errors are named via the metadata. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function describeDispatchError(registry: any, err: any): { message: string; module?: DecodedModuleError } {
  if (err?.isModule) {
    try {
      const d = registry.findMetaError(err.asModule);
      const key = `${d.section[0].toUpperCase()}${d.section.slice(1)}.${d.name}`;
      const pallet = palletName(registry, d.section) ?? key.split('.')[0];
      const full = `${pallet}.${d.name}`;
      const docs = (d.docs ?? []).join(' ').trim();
      const hint = MODULE_HINTS[full];
      const message = [`${full}`, hint, docs && docs !== hint ? docs : ''].filter(Boolean).join(': ');
      return { message, module: { pallet, name: d.name, docs } };
    } catch {
      /* fall through to the raw form */
    }
  }
  return { message: err?.toString?.() ?? String(err) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function palletName(registry: any, section: string): string | undefined {
  try {
    for (const p of registry.metadata.pallets) {
      const n = p.name.toString();
      if (n.toLowerCase() === section.toLowerCase()) return n;
    }
  } catch {
    /* ignore */
  }
  return undefined;
}
