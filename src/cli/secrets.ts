// Where passwords come from, in order: --password-file, LOCO_PASSWORD, the official BT_PW_<PATH>
// variable, and finally a masked prompt when a person is at the terminal. Never logged.
import { readFileSync } from 'node:fs';
import { LocoError, fromFsError } from '../errors.js';
import { btPasswordEnvName, checkNewPassword, decodeBtPassword } from '../wallet/password.js';
import type { PasswordSource } from '../wallet/wallet.js';
import type { Ctx } from './context.js';
import { promptSecret } from './prompt.js';

export interface PasswordFlags {
  passwordFile?: string;
}

function fromFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw fromFsError(e, `password file ${file}`);
  }
  return text.replace(/\r?\n$/, ''); // one trailing newline is the file's, not the password's
}

function nonInteractive(keyfilePath: string): string | undefined {
  const env = process.env.LOCO_PASSWORD;
  if (env !== undefined) return env;
  const btName = btPasswordEnvName(keyfilePath);
  const bt = process.env[btName];
  if (bt !== undefined) return decodeBtPassword(bt, btName);
  return undefined;
}

const HOW = 'pass --password-file FILE, or set LOCO_PASSWORD (or the official BT_PW_<PATH> variable)';

/** Password to unlock an existing encrypted keyfile. */
export function unlockPassword(ctx: Ctx, flags: PasswordFlags): PasswordSource {
  return async (keyfilePath) => {
    if (flags.passwordFile) return fromFile(flags.passwordFile);
    const pw = nonInteractive(keyfilePath);
    if (pw !== undefined) return pw;
    if (ctx.interactive) return promptSecret(`Password to unlock ${keyfilePath}: `);
    throw new LocoError('cancelled', `${keyfilePath} is encrypted and no password was given: ${HOW}`);
  };
}

/** Password for a new encrypted keyfile: checked against the strength rule, confirmed when typed. */
export async function newPassword(ctx: Ctx, flags: PasswordFlags, keyfilePath: string): Promise<string> {
  let pw: string | undefined = flags.passwordFile ? fromFile(flags.passwordFile) : nonInteractive(keyfilePath);
  if (pw !== undefined) {
    checkNewPassword(pw);
    return pw;
  }
  if (!ctx.interactive) {
    throw new LocoError('cancelled', `a password is needed to encrypt ${keyfilePath}: ${HOW}; or use --no-use-password`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    pw = await promptSecret(`New password for ${keyfilePath}: `);
    try {
      checkNewPassword(pw);
    } catch (e) {
      ctx.out.warn((e as Error).message);
      continue;
    }
    const again = await promptSecret('Retype the password: ');
    if (again === pw) return pw;
    ctx.out.warn('passwords do not match');
  }
  throw new LocoError('cancelled', 'no acceptable password after 3 tries');
}
