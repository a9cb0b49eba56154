// Password rules and non-interactive password sources, as the official tools define them.
import { LocoError } from '../errors.js';

/**
 * Strength score 0–100 as computed by the `passwords` Rust crate that btwallet uses
 * (`scorer::score(&analyzer::analyze(pw))`), reimplemented from its documented algorithm:
 * a length-based ceiling, penalties for missing character classes, repeats and progressions.
 * The crate's common-password feature divides the score by 5 for a listed password; its list has
 * 422k entries, loco carries only the most common ones (COMMON_PASSWORDS).
 */
export function passwordScore(password: string): number {
  let length = 0, spaces = 0, numbers = 0, lower = 0, upper = 0, symbols = 0, others = 0;
  let consecutive = 0, progressive = 0;
  let lastCode = Number.MAX_SAFE_INTEGER;
  let lastStep = Number.MAX_SAFE_INTEGER;
  let stepRun = false, stepRepeat = false, codeRun = false;
  const counts = new Map<number, number>();
  for (const ch of password) {
    const code = ch.codePointAt(0)!;
    if (code <= 0x1f || code === 0x7f) continue; // control characters are filtered out
    length++;
    counts.set(code, (counts.get(code) ?? 0) + 1);
    if (code === lastCode) {
      consecutive += codeRun ? 1 : 2;
      codeRun = true;
      stepRun = false;
    } else {
      codeRun = false;
      const step = lastCode - code;
      lastCode = code;
      if (step === lastStep) {
        if (stepRun) progressive += 1;
        else {
          stepRun = true;
          progressive += stepRepeat ? 2 : 3;
          stepRepeat = true;
        }
      } else {
        lastStep = step;
        if (stepRun) stepRun = false;
        else stepRepeat = false;
      }
    }
    if (code >= 48 && code <= 57) numbers++;
    else if (code >= 65 && code <= 90) upper++;
    else if (code >= 97 && code <= 122) lower++;
    else if (code === 32) spaces++;
    else if ((code >= 33 && code <= 47) || (code >= 58 && code <= 64) || (code >= 91 && code <= 96) || (code >= 123 && code <= 126)) symbols++;
    else others++;
  }
  let repeated = 0;
  for (const n of counts.values()) if (n > 1) repeated += n;
  const nonConsecutive = repeated - consecutive;

  const table = [0, 2, 5, 9, 16, 25, 40, 58, 80, 88, 95, 100];
  const ascii = length - others;
  const max = ascii < table.length ? table[ascii] : 100 + ascii - 11;
  let score = max;
  if (score > 0) {
    if (spaces >= 1) score += spaces;
    if (numbers === 0) score -= max * 0.05;
    if (lower === 0) score -= max * 0.1;
    if (upper === 0) score -= max * 0.1;
    if (spaces === 0) score -= max * 0.1;
    if (lower >= 1 && upper >= 1) score += 1;
    if (symbols >= 1) score += 1;
    score -= max * (consecutive / length / 5);
    score -= max * (progressive / length / 5);
    score -= max * (nonConsecutive / length / 10);
  }
  score = Math.min(Math.max(score, 0), max);
  score += others * 20;
  score = Math.min(score, 100);
  return COMMON_PASSWORDS.has(password) ? score / 5 : score;
}

/** The most frequent passwords of public breach statistics (a small subset of the crate's list). */
const COMMON_PASSWORDS = new Set(
  (
    '123456 123456789 12345678 12345 1234567 1234567890 111111 000000 123123 654321 666666 121212 ' +
    '112233 123321 987654321 11111111 88888888 password password1 password123 passw0rd p@ssw0rd qwerty ' +
    'qwerty123 qwertyuiop 1q2w3e4r 1qaz2wsx zaq12wsx asdfgh asdfghjkl zxcvbnm abc123 abcdef abcd1234 ' +
    'iloveyou admin admin123 welcome welcome1 letmein monkey dragon master sunshine princess football ' +
    'baseball shadow superman michael charlie jennifer trustno1 starwars whatever freedom computer ' +
    'secret hello123 login changeme bitcoin bittensor'
  ).split(' '),
);

export const MIN_PASSWORD_LENGTH = 6;
export const MIN_PASSWORD_SCORE = 20;

/** btwallet's rule for new passwords: at least 6 characters and a strength score of at least 20. */
export function checkNewPassword(password: string): void {
  if (password.length === 0) throw new LocoError('invalidInput', 'password must not be empty');
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new LocoError('invalidInput', `password is too short: at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const score = passwordScore(password);
  if (score < MIN_PASSWORD_SCORE) {
    throw new LocoError('invalidInput', `password is too weak (strength ${score.toFixed(0)} of 100, need ${MIN_PASSWORD_SCORE}): use a longer one, mixing letters, digits and symbols`);
  }
}

/**
 * The official non-interactive variable for a keyfile: `BT_PW_` + path with `/` and `.` turned into
 * `_`, upper-cased. Its value is not the password but base64(password XOR variable name).
 */
export function btPasswordEnvName(keyfilePath: string): string {
  return `BT_PW_${keyfilePath.replace(/[/.]/g, '_').toUpperCase()}`;
}

function xorCycle(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[i % key.length];
  return out;
}

export function encodeBtPassword(password: string, envName: string): string {
  return xorCycle(Buffer.from(password, 'utf8'), Buffer.from(envName, 'utf8')).toString('base64');
}

export function decodeBtPassword(value: string, envName: string): string {
  return xorCycle(Buffer.from(value, 'base64'), Buffer.from(envName, 'utf8')).toString('utf8');
}
