// Publishing a run manifest (docs/protocol.md, "Publishing a run"): the subnet owner puts the
// manifest's exact bytes into a store as keys.manifest(runId) and sets a chain commitment naming its
// hash and the store; anyone resolves the commitment, fetches the object, and checks the hash.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { LocoError, fromFsError } from '../errors.js';
import { keys } from './naming.js';
import { parseManifest, verifyManifestHash, type LoadedManifest, type RunManifest } from './manifest.js';
import { openStore, type ObjectInfo, type ObjectStore } from '../storage/index.js';

/** The first commitment field of a run: this prefix, then the manifest's SHA-256 (64 hex digits). */
export const RUN_COMMITMENT_PREFIX = 'loco-run:v1:';

/** The largest manifest a reader fetches (a manifest is a few kB; a full model config adds little). */
export const MAX_MANIFEST_BYTES = 1 << 20;

/**
 * The commitment fields of a published run: [`loco-run:v1:<sha256 hex>`, `<store URL>`]. Two fields
 * keep each within Subtensor's 128-byte `Raw` data; the object key follows from the hash.
 */
export function runCommitmentFields(hashHex: string, storeUrl: string): [string, string] {
  if (!/^[0-9a-f]{64}$/.test(hashHex)) throw new LocoError('invalidInput', `manifest hash must be 64 lowercase hex digits (got ${hashHex})`);
  if (!/^(file|s3):\/\//.test(storeUrl)) throw new LocoError('usage', `the store must be a file:// or s3:// URL to be published (got ${storeUrl})`);
  if (Buffer.byteLength(storeUrl) > 128) throw new LocoError('usage', `store URL is ${Buffer.byteLength(storeUrl)} bytes; a commitment field holds at most 128`);
  return [`${RUN_COMMITMENT_PREFIX}${hashHex}`, storeUrl];
}

/** The run a commitment names (by its fields' texts), or null when it is not a run commitment. */
export function parseRunCommitment(fields: ReadonlyArray<{ text?: string }>): { hashHex: string; storeUrl: string } | null {
  const head = fields[0]?.text;
  if (!head?.startsWith(RUN_COMMITMENT_PREFIX)) return null;
  const hashHex = head.slice(RUN_COMMITMENT_PREFIX.length);
  const storeUrl = fields[1]?.text;
  if (!/^[0-9a-f]{64}$/.test(hashHex) || !storeUrl || !/^(file|s3):\/\//.test(storeUrl)) return null;
  return { hashHex, storeUrl };
}

/** Shard file names (in order) and the SHA-256 over their concatenated bytes: the manifest's `dataset`. */
export async function datasetHash(files: readonly string[], name: string): Promise<RunManifest['dataset']> {
  const h = createHash('sha256');
  for (const f of files) {
    try {
      for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
    } catch (e) {
      throw fromFsError(e, f);
    }
  }
  return { name, shards: files.map((f) => basename(f)), sha256: h.digest('hex') };
}

/** Put the manifest's exact bytes at keys.manifest(runId). */
export async function publishManifest(store: ObjectStore, loaded: LoadedManifest): Promise<{ key: string; info: ObjectInfo }> {
  const key = keys.manifest(loaded.runId);
  const info = await store.put(key, loaded.bytes);
  return { key, info };
}

/** Fetch a published manifest from a store and check it against the committed hash. */
export async function fetchManifest(storeUrl: string, hashHex: string): Promise<LoadedManifest> {
  const store = openStore(storeUrl);
  try {
    const key = keys.manifest(hashHex.slice(0, 16));
    const { data } = await store.get(key, { maxBytes: MAX_MANIFEST_BYTES });
    const loaded = parseManifest(data, `${storeUrl} ${key}`);
    verifyManifestHash(loaded, hashHex);
    return loaded;
  } finally {
    await store.close?.();
  }
}
