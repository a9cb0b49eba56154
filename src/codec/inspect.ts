// `loco payload inspect`: decode and verify one payload file, summarise header and sizes.
import { readFileSync, statSync } from 'node:fs';
import { fromFsError, LocoError } from '../errors.js';
import { crypto } from '../wallet/keypair.js';
import { expectationsFrom, readCodecManifest } from './manifest.js';
import { decodePayload, peekHeader, PayloadRejection, SIGNATURE_BYTES, type DecodeOptions, type DecodedPayload, type PayloadHeader } from './payload.js';

export interface InspectOptions {
  manifest?: string;
  window?: number;
  uid?: number;
  /** SS58 address or 0x public key the payload must be signed by */
  signer?: string;
  /** refuse files larger than this without a manifest (default 4 GiB − 1) */
  maxBytes?: number;
}

export interface HeaderSummary {
  version: number;
  manifestHash: string;
  window: number;
  uid: number;
  hotkey: string;
  ss58: string;
  tensors: number;
  headerBytes: number;
}

export interface InspectReport {
  file: string;
  valid: true;
  header: HeaderSummary;
  sizes: {
    total: number;
    header: number;
    indices: number;
    codes: number;
    signature: number;
    denseFp32: number;
    ratio: number;
    values: number;
    kept: number;
    bitsPerIndex: number;
    bitsPerKept: number;
  };
  checked: { manifest: boolean; window: boolean; uid: boolean; signer: boolean; signature: boolean };
  tensors: {
    name: string;
    shape: number[];
    chunk: [number, number];
    k: number;
    coding: string;
    rice: number;
    shift: number;
    sigma: number;
    lut: number[];
    indexBytes: number;
    codeBytes: number;
  }[];
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

export async function summariseHeader(h: PayloadHeader): Promise<HeaderSummary> {
  const { encodeAddress } = await crypto();
  return {
    version: h.version,
    manifestHash: hex(h.manifestHash),
    window: h.window,
    uid: h.uid,
    hotkey: hex(h.hotkey),
    ss58: encodeAddress(h.hotkey, 42),
    tensors: h.tensorCount,
    headerBytes: h.headerBytes,
  };
}

async function signerKey(s: string): Promise<Uint8Array> {
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) return new Uint8Array(Buffer.from(s.slice(2), 'hex'));
  const { decodeAddress } = await crypto();
  try {
    return decodeAddress(s);
  } catch (e) {
    throw new LocoError('usage', `--signer: not an SS58 address or 0x public key: ${(e as Error).message}`);
  }
}

export function report(file: string, p: DecodedPayload, header: HeaderSummary, checked: InspectReport['checked']): InspectReport {
  let values = 0;
  let kept = 0;
  let sparseKept = 0;
  for (const t of p.tensors) {
    values += t.layout.numel;
    kept += t.layout.nChunks * t.layout.k;
    if (t.coding !== 'dense') sparseKept += t.layout.nChunks * t.layout.k;
  }
  return {
    file,
    valid: true,
    header,
    sizes: {
      ...p.sizes,
      ratio: p.sizes.denseFp32 / p.sizes.total,
      values,
      kept,
      bitsPerIndex: sparseKept ? (8 * p.sizes.indices) / sparseKept : 0,
      bitsPerKept: kept ? (8 * p.sizes.total) / kept : 0,
    },
    checked,
    tensors: p.tensors.map((t) => ({
      name: t.name,
      shape: t.shape,
      chunk: [t.layout.c1, t.layout.c2],
      k: t.layout.k,
      coding: t.coding,
      rice: t.rice,
      shift: t.shift,
      sigma: t.sigma,
      lut: [...t.lut],
      indexBytes: t.indexBytes,
      codeBytes: t.codeBytes,
    })),
  };
}

/** Decode + verify; throws PayloadRejection (details: reason, header when it parses) on refusal. */
export async function inspectPayloadFile(file: string, o: InspectOptions = {}): Promise<InspectReport> {
  const opts: DecodeOptions = o.manifest ? expectationsFrom(readCodecManifest(o.manifest)) : { maxBytes: o.maxBytes };
  opts.expect = { ...(opts.expect ?? {}) };
  if (o.window !== undefined) opts.expect.window = o.window;
  if (o.uid !== undefined) opts.expect.uid = o.uid;
  if (o.signer !== undefined) opts.expect.hotkey = await signerKey(o.signer);
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw fromFsError(e, file);
  }
  const limit = opts.maxBytes ?? 2 ** 32 - 1;
  if (size > limit) throw new PayloadRejection('too_large', `${file} is ${size} bytes, over the limit of ${limit}`);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw fromFsError(e, file);
  }
  try {
    const p = await decodePayload(buf, opts);
    const header = await summariseHeader(p.header);
    return report(file, p, header, {
      manifest: Boolean(o.manifest),
      window: o.window !== undefined,
      uid: o.uid !== undefined,
      signer: o.signer !== undefined,
      signature: p.signatureVerified,
    });
  } catch (e) {
    if (e instanceof PayloadRejection) {
      const h = peekHeader(buf);
      const details: Record<string, unknown> = { reason: e.reason, file, bytes: buf.length };
      if (h) details.header = await summariseHeader(h);
      throw Object.assign(new PayloadRejection(e.reason, e.message.replace(/^payload rejected \([a-z_]+\): /, '')), { details });
    }
    throw e;
  }
}

export function humanReport(r: InspectReport): string[] {
  const h = r.header;
  const s = r.sizes;
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `payload    ${r.file}`,
    `format     version ${h.version}, ${n(s.total)} bytes`,
    `manifest   ${h.manifestHash}`,
    `window     ${h.window}    uid ${h.uid}`,
    `hotkey     ${h.ss58} (${h.hotkey})`,
    `tensors    ${h.tensors}: ${n(s.values)} values, ${n(s.kept)} kept (${((100 * s.kept) / Math.max(1, s.values)).toFixed(2)}%)`,
    `sizes      header ${n(s.header)} B · indices ${n(s.indices)} B (${s.bitsPerIndex.toFixed(2)} bits/index) · codes ${n(s.codes)} B · signature ${SIGNATURE_BYTES} B`,
    `ratio      ${s.ratio.toFixed(1)}× smaller than dense fp32 (${n(s.denseFp32)} bytes)`,
    `checks     ${Object.entries(r.checked)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .join(', ') || 'structure only'}`,
    'valid',
  ];
  return lines;
}
