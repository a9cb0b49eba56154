// The demo's children: one `loco validate --json` and three `loco mine --json`, each in its own
// process group (detached), so that stopping the demo can signal the group — the loco process and
// its engine child together — and nothing is left behind. Their NDJSON events are parsed line by
// line; stderr goes to a log file per child (and its tail into the exit event).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEvent, type LocoEvent } from '../protocol/events.js';

/** bin/loco of this installation (dist/demo/children.js → ../../bin/loco). */
export const LOCO_BIN = fileURLToPath(new URL('../../bin/loco', import.meta.url));

export interface ChildSpec {
  role: 'miner' | 'validator';
  uid: number;
  args: string[];
  logFile: string;
  env?: NodeJS.ProcessEnv;
}

export interface ChildExit {
  code: number | null;
  signal: string | null;
  stderrTail: string;
}

export class DemoChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<ChildExit>;
  private stderrTail: string[] = [];
  private log: WriteStream;
  alive = true;

  constructor(
    readonly spec: ChildSpec,
    onEvent: (e: LocoEvent) => void,
    onLine?: (line: string) => void,
  ) {
    mkdirSync(join(spec.logFile, '..'), { recursive: true });
    this.log = createWriteStream(spec.logFile, { flags: 'a' });
    this.proc = spawn(process.execPath, [LOCO_BIN, ...spec.args], {
      detached: true, // its own process group: kill(-pid) reaches its engine child too
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...spec.env },
    });
    let buf = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const e = parseEvent(line);
        if (e) onEvent(e);
        else {
          // with --json a failing command's error document comes on stdout
          try {
            const doc = JSON.parse(line) as { success?: boolean; error?: { message?: string } };
            if (doc.success === false && doc.error?.message) this.stderrTail.push(doc.error.message);
          } catch {
            /* not JSON */
          }
          onLine?.(line);
        }
      }
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      this.log.write(chunk);
      this.stderrTail.push(...chunk.split('\n').filter(Boolean));
      if (this.stderrTail.length > 20) this.stderrTail.splice(0, this.stderrTail.length - 20);
    });
    this.exited = new Promise<ChildExit>((res) => {
      this.proc.once('error', (err) => {
        this.stderrTail.push(String(err.message));
      });
      this.proc.once('close', (code, signal) => {
        this.alive = false;
        this.log.end();
        res({ code, signal, stderrTail: this.stderrTail.join('\n') });
      });
    });
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Signal the child's whole process group (the loco process and its engine). */
  signalGroup(sig: NodeJS.Signals): void {
    if (this.proc.pid === undefined) return;
    try {
      process.kill(-this.proc.pid, sig);
    } catch {
      /* already gone */
    }
  }

  /**
   * Stop: SIGTERM (the loop stops at the next safe point, the engine shuts down), then SIGKILL to
   * the whole group after `graceMs`. Resolves when the child has exited and its group is gone.
   */
  async stop(graceMs: number): Promise<ChildExit> {
    // SIGTERM to the loco process only: its loop stops at the next safe point and shuts its engine
    // down itself (signalling the group would kill the engine under a running step)
    if (this.alive) {
      try {
        this.proc.kill('SIGTERM');
      } catch {
        /* already gone */
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((res) => {
      timer = setTimeout(() => {
        this.signalGroup('SIGKILL');
        res();
      }, graceMs);
    });
    const r = await Promise.race([this.exited, killed.then(() => this.exited)]);
    clearTimeout(timer);
    // the engine grandchild may outlive its parent for a moment: make sure the group is gone
    this.signalGroup('SIGKILL');
    return r;
  }
}

/** Every pid still in process group `pgid` (Linux /proc); empty when the group is gone. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const { readdirSync, readFileSync } = await import('node:fs');
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may contain spaces, so split after the last ')'
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid && rest[0] !== 'Z') out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}
