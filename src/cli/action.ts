// Wraps a command's implementation: builds its context, and turns any error into the right
// exit code and, with --json, an error envelope. Every command action goes through this.
import type { Command } from 'commander';
import { makeCtx, type Ctx } from './context.js';

export type Action = (ctx: Ctx, args: unknown[], cmd: Command) => Promise<void>;

export function action(fn: Action) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = makeCtx(cmd);
    try {
      // commander passes (...positionals, options, command)
      await fn(ctx, args.slice(0, -2), cmd);
    } catch (e) {
      process.exitCode = ctx.out.failure(e);
    }
  };
}
