// Character charts, pure: braille plots (2×4 dots a cell) and block sparklines.

const DOT = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

export interface ChartOpts {
  width: number;
  height: number;
  log?: boolean;
}

export interface Chart {
  lines: string[];
  min: number;
  max: number;
}

const tf = (log: boolean | undefined) => (x: number) => (log ? Math.log10(Math.max(x, 1e-12)) : x);

/** Plot the finite values left to right (resampled to the width), high values at the top. */
export function brailleChart(values: readonly (number | null)[], o: ChartOpts): Chart {
  const width = Math.max(1, Math.floor(o.width));
  const height = Math.max(1, Math.floor(o.height));
  const pts = values.filter((x): x is number => x !== null && Number.isFinite(x) && (!o.log || x > 0));
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0));
  if (pts.length === 0) return { lines: cells.map((r) => r.map(() => ' ').join('')), min: NaN, max: NaN };
  const f = tf(o.log);
  const ys = pts.map(f);
  let lo = Math.min(...ys);
  let hi = Math.max(...ys);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const dotsX = width * 2;
  const dotsY = height * 4;
  const n = pts.length;
  const plot = (dx: number, dy: number) => {
    const cx = Math.floor(dx / 2);
    const cy = Math.floor(dy / 4);
    cells[cy][cx] |= DOT[dy % 4][dx % 2];
  };
  let prev: number | null = null;
  for (let dx = 0; dx < dotsX; dx++) {
    if (n === 1 && dx > 0) break;
    // the value at this column: linear between the two points around it
    const x = n === 1 ? 0 : (dx / (dotsX - 1)) * (n - 1);
    const i = Math.min(n - 1, Math.floor(x));
    const y = i + 1 < n ? ys[i] + (ys[i + 1] - ys[i]) * (x - i) : ys[i];
    const dy = Math.min(dotsY - 1, Math.max(0, Math.round(((hi - y) / (hi - lo)) * (dotsY - 1))));
    // join with the previous column so steep falls stay connected
    if (prev !== null) {
      const [a, b] = prev < dy ? [prev, dy] : [dy, prev];
      for (let k = a; k <= b; k++) plot(dx, k);
    } else plot(dx, dy);
    prev = dy;
  }
  const lines = cells.map((r) => r.map((m) => (m === 0 ? ' ' : String.fromCharCode(0x2800 + m))).join(''));
  return { lines, min: Math.min(...pts), max: Math.max(...pts) };
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** One row of block characters, one per value (the last `width`), tallest for the largest. */
export function sparkline(values: readonly number[], width: number, log?: boolean): string {
  const v = values.slice(-Math.max(1, width)).filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return '';
  const f = tf(log);
  const ys = v.map(f);
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  return ys.map((y) => BLOCKS[hi - lo < 1e-12 ? 3 : Math.round(((y - lo) / (hi - lo)) * (BLOCKS.length - 1))]).join('');
}

export function fmtNum(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
  return x.toFixed(digits);
}
