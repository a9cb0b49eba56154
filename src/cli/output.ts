// The one output module. Human mode: results on stdout, logs and errors on stderr.
// --json mode: stdout carries exactly one JSON document {"success","data","error"} (or NDJSON
// events for long-running commands) and nothing else; everything human goes to stderr.
import { ExitCode, LocoError, isLocoError } from '../errors.js';
import { bold, dim, red, yellow } from './style.js';

export interface JsonEnvelope {
  success: boolean;
  data: unknown;
  error: { kind: string; code: number; message: string; details?: Record<string, unknown> } | null;
}

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  private written = false;

  constructor(opts: { json?: boolean; verbose?: boolean } = {}) {
    this.json = Boolean(opts.json);
    this.verbose = Boolean(opts.verbose);
  }

  /** Informational line for people; stderr so stdout stays clean for data. */
  info(msg: string): void {
    process.stderr.write(`${msg}\n`);
  }

  warn(msg: string): void {
    process.stderr.write(`${yellow('warning:')} ${msg}\n`);
  }

  debug(msg: string): void {
    if (this.verbose) process.stderr.write(`${dim(msg)}\n`);
  }

  /**
   * The command's result. In JSON mode `data` is printed inside the envelope; otherwise `human`
   * (lines for a person) goes to stdout.
   */
  result(data: unknown, human?: string | string[]): void {
    if (this.json) {
      this.writeEnvelope({ success: true, data, error: null });
    } else if (human !== undefined) {
      const text = Array.isArray(human) ? human.join('\n') : human;
      if (text.length) process.stdout.write(`${text}\n`);
    }
  }

  /** One NDJSON event line (long-running commands in --json mode). */
  event(ev: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(ev)}\n`);
  }

  failure(err: unknown): number {
    const le = toLocoError(err);
    if (this.json) {
      this.writeEnvelope({
        success: false,
        data: null,
        error: { kind: le.kind, code: le.exitCode, message: le.message, ...(le.details ? { details: le.details } : {}) },
      });
    } else {
      process.stderr.write(`${red(bold('error:'))} ${le.message}\n`);
      if (this.verbose && le.kind === 'failure' && err instanceof Error && err.stack) {
        process.stderr.write(`${dim(err.stack)}\n`);
      }
    }
    return le.exitCode;
  }

  private writeEnvelope(env: JsonEnvelope): void {
    if (this.written) return; // exactly one document
    this.written = true;
    process.stdout.write(`${JSON.stringify(env)}\n`);
  }
}

export function toLocoError(err: unknown): LocoError {
  if (isLocoError(err)) return err;
  const code = (err as { code?: string })?.code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return new LocoError('usage', (err as Error).message.replace(/^error: /, ''));
  }
  return new LocoError('failure', (err as Error)?.message ?? String(err));
}

export { ExitCode };
