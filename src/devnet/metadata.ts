// The devnet's runtime metadata (V14 and V15), built with @polkadot/types from a declarative
// description of the pallets it implements. Names, argument names, Rust type names, pallet and
// call indices follow Subtensor's finney runtime (spec 393), so call bytes built against the
// devnet are the bytes finney expects. Only the calls/storage/events the devnet implements exist.
import { TypeRegistry } from '@polkadot/types';
import { Metadata } from '@polkadot/types/metadata';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsHex } from '@polkadot/util-crypto';
import { TypeTable, type FieldSpec, type VariantSpec } from './types.js';

export const SPEC_NAME = 'node-subtensor';
export const SPEC_VERSION = 393;
export const TX_VERSION = 1;

type Hasher = 'Blake2_128' | 'Blake2_256' | 'Blake2_128Concat' | 'Twox128' | 'Twox256' | 'Twox64Concat' | 'Identity';

export interface StorageSpec {
  name: string;
  modifier?: 'Default' | 'Optional';
  keys?: [Hasher, string][];
  value: string;
  /** default value as SCALE hex (Default modifier); zero-ish default when absent */
  fallback?: string;
  docs?: string;
}

interface PalletSpec {
  name: string;
  index: number;
  path: string; // Rust module path prefix, e.g. pallet_balances
  calls?: VariantSpec[];
  events?: VariantSpec[];
  errors?: string[] | VariantSpec[];
  storage?: StorageSpec[];
  constants?: [string, string, string][]; // name, type, SCALE hex value
}

const NETUID: FieldSpec = ['netuid', 'u16', 'NetUid'];
const ACC = 'AccountId32';

const le = (n: bigint | number, bytes: number): string => {
  let v = BigInt(n);
  let s = '0x';
  for (let i = 0; i < bytes; i++) {
    s += (v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return s;
};

/** Subtensor hyperparameter defaults the devnet uses (documented in docs/devnet.md). */
export const DEVNET_DEFAULTS = {
  existentialDeposit: 500n,
  tempo: 10, // fast-runtime localnet value (finney: 360)
  burn: 1_000_000_000n, // 1 TAO (new-subnet default)
  minBurn: 500_000n,
  maxBurn: 100_000_000_000n,
  immunityPeriod: 5000,
  maxAllowedUids: 256,
  maxAllowedValidators: 64,
  minAllowedWeights: 1,
  maxWeightsLimit: 65535,
  weightsSetRateLimit: 100,
  weightsVersionKey: 0n,
  commitRevealWeightsEnabled: false, // finney default is true; see docs/devnet.md
  revealPeriodEpochs: 1,
  activityCutoff: 5000,
  kappa: 32767,
  rho: 10,
  bondsMovingAverage: 900_000n,
  maxRegistrationsPerBlock: 8,
  targetRegistrationsPerInterval: 2,
  networkLockCost: 100_000_000_000n, // 100 TAO (finney min lock: 1000 TAO)
  subnetOwnerCut: 11796, // 18%
  emissionPerBlock: 1_000_000_000n, // alpha RAO per block per started subnet
  minStake: 2_000_000n,
  servingRateLimit: 50n,
  networkRateLimit: 0n,
};

function subtensorErrors(): string[] {
  // pallet_subtensor::pallet::Error variants in finney order (spec 393); index = position.
  return 'RootNetworkDoesNotExist InvalidIpType InvalidIpAddress InvalidPort HotKeyNotRegisteredInSubNet HotKeyAccountNotExists HotKeyNotRegisteredInNetwork NonAssociatedColdKey NotEnoughStake NotEnoughStakeToWithdraw NotEnoughStakeToSetWeights NotEnoughStakeToSetChildkeys NotEnoughBalanceToStake BalanceWithdrawalError ZeroBalanceAfterWithdrawn NeuronNoValidatorPermit WeightVecNotEqualSize DuplicateUids UidVecContainInvalidOne WeightVecLengthIsLow TooManyRegistrationsThisBlock HotKeyAlreadyRegisteredInSubNet NewHotKeyIsSameWithOld InvalidWorkBlock InvalidDifficulty InvalidSeal MaxWeightExceeded HotKeyAlreadyDelegate SettingWeightsTooFast IncorrectWeightVersionKey ServingRateLimitExceeded UidsLengthExceedUidsInSubNet NetworkTxRateLimitExceeded DelegateTxRateLimitExceeded HotKeySetTxRateLimitExceeded StakingRateLimitExceeded SubNetRegistrationDisabled TooManyRegistrationsThisInterval TransactorAccountShouldBeHotKey FaucetDisabled NotSubnetOwner RegistrationNotPermittedOnRootSubnet StakeTooLowForRoot AllNetworksInImmunity NotEnoughBalanceToPaySwapHotKey NotRootSubnet CanNotSetRootNetworkWeights NoNeuronIdAvailable DelegateTakeTooLow DelegateTakeTooHigh NoWeightsCommitFound InvalidRevealCommitHashNotMatch CommitRevealEnabled CommitRevealDisabled LiquidAlphaDisabled AlphaHighTooLow AlphaLowOutOfRange ColdKeyAlreadyAssociated NotEnoughBalanceToPaySwapColdKey InvalidChild DuplicateChild ProportionOverflow TooManyChildren TxRateLimitExceeded ColdkeySwapAnnouncementNotFound ColdkeySwapTooEarly ColdkeySwapReannouncedTooEarly AnnouncedColdkeyHashDoesNotMatch ColdkeySwapAlreadyDisputed NewColdKeyIsHotkey InvalidChildkeyTake TxChildkeyTakeRateLimitExceeded InvalidIdentity MechanismDoesNotExist CannotUnstakeLock SubnetNotExists TooManyUnrevealedCommits ExpiredWeightCommit RevealTooEarly InputLengthsUnequal CommittingWeightsTooFast AmountTooLow InsufficientLiquidity SlippageTooHigh TransferDisallowed ActivityCutoffTooLow CallDisabled FirstEmissionBlockNumberAlreadySet NeedWaitingMoreBlocksToStarCall NotEnoughAlphaOutToRecycle CannotBurnOrRecycleOnRootSubnet UnableToRecoverPublicKey InvalidRecoveredPublicKey SubtokenDisabled HotKeySwapOnSubnetIntervalNotPassed ZeroMaxStakeAmount SameNetuid InsufficientBalance StakingOperationRateLimitExceeded InvalidLeaseBeneficiary LeaseCannotEndInThePast LeaseNetuidNotFound LeaseDoesNotExist LeaseHasNoEndBlock LeaseHasNotEnded Overflow BeneficiaryDoesNotOwnHotkey ExpectedBeneficiaryOrigin AdminActionProhibitedDuringWeightsWindow SymbolDoesNotExist SymbolAlreadyInUse IncorrectCommitRevealVersion RevealPeriodTooLarge RevealPeriodTooSmall InvalidValue SubnetLimitReached CannotAffordLockCost EvmKeyAssociateRateLimitExceeded SameAutoStakeHotkeyAlreadySet UidMapCouldNotBeCleared TrimmingWouldExceedMaxImmunePercentage ChildParentInconsistency InvalidNumRootClaim InvalidRootClaimThreshold InvalidSubnetNumber TooManyUIDsPerMechanism VotingPowerTrackingNotEnabled InvalidVotingPowerEmaAlpha PrecisionLoss Deprecated AddStakeBurnRateLimitExceeded ColdkeySwapAnnounced ColdkeySwapDisputed ColdkeySwapClearTooEarly DisabledTemporarily'.split(
    ' ',
  );
}

function baseTypes(tt: TypeTable): void {
  tt.composite(ACC, ['sp_core', 'crypto', 'AccountId32'], [[null, '[u8;32]', '[u8; 32]']]);
  tt.composite('H256', ['primitive_types', 'H256'], [[null, '[u8;32]', '[u8; 32]']]);
  tt.variant(
    'MultiAddress',
    ['sp_runtime', 'multiaddress', 'MultiAddress'],
    [
      { name: 'Id', index: 0, fields: [[null, ACC, 'AccountId']] },
      { name: 'Index', index: 1, fields: [[null, 'Compact<()>', 'AccountIndex']] },
      { name: 'Raw', index: 2, fields: [[null, 'Vec<u8>', 'Vec<u8>']] },
      { name: 'Address32', index: 3, fields: [[null, '[u8;32]', '[u8; 32]']] },
      { name: 'Address20', index: 4, fields: [[null, '[u8;20]', '[u8; 20]']] },
    ],
    [
      ['AccountId', ACC],
      ['AccountIndex', '()'],
    ],
  );
  tt.variant(
    'MultiSignature',
    ['sp_runtime', 'MultiSignature'],
    [
      { name: 'Ed25519', index: 0, fields: [[null, '[u8;64]', 'ed25519::Signature']] },
      { name: 'Sr25519', index: 1, fields: [[null, '[u8;64]', 'sr25519::Signature']] },
      { name: 'Ecdsa', index: 2, fields: [[null, '[u8;65]', 'ecdsa::Signature']] },
    ],
  );
  tt.composite('Weight', ['sp_weights', 'weight_v2', 'Weight'], [
    ['ref_time', 'Compact<u64>', 'u64'],
    ['proof_size', 'Compact<u64>', 'u64'],
  ]);
  tt.variant('DispatchClass', ['frame_support', 'dispatch', 'DispatchClass'], [
    { name: 'Normal', index: 0 },
    { name: 'Operational', index: 1 },
    { name: 'Mandatory', index: 2 },
  ]);
  tt.variant('Pays', ['frame_support', 'dispatch', 'Pays'], [
    { name: 'Yes', index: 0 },
    { name: 'No', index: 1 },
  ]);
  tt.composite('DispatchEventInfo', ['frame_system', 'DispatchEventInfo'], [
    ['weight', 'Weight', 'Weight'],
    ['class', 'DispatchClass', 'DispatchClass'],
    ['pays_fee', 'Pays', 'Pays'],
  ]);
  tt.composite('ModuleError', ['sp_runtime', 'ModuleError'], [
    ['index', 'u8', 'u8'],
    ['error', '[u8;4]', '[u8; MAX_MODULE_ERROR_ENCODED_SIZE]'],
  ]);
  const simple = (name: string, path: string[], names: string[]) =>
    tt.variant(name, path, names.map((n, index) => ({ name: n, index })));
  simple('TokenError', ['sp_runtime', 'TokenError'], [
    'FundsUnavailable', 'OnlyProvider', 'BelowMinimum', 'CannotCreate', 'UnknownAsset', 'Frozen', 'Unsupported', 'CannotCreateHold', 'NotExpendable', 'Blocked',
  ]);
  simple('ArithmeticError', ['sp_arithmetic', 'ArithmeticError'], ['Underflow', 'Overflow', 'DivisionByZero']);
  simple('TransactionalError', ['sp_runtime', 'TransactionalError'], ['LimitReached', 'NoLayer']);
  tt.variant('DispatchError', ['sp_runtime', 'DispatchError'], [
    { name: 'Other', index: 0 },
    { name: 'CannotLookup', index: 1 },
    { name: 'BadOrigin', index: 2 },
    { name: 'Module', index: 3, fields: [[null, 'ModuleError', 'ModuleError']] },
    { name: 'ConsumerRemaining', index: 4 },
    { name: 'NoProviders', index: 5 },
    { name: 'TooManyConsumers', index: 6 },
    { name: 'Token', index: 7, fields: [[null, 'TokenError', 'TokenError']] },
    { name: 'Arithmetic', index: 8, fields: [[null, 'ArithmeticError', 'ArithmeticError']] },
    { name: 'Transactional', index: 9, fields: [[null, 'TransactionalError', 'TransactionalError']] },
    { name: 'Exhausted', index: 10 },
    { name: 'Corruption', index: 11 },
    { name: 'Unavailable', index: 12 },
    { name: 'RootNotAllowed', index: 13 },
  ]);
  tt.composite('ExtraFlags', ['pallet_balances', 'types', 'ExtraFlags'], [[null, 'u128', 'u128']]);
  tt.composite('AccountData', ['pallet_balances', 'types', 'AccountData'], [
    ['free', 'u64', 'Balance'],
    ['reserved', 'u64', 'Balance'],
    ['frozen', 'u64', 'Balance'],
    ['flags', 'ExtraFlags', 'ExtraFlags'],
  ], [['Balance', 'u64']]);
  tt.composite('AccountInfo', ['frame_system', 'AccountInfo'], [
    ['nonce', 'u32', 'Nonce'],
    ['consumers', 'u32', 'RefCount'],
    ['providers', 'u32', 'RefCount'],
    ['sufficients', 'u32', 'RefCount'],
    ['data', 'AccountData', 'AccountData'],
  ], [['Nonce', 'u32'], ['AccountData', 'AccountData']]);
  tt.variant('Phase', ['frame_system', 'Phase'], [
    { name: 'ApplyExtrinsic', index: 0, fields: [[null, 'u32', 'u32']] },
    { name: 'Finalization', index: 1 },
    { name: 'Initialization', index: 2 },
  ]);
  tt.variant('DigestItem', ['sp_runtime', 'generic', 'digest', 'DigestItem'], [
    { name: 'PreRuntime', index: 6, fields: [[null, '[u8;4]', 'ConsensusEngineId'], [null, 'Vec<u8>', 'Vec<u8>']] },
    { name: 'Consensus', index: 4, fields: [[null, '[u8;4]', 'ConsensusEngineId'], [null, 'Vec<u8>', 'Vec<u8>']] },
    { name: 'Seal', index: 5, fields: [[null, '[u8;4]', 'ConsensusEngineId'], [null, 'Vec<u8>', 'Vec<u8>']] },
    { name: 'Other', index: 0, fields: [[null, 'Vec<u8>', 'Vec<u8>']] },
    { name: 'RuntimeEnvironmentUpdated', index: 8 },
  ]);
  tt.composite('Digest', ['sp_runtime', 'generic', 'digest', 'Digest'], [['logs', 'Vec<DigestItem>', 'Vec<DigestItem>']]);
  tt.composite('Header', ['sp_runtime', 'generic', 'header', 'Header'], [
    ['parent_hash', 'H256', 'Hash::Output'],
    ['number', 'Compact<u32>', 'Number'],
    ['state_root', 'H256', 'Hash::Output'],
    ['extrinsics_root', 'H256', 'Hash::Output'],
    ['digest', 'Digest', 'Digest'],
  ], [['Number', 'u32'], ['Hash', null]]);
  tt.composite('FixedU128', ['sp_arithmetic', 'fixed_point', 'FixedU128'], [[null, 'u128', 'u128']]);
  tt.composite('AxonInfo', ['pallet_subtensor', 'pallet', 'AxonInfo'], [
    ['block', 'u64', 'u64'], ['version', 'u32', 'u32'], ['ip', 'u128', 'u128'], ['port', 'u16', 'u16'],
    ['ip_type', 'u8', 'u8'], ['protocol', 'u8', 'u8'], ['placeholder1', 'u8', 'u8'], ['placeholder2', 'u8', 'u8'],
  ]);
  tt.composite('PrometheusInfo', ['pallet_subtensor', 'pallet', 'PrometheusInfo'], [
    ['block', 'u64', 'u64'], ['version', 'u32', 'u32'], ['ip', 'u128', 'u128'], ['port', 'u16', 'u16'], ['ip_type', 'u8', 'u8'],
  ]);
  tt.composite('NeuronInfoLite', ['pallet_subtensor', 'rpc_info', 'neuron_info', 'NeuronInfoLite'], [
    ['hotkey', ACC, 'AccountId'],
    ['coldkey', ACC, 'AccountId'],
    ['uid', 'Compact<u16>', 'Compact<u16>'],
    ['netuid', 'Compact<u16>', 'Compact<NetUid>'],
    ['active', 'bool', 'bool'],
    ['axon_info', 'AxonInfo', 'AxonInfo'],
    ['prometheus_info', 'PrometheusInfo', 'PrometheusInfo'],
    ['stake', `Vec<(${ACC},Compact<u64>)>`, 'Vec<(AccountId, Compact<AlphaBalance>)>'],
    ['rank', 'Compact<u16>', 'Compact<u16>'],
    ['emission', 'Compact<u64>', 'Compact<AlphaBalance>'],
    ['incentive', 'Compact<u16>', 'Compact<u16>'],
    ['consensus', 'Compact<u16>', 'Compact<u16>'],
    ['trust', 'Compact<u16>', 'Compact<u16>'],
    ['validator_trust', 'Compact<u16>', 'Compact<u16>'],
    ['dividends', 'Compact<u16>', 'Compact<u16>'],
    ['last_update', 'Compact<u64>', 'Compact<u64>'],
    ['validator_permit', 'bool', 'bool'],
    ['pruning_score', 'Compact<u16>', 'Compact<u16>'],
  ], [['AccountId', ACC]]);
  // Commitments data, as pallet_commitments::types::Data: None, Raw0..Raw128 (tag = len + 1), hashes, …
  const data: VariantSpec[] = [{ name: 'None', index: 0 }];
  for (let n = 0; n <= 128; n++) data.push({ name: `Raw${n}`, index: n + 1, fields: [[null, `[u8;${n}]`, '']] });
  data.push(
    { name: 'BlakeTwo256', index: 130, fields: [[null, '[u8;32]', '']] },
    { name: 'Sha256', index: 131, fields: [[null, '[u8;32]', '']] },
    { name: 'Keccak256', index: 132, fields: [[null, '[u8;32]', '']] },
    { name: 'ShaThree256', index: 133, fields: [[null, '[u8;32]', '']] },
    { name: 'TimelockEncrypted', index: 134, fields: [['encrypted', 'BoundedVecU8', 'BoundedVec<u8, ConstU32<MAX_TIMELOCK_COMMITMENT_SIZE_BYTES>>'], ['reveal_round', 'u64', 'u64']] },
    { name: 'ResetBondsFlag', index: 135 },
    { name: 'BigRaw', index: 136, fields: [[null, 'BoundedVecU8', 'BoundedVec<u8, ConstU32<MAX_BIGRAW_COMMITMENT_SIZE_BYTES>>']] },
  );
  tt.composite('BoundedVecU8', ['bounded_collections', 'bounded_vec', 'BoundedVec'], [[null, 'Vec<u8>', 'Vec<T>']], [['T', 'u8'], ['S', null]]);
  tt.variant('Data', ['pallet_commitments', 'types', 'Data'], data);
  tt.composite('BoundedVecData', ['bounded_collections', 'bounded_vec', 'BoundedVec'], [[null, 'Vec<Data>', 'Vec<T>']], [['T', 'Data'], ['S', null]]);
  tt.composite('CommitmentInfo', ['pallet_commitments', 'types', 'CommitmentInfo'], [['fields', 'BoundedVecData', 'BoundedVec<Data, FieldLimit>']], [['FieldLimit', null]]);
  tt.composite('CommitmentRegistration', ['pallet_commitments', 'types', 'Registration'], [
    ['deposit', 'u64', 'Balance'],
    ['block', 'u32', 'BlockNumber'],
    ['info', 'CommitmentInfo', 'CommitmentInfo<MaxFields>'],
  ], [['Balance', 'u64'], ['MaxFields', null], ['BlockNumber', 'u32']]);
  tt.composite('RuntimeDispatchInfo', ['pallet_transaction_payment', 'types', 'RuntimeDispatchInfo'], [
    ['weight', 'Weight', 'Weight'],
    ['class', 'DispatchClass', 'DispatchClass'],
    ['partial_fee', 'u64', 'Balance'],
  ], [['Balance', 'u64'], ['Weight', 'Weight']]);
  tt.composite('InclusionFee', ['pallet_transaction_payment', 'types', 'InclusionFee'], [
    ['base_fee', 'u64', 'Balance'],
    ['len_fee', 'u64', 'Balance'],
    ['adjusted_weight_fee', 'u64', 'Balance'],
  ], [['Balance', 'u64']]);
  tt.composite('FeeDetails', ['pallet_transaction_payment', 'types', 'FeeDetails'], [
    ['inclusion_fee', 'Option<InclusionFee>', 'Option<InclusionFee<Balance>>'],
    ['tip', 'u64', 'Balance'],
  ], [['Balance', 'u64']]);
  tt.composite('RuntimeVersion', ['sp_version', 'RuntimeVersion'], [
    ['spec_name', 'str', 'Cow<\'static, str>'],
    ['impl_name', 'str', 'Cow<\'static, str>'],
    ['authoring_version', 'u32', 'u32'],
    ['spec_version', 'u32', 'u32'],
    ['impl_version', 'u32', 'u32'],
    ['apis', 'Vec<([u8;8],u32)>', 'ApisVec'],
    ['transaction_version', 'u32', 'u32'],
    ['system_version', 'u8', 'u8'],
  ]);
  tt.composite('OpaqueMetadata', ['sp_core', 'OpaqueMetadata'], [[null, 'Vec<u8>', 'Vec<u8>']]);
  tt.variant('Era', ['sp_runtime', 'generic', 'era', 'Era'], [
    { name: 'Immortal', index: 0 },
    ...Array.from({ length: 255 }, (_, i) => ({ name: `Mortal${i + 1}`, index: i + 1, fields: [[null, 'u8'] as FieldSpec] })),
  ]);
}

// The `sudo_*` calls of AdminUtils the devnet implements (root, or subnet owner where Subtensor allows it).
export const ADMIN_CALLS: [number, string, FieldSpec][] = [
  [6, 'sudo_set_weights_version_key', ['weights_version_key', 'u64', 'u64']],
  [7, 'sudo_set_weights_set_rate_limit', ['weights_set_rate_limit', 'u64', 'u64']],
  [13, 'sudo_set_immunity_period', ['immunity_period', 'u16', 'u16']],
  [14, 'sudo_set_min_allowed_weights', ['min_allowed_weights', 'u16', 'u16']],
  [15, 'sudo_set_max_allowed_uids', ['max_allowed_uids', 'u16', 'u16']],
  [16, 'sudo_set_kappa', ['kappa', 'u16', 'u16']],
  [18, 'sudo_set_activity_cutoff', ['activity_cutoff', 'u16', 'u16']],
  [19, 'sudo_set_network_registration_allowed', ['registration_allowed', 'bool', 'bool']],
  [22, 'sudo_set_min_burn', ['min_burn', 'u64', 'TaoBalance']],
  [23, 'sudo_set_max_burn', ['max_burn', 'u64', 'TaoBalance']],
  [25, 'sudo_set_max_allowed_validators', ['max_allowed_validators', 'u16', 'u16']],
  [30, 'sudo_set_tempo', ['tempo', 'u16', 'u16']],
  [49, 'sudo_set_commit_reveal_weights_enabled', ['enabled', 'bool', 'bool']],
];

function pallets(): PalletSpec[] {
  const u16map = (name: string, fallback?: string): StorageSpec => ({ name, keys: [['Identity', 'u16']], value: 'u16', fallback });
  const u64map = (name: string, fallback?: string): StorageSpec => ({ name, keys: [['Identity', 'u16']], value: 'u64', fallback });
  const boolmap = (name: string, fallback?: string): StorageSpec => ({ name, keys: [['Identity', 'u16']], value: 'bool', fallback });
  const vecmap = (name: string, v: string): StorageSpec => ({ name, keys: [['Identity', 'u16']], value: `Vec<${v}>` });
  const D = DEVNET_DEFAULTS;
  return [
    {
      name: 'System',
      index: 0,
      path: 'frame_system',
      calls: [
        { name: 'remark', index: 0, fields: [['remark', 'Vec<u8>', 'Vec<u8>']] },
        { name: 'remark_with_event', index: 7, fields: [['remark', 'Vec<u8>', 'Vec<u8>']] },
      ],
      events: [
        { name: 'ExtrinsicSuccess', index: 0, fields: [['dispatch_info', 'DispatchEventInfo', 'DispatchEventInfo']], docs: ['An extrinsic completed successfully.'] },
        { name: 'ExtrinsicFailed', index: 1, fields: [['dispatch_error', 'DispatchError', 'DispatchError'], ['dispatch_info', 'DispatchEventInfo', 'DispatchEventInfo']], docs: ['An extrinsic failed.'] },
        { name: 'CodeUpdated', index: 2 },
        { name: 'NewAccount', index: 3, fields: [['account', ACC, 'T::AccountId']] },
        { name: 'KilledAccount', index: 4, fields: [['account', ACC, 'T::AccountId']] },
        { name: 'Remarked', index: 5, fields: [['sender', ACC, 'T::AccountId'], ['hash', 'H256', 'T::Hash']] },
      ],
      errors: ['InvalidSpecName', 'SpecVersionNeedsToIncrease', 'FailedToExtractRuntimeVersion', 'NonDefaultComposite', 'NonZeroRefCount', 'CallFiltered', 'MultiBlockMigrationsOngoing', 'NothingAuthorized', 'Unauthorized'],
      storage: [
        { name: 'Account', keys: [['Blake2_128Concat', ACC]], value: 'AccountInfo', docs: 'The full account information for a particular account ID.' },
        { name: 'ExtrinsicCount', modifier: 'Optional', value: 'u32' },
        { name: 'BlockHash', keys: [['Twox64Concat', 'u32']], value: 'H256' },
        { name: 'Number', value: 'u32' },
        { name: 'ParentHash', value: 'H256' },
        { name: 'Digest', value: 'Digest' },
        { name: 'Events', value: 'Vec<EventRecord>' },
        { name: 'EventCount', value: 'u32' },
      ],
      constants: [
        ['BlockHashCount', 'u32', le(2400, 4)],
        ['SS58Prefix', 'u16', le(42, 2)],
      ],
    },
    {
      name: 'Timestamp',
      index: 2,
      path: 'pallet_timestamp',
      calls: [{ name: 'set', index: 0, fields: [['now', 'Compact<u64>', 'T::Moment']] }],
      storage: [{ name: 'Now', value: 'u64' }, { name: 'DidUpdate', value: 'bool' }],
      constants: [['MinimumPeriod', 'u64', le(125, 8)]],
    },
    {
      name: 'Balances',
      index: 5,
      path: 'pallet_balances',
      calls: [
        { name: 'transfer_allow_death', index: 0, fields: [['dest', 'MultiAddress', 'AccountIdLookupOf<T>'], ['value', 'Compact<u64>', 'T::Balance']] },
        { name: 'transfer_keep_alive', index: 3, fields: [['dest', 'MultiAddress', 'AccountIdLookupOf<T>'], ['value', 'Compact<u64>', 'T::Balance']] },
        { name: 'transfer_all', index: 4, fields: [['dest', 'MultiAddress', 'AccountIdLookupOf<T>'], ['keep_alive', 'bool', 'bool']] },
        { name: 'force_set_balance', index: 8, fields: [['who', 'MultiAddress', 'AccountIdLookupOf<T>'], ['new_free', 'Compact<u64>', 'T::Balance']] },
      ],
      events: [
        { name: 'Endowed', index: 0, fields: [['account', ACC, 'T::AccountId'], ['free_balance', 'u64', 'T::Balance']] },
        { name: 'DustLost', index: 1, fields: [['account', ACC, 'T::AccountId'], ['amount', 'u64', 'T::Balance']] },
        { name: 'Transfer', index: 2, fields: [['from', ACC, 'T::AccountId'], ['to', ACC, 'T::AccountId'], ['amount', 'u64', 'T::Balance']] },
        { name: 'BalanceSet', index: 3, fields: [['who', ACC, 'T::AccountId'], ['free', 'u64', 'T::Balance']] },
        { name: 'Deposit', index: 7, fields: [['who', ACC, 'T::AccountId'], ['amount', 'u64', 'T::Balance']] },
        { name: 'Withdraw', index: 8, fields: [['who', ACC, 'T::AccountId'], ['amount', 'u64', 'T::Balance']] },
      ],
      errors: ['VestingBalance', 'LiquidityRestrictions', 'InsufficientBalance', 'ExistentialDeposit', 'Expendability', 'ExistingVestingSchedule', 'DeadAccount', 'TooManyReserves', 'TooManyHolds', 'TooManyFreezes', 'IssuanceDeactivated', 'DeltaZero'],
      storage: [
        { name: 'TotalIssuance', value: 'u64', docs: 'The total units issued in the system.' },
        { name: 'InactiveIssuance', value: 'u64' },
      ],
      constants: [['ExistentialDeposit', 'u64', le(D.existentialDeposit, 8)]],
    },
    {
      name: 'TransactionPayment',
      index: 6,
      path: 'pallet_transaction_payment',
      events: [
        { name: 'TransactionFeePaid', index: 0, fields: [['who', ACC, 'T::AccountId'], ['actual_fee', 'u64', 'BalanceOf<T>'], ['tip', 'u64', 'BalanceOf<T>']] },
      ],
      storage: [{ name: 'NextFeeMultiplier', value: 'FixedU128', fallback: le(10n ** 18n, 16) }],
      constants: [['OperationalFeeMultiplier', 'u8', '0x05']],
    },
    {
      name: 'SubtensorModule',
      index: 7,
      path: 'pallet_subtensor',
      calls: [
        { name: 'set_weights', index: 0, fields: [NETUID, ['dests', 'Vec<u16>', 'Vec<u16>'], ['weights', 'Vec<u16>', 'Vec<u16>'], ['version_key', 'u64', 'u64']] },
        { name: 'add_stake', index: 2, fields: [['hotkey', ACC, 'T::AccountId'], NETUID, ['amount_staked', 'u64', 'TaoBalance']] },
        { name: 'remove_stake', index: 3, fields: [['hotkey', ACC, 'T::AccountId'], NETUID, ['amount_unstaked', 'u64', 'AlphaBalance']] },
        { name: 'serve_axon', index: 4, fields: [NETUID, ['version', 'u32', 'u32'], ['ip', 'u128', 'u128'], ['port', 'u16', 'u16'], ['ip_type', 'u8', 'u8'], ['protocol', 'u8', 'u8'], ['placeholder1', 'u8', 'u8'], ['placeholder2', 'u8', 'u8']] },
        { name: 'burned_register', index: 7, fields: [NETUID, ['hotkey', ACC, 'T::AccountId']] },
        { name: 'register_network', index: 59, fields: [['hotkey', ACC, 'T::AccountId']] },
        { name: 'start_call', index: 92, fields: [NETUID] },
        { name: 'commit_weights', index: 96, fields: [NETUID, ['commit_hash', 'H256', 'H256']] },
        { name: 'reveal_weights', index: 97, fields: [NETUID, ['uids', 'Vec<u16>', 'Vec<u16>'], ['values', 'Vec<u16>', 'Vec<u16>'], ['salt', 'Vec<u16>', 'Vec<u16>'], ['version_key', 'u64', 'u64']] },
      ],
      events: [
        { name: 'NetworkAdded', index: 0, fields: [[null, 'u16', 'NetUid'], [null, 'u16', 'u16']] },
        { name: 'StakeAdded', index: 2, fields: [[null, ACC, 'T::AccountId'], [null, ACC, 'T::AccountId'], [null, 'u64', 'TaoBalance'], [null, 'u64', 'AlphaBalance'], [null, 'u16', 'NetUid'], [null, 'u64', 'u64']] },
        { name: 'StakeRemoved', index: 3, fields: [[null, ACC, 'T::AccountId'], [null, ACC, 'T::AccountId'], [null, 'u64', 'TaoBalance'], [null, 'u64', 'AlphaBalance'], [null, 'u16', 'NetUid'], [null, 'u64', 'u64']] },
        { name: 'WeightsSet', index: 5, fields: [[null, 'u16', 'NetUidStorageIndex'], [null, 'u16', 'u16']] },
        { name: 'NeuronRegistered', index: 6, fields: [[null, 'u16', 'NetUid'], [null, 'u16', 'u16'], [null, ACC, 'T::AccountId']] },
        { name: 'AxonServed', index: 29, fields: [[null, 'u16', 'NetUid'], [null, ACC, 'T::AccountId']] },
        { name: 'WeightsSetRateLimitSet', index: 22, fields: [[null, 'u16', 'NetUid'], [null, 'u64', 'u64']] },
        { name: 'TempoSet', index: 50, fields: [[null, 'u16', 'NetUid'], [null, 'u16', 'u16']] },
        { name: 'WeightsCommitted', index: 83, fields: [[null, ACC, 'T::AccountId'], [null, 'u16', 'NetUidStorageIndex'], [null, 'H256', 'H256']] },
        { name: 'WeightsRevealed', index: 84, fields: [[null, ACC, 'T::AccountId'], [null, 'u16', 'NetUidStorageIndex'], [null, 'H256', 'H256']] },
        { name: 'FirstEmissionBlockNumberSet', index: 93, fields: [[null, 'u16', 'NetUid'], [null, 'u64', 'u64']] },
        { name: 'CommitRevealEnabled', index: 99, fields: [[null, 'u16', 'NetUid'], [null, 'bool', 'bool']] },
      ],
      errors: subtensorErrors(),
      storage: [
        { name: 'TotalIssuance', value: 'u64' },
        { name: 'TotalStake', value: 'u64' },
        { name: 'TotalNetworks', value: 'u16' },
        { name: 'SubnetOwnerCut', value: 'u16', fallback: le(D.subnetOwnerCut, 2) },
        { name: 'NetworkMinLockCost', value: 'u64', fallback: le(D.networkLockCost, 8) },
        { name: 'NetworkLastLockCost', value: 'u64', fallback: le(D.networkLockCost, 8) },
        { name: 'NetworkRateLimit', value: 'u64' },
        { name: 'StakeThreshold', value: 'u64' },
        boolmap('NetworksAdded'),
        u16map('SubnetworkN'),
        u16map('SubnetMechanism'),
        { name: 'Keys', keys: [['Identity', 'u16'], ['Identity', 'u16']], value: ACC },
        { name: 'Uids', modifier: 'Optional', keys: [['Identity', 'u16'], ['Blake2_128Concat', ACC]], value: 'u16' },
        { name: 'Owner', keys: [['Blake2_128Concat', ACC]], value: ACC },
        { name: 'OwnedHotkeys', keys: [['Blake2_128Concat', ACC]], value: `Vec<${ACC}>` },
        { name: 'StakingHotkeys', keys: [['Blake2_128Concat', ACC]], value: `Vec<${ACC}>` },
        u16map('Tempo', le(360, 2)),
        u64map('Burn', le(100_000_000, 8)),
        u64map('MinBurn', le(500_000, 8)),
        u64map('MaxBurn', le(100_000_000_000, 8)),
        u64map('Difficulty', le(10_000_000, 8)),
        u64map('MinDifficulty', le(10_000_000, 8)),
        u64map('MaxDifficulty', le(4611686018427387903n, 8)),
        u16map('AdjustmentInterval', le(100, 2)),
        { name: 'LiquidAlphaOn', keys: [['Blake2_128Concat', 'u16']], value: 'bool' },
        { name: 'Yuma3On', keys: [['Blake2_128Concat', 'u16']], value: 'bool' },
        { name: 'AlphaValues', keys: [['Identity', 'u16']], value: '(u16,u16)', fallback: '0x33b366e6' },
        u16map('BondsPenalty', le(65535, 2)),
        boolmap('SubtokenEnabled'),
        boolmap('TransferToggle', '0x01'),
        u16map('ImmunityPeriod', le(4096, 2)),
        u16map('MaxAllowedUids', le(256, 2)),
        u16map('MaxAllowedValidators', le(128, 2)),
        u16map('MinAllowedWeights', le(1024, 2)),
        u16map('MaxWeightsLimit', le(65535, 2)),
        u64map('WeightsSetRateLimit', le(100, 8)),
        u64map('WeightsVersionKey'),
        boolmap('CommitRevealWeightsEnabled', '0x01'),
        { name: 'RevealPeriodEpochs', keys: [['Twox64Concat', 'u16']], value: 'u64', fallback: le(1, 8) },
        u16map('ActivityCutoff', le(5000, 2)),
        u16map('Kappa', le(32767, 2)),
        u16map('Rho', le(10, 2)),
        u64map('BondsMovingAverage', le(900_000, 8)),
        u16map('MaxRegistrationsPerBlock', le(1, 2)),
        u16map('RegistrationsThisBlock'),
        u16map('RegistrationsThisInterval'),
        u16map('TargetRegistrationsPerInterval', le(2, 2)),
        boolmap('NetworkRegistrationAllowed', '0x01'),
        u64map('ServingRateLimit', le(50, 8)),
        { name: 'SubnetOwner', keys: [['Identity', 'u16']], value: ACC },
        { name: 'SubnetOwnerHotkey', keys: [['Identity', 'u16']], value: ACC },
        { name: 'FirstEmissionBlockNumber', modifier: 'Optional', keys: [['Identity', 'u16']], value: 'u64' },
        u64map('SubnetLocked'),
        u64map('SubnetTAO'),
        u64map('SubnetAlphaIn'),
        u64map('SubnetAlphaOut'),
        u64map('BlocksSinceLastStep'),
        u64map('LastMechansimStepBlock'),
        vecmap('Active', 'bool'),
        vecmap('ValidatorPermit', 'bool'),
        vecmap('Rank', 'u16'),
        vecmap('Trust', 'u16'),
        vecmap('Consensus', 'u16'),
        vecmap('Incentive', 'u16'),
        vecmap('Dividends', 'u16'),
        vecmap('ValidatorTrust', 'u16'),
        vecmap('PruningScores', 'u16'),
        vecmap('StakeWeight', 'u16'),
        vecmap('Emission', 'u64'),
        vecmap('LastUpdate', 'u64'),
        { name: 'Weights', keys: [['Identity', 'u16'], ['Identity', 'u16']], value: 'Vec<(u16,u16)>' },
        { name: 'Bonds', keys: [['Identity', 'u16'], ['Identity', 'u16']], value: 'Vec<(u16,u16)>' },
        { name: 'BlockAtRegistration', keys: [['Identity', 'u16'], ['Identity', 'u16']], value: 'u64' },
        { name: 'TotalHotkeyAlpha', keys: [['Blake2_128Concat', ACC], ['Identity', 'u16']], value: 'u64' },
        { name: 'Alpha', keys: [['Blake2_128Concat', ACC], ['Blake2_128Concat', ACC], ['Identity', 'u16']], value: 'FixedU128Substrate' },
        { name: 'Axons', modifier: 'Optional', keys: [['Identity', 'u16'], ['Blake2_128Concat', ACC]], value: 'AxonInfo' },
        { name: 'WeightCommits', modifier: 'Optional', keys: [['Twox64Concat', 'u16'], ['Twox64Concat', ACC]], value: 'Vec<(H256,u64,u64,u64)>' },
      ],
      constants: [
        ['InitialTempo', 'u16', le(D.tempo, 2)],
        ['InitialBurn', 'u64', le(D.burn, 8)],
        ['InitialNetworkMinLockCost', 'u64', le(D.networkLockCost, 8)],
        ['InitialSubnetOwnerCut', 'u16', le(D.subnetOwnerCut, 2)],
      ],
    },
    {
      name: 'Sudo',
      index: 12,
      path: 'pallet_sudo',
      calls: [
        { name: 'sudo', index: 0, fields: [['call', 'RuntimeCall', 'Box<<T as Config>::RuntimeCall>']] },
        { name: 'set_key', index: 2, fields: [['new', 'MultiAddress', 'AccountIdLookupOf<T>']] },
      ],
      events: [
        { name: 'Sudid', index: 0, fields: [['sudo_result', 'Result<(),DispatchError>', 'DispatchResult']] },
        { name: 'KeyChanged', index: 1, fields: [['old', `Option<${ACC}>`, 'Option<T::AccountId>'], ['new', ACC, 'T::AccountId']] },
      ],
      errors: ['RequireSudo'],
      storage: [{ name: 'Key', modifier: 'Optional', value: ACC, docs: 'The `AccountId` of the sudo key.' }],
    },
    {
      name: 'Commitments',
      index: 18,
      path: 'pallet_commitments',
      calls: [{ name: 'set_commitment', index: 0, fields: [NETUID, ['info', 'CommitmentInfo', 'Box<CommitmentInfo<T::MaxFields>>']] }],
      events: [{ name: 'Commitment', index: 0, fields: [['netuid', 'u16', 'NetUid'], ['who', ACC, 'T::AccountId']] }],
      errors: ['TooManyFieldsInCommitmentInfo', 'AccountNotAllowedCommit', 'SpaceLimitExceeded', 'UnexpectedUnreserveLeftover'],
      storage: [
        { name: 'CommitmentOf', modifier: 'Optional', keys: [['Identity', 'u16'], ['Twox64Concat', ACC]], value: 'CommitmentRegistration' },
        { name: 'LastCommitment', modifier: 'Optional', keys: [['Identity', 'u16'], ['Twox64Concat', ACC]], value: 'u32' },
      ],
      constants: [['MaxFields', 'u32', le(3, 4)]],
    },
    {
      name: 'AdminUtils',
      index: 19,
      path: 'pallet_admin_utils',
      calls: ADMIN_CALLS.map(([index, name, f]) => ({ name, index, fields: [NETUID, f] })),
      errors: ['SubnetDoesNotExist', 'MaxValidatorsLargerThanMaxUIds', 'MaxAllowedUIdsLessThanCurrentUIds', 'BondsMovingAverageMaxReached', 'NegativeSigmoidSteepness', 'ValueNotInBounds', 'MinAllowedUidsGreaterThanCurrentUids', 'MinAllowedUidsGreaterThanMaxAllowedUids', 'MaxAllowedUidsLessThanMinAllowedUids', 'MaxAllowedUidsGreaterThanDefaultMaxAllowedUids', 'InvalidValue'],
    },
  ];
}

export const SIGNED_EXTENSIONS: [string, string, string, string][] = [
  // identifier, type path, extra (in the extrinsic), additional signed (in the payload only)
  ['CheckNonZeroSender', 'frame_system::extensions::check_non_zero_sender::CheckNonZeroSender', '()', '()'],
  ['CheckSpecVersion', 'frame_system::extensions::check_spec_version::CheckSpecVersion', '()', 'u32'],
  ['CheckTxVersion', 'frame_system::extensions::check_tx_version::CheckTxVersion', '()', 'u32'],
  ['CheckGenesis', 'frame_system::extensions::check_genesis::CheckGenesis', '()', 'H256'],
  ['CheckMortality', 'node_subtensor_runtime::check_mortality::CheckMortality', 'Era', 'H256'],
  ['CheckNonce', 'node_subtensor_runtime::check_nonce::CheckNonce', 'Compact<u32>', '()'],
  ['CheckWeight', 'frame_system::extensions::check_weight::CheckWeight', '()', '()'],
  ['ChargeTransactionPayment', 'pallet_transaction_payment::ChargeTransactionPayment', 'Compact<u64>', '()'],
  ['SudoTransactionExtension', 'node_subtensor_runtime::sudo_wrapper::SudoTransactionExtension', '()', '()'],
  ['CheckShieldedTxValidity', 'pallet_shield::extension::CheckShieldedTxValidity', '()', '()'],
  ['SubtensorTransactionExtension', 'pallet_subtensor::extensions::subtensor::SubtensorTransactionExtension', '()', '()'],
  ['DrandPriority', 'pallet_drand::drand_priority::DrandPriority', '()', '()'],
  ['CheckMetadataHash', 'frame_metadata_hash_extension::CheckMetadataHash', 'Mode', 'Option<[u8;32]>'],
];

/** Runtime APIs (V15 metadata) and the versions the devnet reports in its runtime version. */
const RUNTIME_APIS: { name: string; version: number; methods: [string, [string, string][], string][] }[] = [
  { name: 'Core', version: 5, methods: [['version', [], 'RuntimeVersion']] },
  {
    name: 'Metadata',
    version: 2,
    methods: [
      ['metadata', [], 'OpaqueMetadata'],
      ['metadata_at_version', [['version', 'u32']], 'Option<OpaqueMetadata>'],
      ['metadata_versions', [], 'Vec<u32>'],
    ],
  },
  { name: 'AccountNonceApi', version: 1, methods: [['account_nonce', [['account', ACC]], 'u32']] },
  {
    name: 'TransactionPaymentApi',
    version: 4,
    methods: [
      ['query_info', [['uxt', 'Vec<u8>'], ['len', 'u32']], 'RuntimeDispatchInfo'],
      ['query_fee_details', [['uxt', 'Vec<u8>'], ['len', 'u32']], 'FeeDetails'],
      ['query_weight_to_fee', [['weight', 'Weight']], 'u64'],
      ['query_length_to_fee', [['length', 'u32']], 'u64'],
    ],
  },
  {
    name: 'NeuronInfoRuntimeApi',
    version: 1,
    methods: [
      ['get_neurons_lite', [['netuid', 'u16']], 'Vec<NeuronInfoLite>'],
      ['get_neuron_lite', [['netuid', 'u16'], ['uid', 'u16']], 'Option<NeuronInfoLite>'],
    ],
  },
  { name: 'SubnetRegistrationRuntimeApi', version: 1, methods: [['get_network_registration_cost', [], 'u64']] },
];

export interface BuiltMetadata {
  registry: TypeRegistry;
  metadata: Metadata;
  /** state_getMetadata result (V14, with magic) */
  v14: Uint8Array;
  /** Metadata_metadata_at_version(15) payload (V15, with magic), without the Option/length wrapper */
  v15: Uint8Array;
  runtimeVersion: Record<string, unknown>;
  storage: Map<string, { pallet: string; spec: StorageSpec; valueType: number; keyTypes: number[] }>;
  palletIndex: Record<string, number>;
  errorIndex: Record<string, Record<string, number>>;
}

/** Default value of a type as SCALE bytes, computed from the type table. */
function defaultBytes(tt: TypeTable, id: number): number[] {
  const t = tt.types[id]!.type.def as Record<string, any>;
  if (t.Primitive) {
    const sizes: Record<string, number> = { Bool: 1, U8: 1, I8: 1, U16: 2, I16: 2, U32: 4, I32: 4, Char: 4, U64: 8, I64: 8, U128: 16, I128: 16, U256: 32, Str: 1 };
    return new Array(sizes[t.Primitive] ?? 0).fill(0);
  }
  if (t.Compact || t.Sequence) return [0];
  if (t.Array) return Array.from({ length: t.Array.len }, () => defaultBytes(tt, t.Array.type)).flat();
  if (t.Tuple) return (t.Tuple as number[]).flatMap((x) => defaultBytes(tt, x));
  if (t.Composite) return (t.Composite.fields as { type: number }[]).flatMap((f) => defaultBytes(tt, f.type));
  if (t.Variant) {
    const v = t.Variant.variants[0];
    return v ? [v.index, ...v.fields.flatMap((f: { type: number }) => defaultBytes(tt, f.type))] : [];
  }
  return [];
}

let cached: BuiltMetadata | null = null;

export function buildMetadata(): BuiltMetadata {
  if (cached) return cached;
  const tt = new TypeTable();
  baseTypes(tt);
  tt.composite('FixedU128Substrate', ['substrate_fixed', 'FixedU128'], [['bits', 'u128', 'u128']], [['Frac', null]]);
  tt.variant('Mode', ['frame_metadata_hash_extension', 'Mode'], [
    { name: 'Disabled', index: 0 },
    { name: 'Enabled', index: 1 },
  ]);
  const specs = pallets();
  tt.reserve('RuntimeCall');
  tt.reserve('RuntimeEvent');
  tt.reserve('RuntimeError');
  const callIds: Record<string, number> = {};
  const eventIds: Record<string, number> = {};
  const errorIds: Record<string, number> = {};
  const errorIndex: Record<string, Record<string, number>> = {};
  for (const p of specs) {
    if (p.calls) callIds[p.name] = tt.variant(`${p.name}Call`, [p.path, 'pallet', 'Call'], p.calls, [['T', null]]);
    if (p.events) eventIds[p.name] = tt.variant(`${p.name}Event`, [p.path, 'pallet', 'Event'], p.events, [['T', null]]);
    if (p.errors) {
      const vs: VariantSpec[] = (p.errors as (string | VariantSpec)[]).map((e, i) => (typeof e === 'string' ? { name: e, index: i } : e));
      errorIndex[p.name] = Object.fromEntries(vs.map((v) => [v.name, v.index]));
      errorIds[p.name] = tt.variant(`${p.name}Error`, [p.path, 'pallet', 'Error'], vs, [['T', null]]);
    }
  }
  const outer = (ids: Record<string, number>, suffix: string) =>
    specs
      .filter((p) => ids[p.name] !== undefined)
      .map((p) => ({ name: p.name, index: p.index, fields: [[null, `${p.name}${suffix}`, `${p.path}::${suffix}<Runtime>`] as FieldSpec] }));
  tt.variant('RuntimeCall', ['node_subtensor_runtime', 'RuntimeCall'], outer(callIds, 'Call'));
  tt.variant('RuntimeEvent', ['node_subtensor_runtime', 'RuntimeEvent'], outer(eventIds, 'Event'));
  tt.variant('RuntimeError', ['node_subtensor_runtime', 'RuntimeError'], outer(errorIds, 'Error'));
  tt.composite('EventRecord', ['frame_system', 'EventRecord'], [
    ['phase', 'Phase', 'Phase'],
    ['event', 'RuntimeEvent', 'E'],
    ['topics', 'Vec<H256>', 'Vec<T>'],
  ], [['E', 'RuntimeEvent'], ['T', 'H256']]);

  // signed extensions
  const extIds: number[] = [];
  const exts = SIGNED_EXTENSIONS.map(([identifier, path, extra, additional]) => {
    const pathStr = path;
    const fields: FieldSpec[] = extra === '()' ? [] : [[identifier === 'CheckMetadataHash' ? 'mode' : null, extra, extra === 'Era' ? 'Era' : extra === 'Mode' ? 'Mode' : identifier === 'CheckNonce' ? 'T::Nonce' : 'BalanceOf<T>']];
    const id = tt.composite(`Ext${identifier}`, pathStr.split('::'), fields, [['T', null]]);
    extIds.push(id);
    return { identifier, type: id, additionalSigned: tt.t(additional) };
  });
  const extraExpr = `(${SIGNED_EXTENSIONS.map(([id]) => `Ext${id}`).join(',')})`;
  const extraType = tt.t(extraExpr);
  const uxt = tt.composite('UncheckedExtrinsic', ['sp_runtime', 'generic', 'unchecked_extrinsic', 'UncheckedExtrinsic'], [[null, 'Vec<u8>', 'Vec<u8>']], [
    ['Address', 'MultiAddress'],
    ['Call', 'RuntimeCall'],
    ['Signature', 'MultiSignature'],
    ['Extra', extraExpr],
  ]);

  // storage
  const storageIndex: BuiltMetadata['storage'] = new Map();
  const palletsV15 = specs.map((p) => {
    const items = (p.storage ?? []).map((s) => {
      const valueType = tt.t(s.value);
      const keyTypes = (s.keys ?? []).map(([, e]) => tt.t(e));
      storageIndex.set(`${p.name}.${s.name}`, { pallet: p.name, spec: s, valueType, keyTypes });
      const modifier = s.modifier ?? 'Default';
      const fallback = s.fallback ?? (modifier === 'Optional' ? '0x00' : u8aToHex(Uint8Array.from(defaultBytes(tt, valueType))));
      const type = s.keys?.length
        ? { Map: { hashers: s.keys.map(([h]) => h), key: keyTypes.length === 1 ? keyTypes[0]! : tt.t(`(${s.keys.map(([, e]) => e).join(',')})`), value: valueType } }
        : { Plain: valueType };
      return { name: s.name, modifier, type, fallback, docs: s.docs ? [s.docs] : [] };
    });
    const constants = (p.constants ?? []).map(([name, ty, value]) => ({ name, type: tt.t(ty), value, docs: [] }));
    return {
      name: p.name,
      storage: p.storage ? { prefix: p.name, items } : null,
      calls: callIds[p.name] !== undefined ? { type: callIds[p.name] } : null,
      events: eventIds[p.name] !== undefined ? { type: eventIds[p.name] } : null,
      constants,
      errors: errorIds[p.name] !== undefined ? { type: errorIds[p.name] } : null,
      index: p.index,
      docs: [],
    };
  });
  const apis = RUNTIME_APIS.map((a) => ({
    name: a.name,
    methods: a.methods.map(([name, inputs, output]) => ({
      name,
      inputs: inputs.map(([n, t]) => ({ name: n, type: tt.t(t) })),
      output: tt.t(output),
      docs: [],
    })),
    docs: [],
  }));
  const runtimeTy = tt.composite('Runtime', ['node_subtensor_runtime', 'Runtime'], []);
  const addressType = tt.t('MultiAddress');
  const callType = tt.t('RuntimeCall');
  const signatureType = tt.t('MultiSignature');
  const eventType = tt.t('RuntimeEvent');
  const errorType = tt.t('RuntimeError');
  const lookup = { types: tt.types };

  const registry = new TypeRegistry();
  const v15 = registry.createType('MetadataV15', {
    lookup,
    pallets: palletsV15,
    extrinsic: { version: 4, addressType, callType, signatureType, extraType, signedExtensions: exts },
    type: runtimeTy,
    apis,
    outerEnums: { callType, eventType, errorType },
    custom: { map: {} },
  });
  const v14 = registry.createType('MetadataV14', {
    lookup,
    pallets: palletsV15.map(({ docs: _docs, ...rest }) => rest),
    extrinsic: { type: uxt, version: 4, signedExtensions: exts },
    type: runtimeTy,
  });
  const magic = Uint8Array.from([0x6d, 0x65, 0x74, 0x61]);
  const v15Bytes = u8aConcat(magic, [15], v15.toU8a());
  const v14Bytes = u8aConcat(magic, [14], v14.toU8a());
  const metadata = new Metadata(registry, v15Bytes);
  registry.setMetadata(metadata, undefined, undefined, true);
  const runtimeVersion = {
    specName: SPEC_NAME,
    implName: SPEC_NAME,
    authoringVersion: 1,
    specVersion: SPEC_VERSION,
    implVersion: 1,
    apis: RUNTIME_APIS.map((a) => [blake2AsHex(a.name, 64), a.version]),
    transactionVersion: TX_VERSION,
    stateVersion: 1,
  };
  cached = {
    registry,
    metadata,
    v14: v14Bytes,
    v15: v15Bytes,
    runtimeVersion,
    storage: storageIndex,
    palletIndex: Object.fromEntries(specs.map((p) => [p.name, p.index])),
    errorIndex,
  };
  return cached;
}
