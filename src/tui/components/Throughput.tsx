import { Text } from 'ink';
import { fmtNum } from '../chart.js';
import { mfu, type GpuReading, type GpuSample } from '../gpu.js';
import type { View } from '../state.js';
import type { HeaderInfo } from './Header.js';
import { Panel } from './Panel.js';

const gib = (mib: number | null) => (mib === null ? '?' : (mib / 1024).toFixed(1));

/** One short line per GPU: "GPU0 H200 87% 12.3/140.4G 61°C". */
export function gpuLine(g: GpuSample): string {
  const name = g.name.replace(/^NVIDIA\s+/, '').slice(0, 10).trim();
  return `GPU${g.index} ${name} ${g.util === null ? '?' : g.util}% ${gib(g.memUsedMiB)}/${gib(g.memTotalMiB)}G ${g.tempC === null ? '?' : g.tempC}°C`;
}

export function Throughput({ view, focused, width, info = {}, gpu }: { view: View; focused?: boolean; width?: number | string; info?: HeaderInfo; gpu?: GpuReading }) {
  const m = mfu(view.tokensPerS, info.flopsPerToken, info.peakGflops);
  const mfuText = m.mfu !== null ? `MFU ${(m.mfu * 100).toFixed(1)} % of ${Math.round(info.peakGflops!)} GFLOP/s` : `MFU — ${m.gflops === null ? '' : '(peak unknown: LOCO_PEAK_GFLOPS)'}`;
  return (
    <Panel title="Throughput" focused={focused} width={width}>
      <Text>{`tokens/s ${view.tokensPerS === null ? '—' : Math.round(view.tokensPerS)}${m.gflops === null ? '' : `  ${m.gflops.toFixed(1)} GFLOP/s`}`}</Text>
      <Text>{mfuText.trimEnd()}</Text>
      <Text>{`lr ${fmtNum(view.lr)}  |grad| ${fmtNum(view.gradNorm)}`}</Text>
      <Text>{`outer steps ${view.outerSteps}`}</Text>
      {gpu === undefined ? null : gpu.state === 'ok' ? (
        gpu.gpus.slice(0, 2).map((g) => <Text key={g.index}>{gpuLine(g)}</Text>)
      ) : (
        <Text>{gpu.state === 'pending' ? 'GPU …' : `GPU — ${gpu.why}`}</Text>
      )}
    </Panel>
  );
}
