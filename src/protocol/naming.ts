// Object keys of a run. Every key starts with the run id (the first 16 hex digits of the run
// manifest hash), so a new manifest is a new namespace, and windows are zero-padded so listing a
// prefix returns them in order.
import { LocoError } from '../errors.js';

const pad = (w: number) => {
  if (!Number.isSafeInteger(w) || w < 0) throw new LocoError('invalidInput', `window ${w} out of range`);
  return String(w).padStart(10, '0');
};
const uidOk = (uid: number) => {
  if (!Number.isSafeInteger(uid) || uid < 0 || uid > 0xffff) throw new LocoError('invalidInput', `uid ${uid} out of range`);
  return String(uid);
};

export const keys = {
  manifest: (runId: string) => `${runId}/manifest.json`,
  /** A miner's compressed pseudo-gradient for a window (docs/payload-format.md). */
  gradient: (runId: string, window: number, uid: number) => `${runId}/gradient/${pad(window)}/${uidOk(uid)}.lpl`,
  gradientPrefix: (runId: string, window: number) => `${runId}/gradient/${pad(window)}/`,
  /** Sampled parameter values after the outer step, for the sync check. */
  debug: (runId: string, window: number, uid: number) => `${runId}/debug/${pad(window)}/${uidOk(uid)}.json`,
  /** The aggregate a validator applied (late joiners replay these). */
  aggregate: (runId: string, window: number) => `${runId}/aggregate/${pad(window)}.lpl`,
  peers: (runId: string, firstWindow: number) => `${runId}/peers/${pad(firstWindow)}.json`,
  scores: (runId: string, window: number) => `${runId}/scores/${pad(window)}.json`,
  checkpoint: (runId: string, window: number) => `${runId}/checkpoints/${pad(window)}.ckpt`,
  latestCheckpoint: (runId: string) => `${runId}/checkpoints/LATEST.json`,
};

/** Parse a gradient key back into its window and uid (null for anything else). */
export function parseGradientKey(runId: string, key: string): { window: number; uid: number } | null {
  const m = new RegExp(`^${runId}/gradient/(\\d{10})/(\\d{1,5})\\.lpl$`).exec(key);
  if (!m) return null;
  const uid = Number(m[2]);
  return uid <= 0xffff ? { window: Number(m[1]), uid } : null;
}
