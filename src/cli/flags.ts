// Parsing of numeric command-line flags: one message for every command.
import { LocoError } from '../errors.js';

/** An optional integer flag ≥ `min`: undefined when absent, a usage error (exit 2) when malformed. */
export function intFlag(v: unknown, flag: string, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new LocoError('usage', `${flag} must be an integer ≥ ${min} (got ${JSON.stringify(v)})`);
  return n;
}
