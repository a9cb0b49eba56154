// Typed errors shared by every layer. Each kind maps to one process exit code (docs/cli.md),
// so scripts can tell a wrong password from a missing wallet without parsing messages.

export const ExitCode = {
  ok: 0,
  failure: 1, // unexpected internal error
  usage: 2, // bad flags or arguments
  wrongPassword: 3,
  notFound: 4, // wallet, key, file or object that does not exist
  alreadyExists: 5, // refusing to overwrite without --overwrite
  invalidInput: 6, // malformed keyfile, mnemonic, signature, payload, shard, checkpoint
  unsupported: 7, // legacy or unknown format
  chain: 8, // RPC unreachable, extrinsic failed
  cancelled: 9, // user said no, or a prompt was needed but none was possible
  io: 10, // disk full, permission denied, …
  engine: 11, // the native trainer failed or was killed
  corrupt: 12, // a file on disk is damaged or truncated (keyfile, checkpoint, shard)
} as const;

export type ErrorKind = keyof typeof ExitCode;

export class LocoError extends Error {
  readonly kind: ErrorKind;
  /** Extra machine-readable details for --json output. Never put secrets here. */
  readonly details?: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'LocoError';
    this.kind = kind;
    this.details = details;
  }

  get exitCode(): number {
    return ExitCode[this.kind];
  }
}

export function isLocoError(e: unknown): e is LocoError {
  return e instanceof LocoError;
}

/** Map Node's file-system error codes onto our kinds, keeping the path in the message. */
export function fromFsError(e: unknown, what: string): LocoError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const msg = (e as Error)?.message ?? String(e);
  switch (code) {
    case 'ENOENT':
      return new LocoError('notFound', `${what}: not found`);
    case 'EACCES':
    case 'EPERM':
      return new LocoError('io', `${what}: permission denied`);
    case 'ENOSPC':
      return new LocoError('io', `${what}: no space left on device`);
    case 'EROFS':
      return new LocoError('io', `${what}: read-only file system`);
    default:
      return new LocoError('io', `${what}: ${msg}`);
  }
}
