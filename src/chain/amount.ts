// TAO amounts: people write TAO with up to 9 decimals; the chain counts RAO (1 TAO = 10^9 RAO,
// u64). Everything internal is a bigint in RAO; nothing goes through a float.
import { LocoError } from '../errors.js';

export const RAO_PER_TAO = 1_000_000_000n;
export const U64_MAX = (1n << 64n) - 1n;

/** "1.5" → 1500000000n. Rejects negatives, more than 9 decimals, exponents and junk. */
export function parseTao(text: string, what = 'amount'): bigint {
  const s = String(text).trim().replace(/_/g, '');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!s || !m || (m[1] === '' && (m[2] ?? '') === '')) {
    throw new LocoError('invalidInput', `${what} "${text}" is not a TAO amount (e.g. 1.5 or 0.000000001)`);
  }
  const frac = m[2] ?? '';
  if (frac.length > 9) throw new LocoError('invalidInput', `${what} "${text}" has more than 9 decimals (1 RAO = 0.000000001 TAO)`);
  const rao = BigInt(m[1] || '0') * RAO_PER_TAO + BigInt((frac + '000000000').slice(0, 9));
  if (rao > U64_MAX) throw new LocoError('invalidInput', `${what} "${text}" is too large`);
  return rao;
}

/** 1500000000n → "1.500000000" (always 9 decimals). */
export function formatTao(rao: bigint): string {
  const neg = rao < 0n;
  const a = neg ? -rao : rao;
  const whole = a / RAO_PER_TAO;
  const frac = (a % RAO_PER_TAO).toString().padStart(9, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** "τ1.500000000" for people. */
export const tao = (rao: bigint) => `τ${formatTao(rao)}`;

/** JSON shape of an amount: exact RAO as a string, and TAO with 9 decimals as a string. */
export const amountJson = (rao: bigint) => ({ rao: rao.toString(), tao: formatTao(rao) });
