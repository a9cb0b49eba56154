// The window clock (DESIGN contract 4): every role derives the window from chain blocks, and the
// upload deadline from chain block timestamps, so no participant's wall clock matters.

export function windowOf(block: number, blocksPerWindow: number): number {
  return Math.floor(block / blocksPerWindow);
}

export function windowStartBlock(window: number, blocksPerWindow: number): number {
  return window * blocksPerWindow;
}

/** Blocks left until the next window begins (1 … blocksPerWindow). */
export function blocksUntilNextWindow(block: number, blocksPerWindow: number): number {
  return blocksPerWindow - (block % blocksPerWindow);
}

export type UploadTiming = 'on_time' | 'too_early' | 'too_late';

/**
 * A payload for window w counts only if the store's LastModified lies in
 * [t0, t0 + Δt], where t0 is the chain timestamp of the first block of window w+1.
 */
export function uploadTiming(lastModified: Date, nextWindowStartTime: Date, uploadDeltaS: number): UploadTiming {
  const t = lastModified.getTime();
  // S3's LastModified has whole-second resolution: an upload in the same second as t0 is on time.
  const t0 = Math.floor(nextWindowStartTime.getTime() / 1000) * 1000;
  if (t < t0) return 'too_early';
  if (t > t0 + uploadDeltaS * 1000) return 'too_late';
  return 'on_time';
}
