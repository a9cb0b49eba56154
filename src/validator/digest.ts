// A fingerprint of what a validator scored: SHA-256 over a decoded payload's content (header fields
// and every tensor's indices, codes and quantiser). The validator publishes one per accepted payload
// with its scores, so `loco audit` can tell "the stored payload is not the one that was scored"
// apart from "the same payload scores differently" (docs/audit.md).
import { createHash } from 'node:crypto';
import type { DecodedPayload } from '../codec/payload.js';

export const PAYLOAD_DIGEST_DOMAIN = 'loco/payload-content/v1';

export function payloadDigest(p: DecodedPayload): string {
  const h = createHash('sha256');
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    h.update(b);
  };
  const f32 = (x: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    h.update(b);
  };
  h.update(PAYLOAD_DIGEST_DOMAIN);
  h.update(p.header.manifestHash);
  u32(p.header.window);
  u32(p.header.uid);
  h.update(p.header.hotkey);
  u32(p.tensors.length);
  for (const t of p.tensors) {
    h.update(t.name);
    u32(t.shape.length);
    for (const d of t.shape) u32(d);
    u32(t.indices.length);
    h.update(new Uint8Array(t.indices.buffer, t.indices.byteOffset, t.indices.byteLength));
    h.update(t.codes);
    f32(t.shift);
    for (let i = 0; i < t.lut.length; i++) f32(t.lut[i]);
  }
  return h.digest('hex');
}
