// GPU utilisation, memory and temperature from `nvidia-smi` when it is installed, polled off the
// render path (an async child process every few seconds; never awaited by the role loop).
import { execFile } from 'node:child_process';
import { useEffect, useState } from 'react';

export interface GpuSample {
  index: number;
  name: string;
  /** percent, null when the driver reports "[N/A]" */
  util: number | null;
  memUsedMiB: number | null;
  memTotalMiB: number | null;
  tempC: number | null;
}

/** What the Throughput panel shows: samples, or why there are none. */
export type GpuReading = { state: 'ok'; gpus: GpuSample[] } | { state: 'absent'; why: string } | { state: 'pending' };

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu', '--format=csv,noheader,nounits'];

const numOrNull = (s: string | undefined): number | null => {
  if (s === undefined) return null;
  const n = Number(s.trim().replace(/\s*(%|MiB|C)$/, ''));
  return s.trim() === '' || !Number.isFinite(n) ? null : n;
};

/** Parse `nvidia-smi --query-gpu=index,name,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader[,nounits]`. */
export function parseNvidiaSmi(text: string): GpuSample[] {
  const out: GpuSample[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const f = line.split(',').map((x) => x.trim());
    if (f.length < 6) continue;
    // a GPU name may itself contain commas: the five numeric fields are the first one and the last four
    const tail = f.slice(-4);
    const index = numOrNull(f[0]);
    if (index === null) continue;
    out.push({
      index,
      name: f.slice(1, f.length - 4).join(', '),
      util: numOrNull(tail[0]),
      memUsedMiB: numOrNull(tail[1]),
      memTotalMiB: numOrNull(tail[2]),
      tempC: numOrNull(tail[3]),
    });
  }
  return out;
}

export type GpuProbe = () => Promise<GpuReading>;

/** Run nvidia-smi once (2 s limit). Not installed, no driver or no GPU: `absent` with the reason. */
export const nvidiaSmiProbe: GpuProbe = () =>
  new Promise((resolve) => {
    execFile('nvidia-smi', NVIDIA_SMI_ARGS, { timeout: 2000, encoding: 'utf8' }, (err, stdout) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve({ state: 'absent', why: code === 'ENOENT' ? 'nvidia-smi not found' : `nvidia-smi failed: ${(err.message.split('\n')[0] ?? '').slice(0, 60)}` });
        return;
      }
      const gpus = parseNvidiaSmi(stdout);
      resolve(gpus.length ? { state: 'ok', gpus } : { state: 'absent', why: 'nvidia-smi lists no GPU' });
    });
  });

/**
 * Poll a probe every `intervalMs` (default 3 s). `false` disables it (the panel then says so). An
 * absent nvidia-smi is asked once only.
 */
export function useGpu(probe: GpuProbe | false = nvidiaSmiProbe, intervalMs = 3000): GpuReading {
  const [r, setR] = useState<GpuReading>(probe ? { state: 'pending' } : { state: 'absent', why: 'not polled' });
  useEffect(() => {
    if (!probe) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const tick = async () => {
      const got = await probe().catch((e): GpuReading => ({ state: 'absent', why: String((e as Error).message) }));
      if (!alive) return;
      setR(got);
      if (got.state === 'ok') timer = setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      alive = false;
      if (timer) clearTimeout(timer);
    };
  }, [probe, intervalMs]);
  return r;
}

/** Model FLOP/s and MFU from tokens/s (MFU null without a known peak). */
export function mfu(tokensPerS: number | null, flopsPerToken: number | undefined, peakGflops: number | undefined): { gflops: number | null; mfu: number | null } {
  if (tokensPerS === null || !flopsPerToken) return { gflops: null, mfu: null };
  const gflops = (tokensPerS * flopsPerToken) / 1e9;
  return { gflops, mfu: peakGflops && peakGflops > 0 ? gflops / peakGflops : null };
}

/** LOCO_PEAK_GFLOPS: the peak the MFU is measured against (e.g. `loco bench train`'s MatMul ceiling). */
export function peakFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const n = Number(env.LOCO_PEAK_GFLOPS);
  return env.LOCO_PEAK_GFLOPS && Number.isFinite(n) && n > 0 ? n : undefined;
}
