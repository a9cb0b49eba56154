// Bit packing for the payload (docs/payload-format.md): LSB-first within each byte, sections padded
// with zero bits to a whole byte. Index coding: fixed-width ("plain") or Rice codes of the gaps
// between a chunk's sorted indices.

export class BitWriter {
  private buf: Uint8Array;
  private len = 0;
  private acc = 0;
  private nacc = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  private grow(): void {
    const b = new Uint8Array(this.buf.length * 2);
    b.set(this.buf);
    this.buf = b;
  }

  /** Append the low `n` bits of v (n ≤ 24). */
  write(v: number, n: number): void {
    this.acc |= (v & ((1 << n) - 1)) << this.nacc;
    this.nacc += n;
    while (this.nacc >= 8) {
      if (this.len === this.buf.length) this.grow();
      this.buf[this.len++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.nacc -= 8;
    }
  }

  /** q one-bits then a zero bit. */
  unary(q: number): void {
    while (q >= 24) {
      this.write(0xffffff, 24);
      q -= 24;
    }
    this.write((1 << q) - 1, q + 1);
  }

  /** Pad to a byte with zero bits and return the bytes. */
  finish(): Uint8Array {
    if (this.nacc > 0) this.write(0, 8 - this.nacc);
    return this.buf.subarray(0, this.len);
  }
}

/** Reads bits from buf[start, end); reading past the end yields an error flag, never an exception. */
export class BitReader {
  private pos: number;
  private acc = 0;
  private nacc = 0;
  overrun = false;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  private fill(): void {
    while (this.nacc <= 16 && this.pos < this.end) {
      this.acc |= this.buf[this.pos++] << this.nacc;
      this.nacc += 8;
    }
  }

  /** n ≤ 16 bits. */
  read(n: number): number {
    if (n === 0) return 0;
    if (this.nacc < n) this.fill();
    if (this.nacc < n) {
      this.overrun = true;
      return 0;
    }
    const v = this.acc & ((1 << n) - 1);
    this.acc >>>= n;
    this.nacc -= n;
    return v;
  }

  /** Count one-bits up to the first zero; stops early once more than `max` ones were seen. */
  unary(max: number): number {
    let q = 0;
    for (;;) {
      if (this.nacc === 0) {
        this.fill();
        if (this.nacc === 0) {
          this.overrun = true;
          return q;
        }
      }
      const zeros = ~this.acc & ((1 << this.nacc) - 1); // zero bits among the valid ones
      if (zeros === 0) {
        q += this.nacc;
        this.acc = 0;
        this.nacc = 0;
        if (q > max) return q;
        continue;
      }
      const tz = 31 - Math.clz32(zeros & -zeros); // ones before the first zero
      q += tz;
      this.acc >>>= tz + 1;
      this.nacc -= tz + 1;
      return q;
    }
  }

  /** Bits left in the window plus unread bytes. */
  bitsLeft(): number {
    return this.nacc + (this.end - this.pos) * 8;
  }

  /** True when every bit not yet consumed is zero (canonical padding). */
  restIsZero(): boolean {
    if (this.acc !== 0) return false;
    for (let i = this.pos; i < this.end; i++) if (this.buf[i] !== 0) return false;
    return true;
  }
}

/** Bits to hold any local index < len (0 when len = 1). */
export function indexWidth(len: number): number {
  let b = 0;
  while (1 << b < len) b++;
  return b;
}

/** Rice-coded bits for gaps with parameter r, and the best r in 0…maxR (ties: smaller r). */
export function bestRice(indices: Uint16Array, k: number, maxR: number): { r: number; bits: number } {
  const n = indices.length;
  const sums = new Float64Array(maxR + 1);
  for (let ch = 0; ch < n; ch += k) {
    let prev = -1;
    for (let j = ch; j < ch + k; j++) {
      const g = indices[j] - prev - 1;
      prev = indices[j];
      for (let r = 0; r <= maxR; r++) sums[r] += g >>> r;
    }
  }
  let best = 0;
  let bestBits = Infinity;
  for (let r = 0; r <= maxR; r++) {
    const bits = sums[r] + n * (r + 1);
    if (bits < bestBits) {
      bestBits = bits;
      best = r;
    }
  }
  return { r: best, bits: bestBits };
}

export function packIndicesRice(indices: Uint16Array, k: number, r: number): Uint8Array {
  const w = new BitWriter(Math.ceil((indices.length * (r + 2)) / 8) + 16);
  const mask = (1 << r) - 1;
  for (let ch = 0; ch < indices.length; ch += k) {
    let prev = -1;
    for (let j = ch; j < ch + k; j++) {
      const g = indices[j] - prev - 1;
      prev = indices[j];
      w.unary(g >>> r);
      if (r) w.write(g & mask, r);
    }
  }
  return w.finish();
}

export function packIndicesPlain(indices: Uint16Array, width: number): Uint8Array {
  const w = new BitWriter(Math.ceil((indices.length * width) / 8) + 16);
  if (width > 0) for (let j = 0; j < indices.length; j++) w.write(indices[j], width);
  return w.finish();
}

/** 2-bit codes, four per byte, the first in the lowest bits. */
export function packCodes(codes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 4));
  for (let j = 0; j < codes.length; j++) out[j >> 2] |= (codes[j] & 3) << ((j & 3) * 2);
  return out;
}

export function unpackCodes(buf: Uint8Array, start: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let j = 0; j < n; j++) out[j] = (buf[start + (j >> 2)] >> ((j & 3) * 2)) & 3;
  return out;
}
