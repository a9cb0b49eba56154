// `loco payload inspect FILE`: decode and verify one SparseLoCo payload (docs/payload-format.md).
// Exit 0 and "valid", or exit 6 with the rejection reason (a stable code, e.g. bad_signature).
import type { Command } from 'commander';
import { action } from '../action.js';
import { LocoError } from '../../errors.js';
import { intFlag as intOpt } from '../flags.js';

export function registerPayload(program: Command): void {
  const payload = program.command('payload').description('SparseLoCo payloads: decode, verify, show sizes');

  payload
    .command('inspect <file>')
    .description('decode and verify one payload: header, sizes, then "valid" or the rejection reason')
    .option('--manifest <file>', 'run manifest: pins the manifest hash, tensor names/shapes, chunking, k and the size limit')
    .option('--window <n>', 'the window the payload must be for')
    .option('--uid <n>', 'the uid the payload must come from')
    .option('--signer <ss58|0xpubkey>', 'the hotkey that must have signed it')
    .action(
      action(async (ctx, [file], cmd) => {
        const o = cmd.opts() as { manifest?: string; window?: string; uid?: string; signer?: string };
        const { inspectPayloadFile, humanReport } = await import('../../codec/inspect.js');
        try {
          const r = await inspectPayloadFile(file as string, {
            manifest: o.manifest,
            window: intOpt(o.window, '--window'),
            uid: intOpt(o.uid, '--uid'),
            signer: o.signer,
          });
          const human = humanReport(r);
          if (ctx.out.verbose) {
            for (const t of r.tensors) {
              human.splice(-1, 0, `  ${t.name.padEnd(22)} [${t.shape.join('×')}] chunk ${t.chunk.join('×')} k ${t.k} ${t.coding}${t.coding === 'rice' ? ` r=${t.rice}` : ''} idx ${t.indexBytes} B codes ${t.codeBytes} B`);
            }
          }
          ctx.out.result(r, human);
        } catch (e) {
          const h = (e as LocoError)?.details?.header as Record<string, unknown> | undefined;
          if (!ctx.out.json && h) {
            process.stdout.write(
              `payload    ${file}\nformat     version ${h.version}\nmanifest   ${h.manifestHash}\nwindow     ${h.window}    uid ${h.uid}\nhotkey     ${h.ss58} (${h.hotkey})\n` +
                `rejected   ${(e as LocoError).details?.reason}\n`,
            );
          } else if (!ctx.out.json && (e as LocoError)?.details?.reason) {
            process.stdout.write(`payload    ${file}\nrejected   ${(e as LocoError).details?.reason}\n`);
          }
          throw e;
        }
      }),
    );
}
