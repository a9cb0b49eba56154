// `loco data prepare|inspect`: token shards for training and evaluation (docs/data.md).
// The implementation (and gpt-tokenizer) loads only when a data command runs.
import type { Command } from 'commander';
import { action } from '../action.js';
import { LocoError } from '../../errors.js';

function intOpt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v).replace(/_/g, '');
  const n = /^\d+(\.\d+)?[kKmM]?$/.test(s) ? Number(s.replace(/[kKmM]$/, '')) * (/[kK]$/.test(s) ? 1e3 : /[mM]$/.test(s) ? 1e6 : 1) : NaN;
  if (!Number.isSafeInteger(n)) throw new LocoError('usage', `${flag} must be a whole number (got ${JSON.stringify(v)})`);
  return n;
}

function numOpt(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new LocoError('usage', `${flag} must be a number (got ${JSON.stringify(v)})`);
  return n;
}

function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** A one-line progress bar on stderr (TTY only), redrawn at most 10 times a second. */
class Bar {
  private last = 0;
  private shown = false;
  draw(frac: number, label: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = 28;
    const f = Math.max(0, Math.min(1, frac));
    const full = Math.round(f * width);
    const cols = process.stderr.columns ?? 80;
    const line = `[${'█'.repeat(full)}${'░'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}% ${label}`;
    process.stderr.write(`\r\u001b[2K${line.slice(0, cols - 1)}`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write('\r\u001b[2K');
    this.shown = false;
  }
}

export function registerData(program: Command): void {
  const data = program.command('data').description('token shards (llm.c format, GPT-2 BPE): prepare, inspect');

  data
    .command('prepare')
    .description('tokenise the bundled public-domain texts into train/val shards with a manifest')
    .option('--out <dir>', 'output folder (default ~/.loco/data/default)')
    .option('--shard-tokens <n>', 'tokens per shard (default 1000000)')
    .option('--val-fraction <f>', 'fraction of each document held out for validation (default 0.01)')
    .option('--sources <list>', 'comma-separated: sotu, moby-dick (default both)')
    .option('--max-docs <n>', 'at most N documents per source (quick subsets)')
    .action(
      action(async (ctx, _args, cmd) => {
        const o = cmd.opts() as Record<string, string | undefined>;
        const { prepareData, parseSources, defaultDataDir } = await import('../../data/prepare.js');
        const { resolve } = await import('node:path');
        const out = resolve(o.out ? o.out.replace(/^~(?=$|\/)/, process.env.HOME ?? '~') : defaultDataDir());
        const tty = !ctx.out.json && Boolean(process.stderr.isTTY);
        const bar = new Bar();
        const res = await prepareData({
          out,
          shardTokens: intOpt(o.shardTokens, '--shard-tokens'),
          valFraction: numOpt(o.valFraction, '--val-fraction'),
          sources: o.sources !== undefined ? parseSources(o.sources) : undefined,
          maxDocs: intOpt(o.maxDocs, '--max-docs'),
          onEvent: (ev) => {
            if (ctx.out.json) {
              ctx.out.event(ev);
            } else if (ev.event === 'tokenize') {
              const label = `${ev.source} ${ev.documents}/${ev.documents_total} docs, ${fmtCount(ev.tokens)} tokens`;
              if (tty) bar.draw(ev.bytes / ev.bytes_total, label, ev.documents === ev.documents_total);
              else if (ev.documents === ev.documents_total) ctx.out.info(`tokenised ${label}`);
            } else {
              if (tty) bar.clear();
              ctx.out.info(`wrote ${ev.file} (${fmtCount(ev.tokens)} tokens)`);
            }
          },
        });
        bar.clear();
        const m = res.manifest;
        ctx.out.result(
          { out: res.out, seconds: Number(res.seconds.toFixed(3)), manifest: m },
          [
            `data in ${res.out}`,
            ...m.sources.map((s) => `  ${s.name.padEnd(10)} ${String(s.documents).padStart(4)} docs  ${(s.bytes / 1e6).toFixed(2)} MB  ${fmtCount(s.tokens)} tokens`),
            `  train ${fmtCount(m.splits.train.tokens)} tokens in ${m.splits.train.shards} shard(s); val ${fmtCount(m.splits.val.tokens)} tokens in ${m.splits.val.shards} shard(s)`,
            `  sha256 ${m.sha256}`,
            `  ${res.seconds.toFixed(1)} s`,
          ],
        );
      }),
    );

  data
    .command('inspect <path>')
    .description('counts per split, checksums, and a decoded sample of a data folder or one shard file')
    .option('--tokens <n>', 'tokens to decode for the sample (default 64)')
    .option('--offset <n>', 'token offset of the sample in its shard (default 0)')
    .action(
      action(async (ctx, [path], cmd) => {
        const o = cmd.opts() as Record<string, string | undefined>;
        const { inspectData } = await import('../../data/prepare.js');
        const r = await inspectData(path as string, { sampleTokens: intOpt(o.tokens, '--tokens'), offset: intOpt(o.offset, '--offset') });
        const bad = r.shards.filter((s) => s.sha256_ok === false);
        const lines = [
          `${r.path}: ${r.shards.length} shard(s), ${fmtCount(r.total_tokens)} tokens${r.manifest ? (bad.length ? '' : ', checksums OK') : ' (no manifest)'}`,
          ...Object.entries(r.splits).map(([k, v]) => `  ${k.padEnd(6)} ${String(v.shards).padStart(4)} shard(s) ${String(v.tokens).padStart(12)} tokens`),
          ...r.shards.map((s) => `  ${s.file}  ${s.tokens} tokens${s.sha256_ok === false ? '  CHECKSUM MISMATCH' : ''}`),
          `sample (${r.sample.file} @ ${r.sample.offset}, ${r.sample.tokens.length} tokens):`,
          r.sample.text,
        ];
        if (bad.length) {
          if (ctx.out.json) {
            throw new LocoError('invalidInput', `checksum mismatch: ${bad.map((b) => b.file).join(', ')}`, { shards: r.shards });
          }
          process.stdout.write(lines.join('\n') + '\n');
          throw new LocoError('invalidInput', `checksum mismatch against manifest.json: ${bad.map((b) => b.file).join(', ')}`);
        }
        ctx.out.result(r, lines);
      }),
    );
}
