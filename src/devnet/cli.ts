// Implementation of `loco devnet start` (lazily imported by src/cli/commands/devnet.ts).
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Ctx } from '../cli/context.js';
import { LocoError } from '../errors.js';
import { Devnet } from './node.js';

export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(String(v).trim());
  if (!m) throw new LocoError('usage', `--block-time must look like 250ms or 2s (got ${JSON.stringify(v)})`);
  const ms = m[2] === 's' ? Number(m[1]) * 1000 : Number(m[1]);
  if (!(ms >= 10 && ms <= 600_000)) throw new LocoError('usage', '--block-time must be between 10ms and 600s');
  return Math.round(ms);
}

export interface DevnetCliOptions {
  dir?: string;
  port?: string;
  host?: string;
  blockTime?: string;
  ephemeral?: boolean;
}

export async function runDevnet(ctx: Ctx, o: DevnetCliOptions): Promise<void> {
  const port = Number(o.port ?? 9944);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocoError('usage', `--port must be 0..65535 (got ${o.port})`);
  const blockTimeMs = parseDuration(o.blockTime ?? '250ms');
  const dir = o.ephemeral ? undefined : resolve(o.dir ?? join(homedir(), '.loco', 'devnet'));
  const json = ctx.out.json;
  const d = await Devnet.start({
    dir,
    port,
    host: o.host ?? '127.0.0.1',
    blockTimeMs,
    onEvent: (ev) => {
      if (json) ctx.out.event(ev);
      else if (ev.event === 'extrinsic_included' || ev.event === 'extrinsic_failed')
        ctx.out.info(`#${ev.block} ${ev.call} from ${ev.signer} ${ev.event === 'extrinsic_failed' ? `FAILED: ${ev.error}` : 'ok'}`);
      else if (ev.event === 'error') ctx.out.warn(String(ev.message));
      else if (ev.event === 'block' && ctx.opts.verbose) ctx.out.info(`block #${ev.number} ${ev.hash}`);
    },
  });
  const ready = { event: 'started', url: d.url, port: d.port, dir: dir ?? null, genesisHash: d.genesisHash, head: d.head.number, blockTimeMs };
  if (json) ctx.out.event(ready);
  else {
    ctx.out.info(`loco devnet listening on ${d.url} (block time ${blockTimeMs} ms, head #${d.head.number})`);
    ctx.out.info(dir ? `state: ${dir}` : 'state: in memory only (--ephemeral)');
    ctx.out.info('dev accounts //Alice … //Ferdie are funded; //Alice is sudo. Ctrl-C stops.');
  }
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await d.stop();
  if (json) ctx.out.event({ event: 'stopped', head: d.head.number });
  else ctx.out.info(`stopped at #${d.head.number}`);
}
