// Opening a store from its URL: `file:///abs/dir` (or a plain path) and
// `s3://bucket[/prefix][?endpoint=URL&region=R&path_style=0|1]`. Credentials never travel in the
// URL: they come from options or the environment (LOCO_S3_ACCESS_KEY_ID / LOCO_S3_SECRET_ACCESS_KEY,
// else the AWS SDK's usual chain: AWS_ACCESS_KEY_ID, profiles, …).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocoError } from '../errors.js';
import { FileStore } from './file.js';
import { S3Store } from './s3.js';
import type { ObjectStore } from './types.js';

export * from './types.js';
export { FileStore } from './file.js';
export { S3Store, type S3Options } from './s3.js';
export { mapLimit, withRetry } from './retry.js';

export interface OpenOptions {
  accessKeyId?: string;
  secretAccessKey?: string;
}

export function openStore(url: string, opts: OpenOptions = {}): ObjectStore {
  if (url.startsWith('file://')) return new FileStore(fileURLToPath(url));
  if (url.startsWith('s3://')) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new LocoError('usage', `invalid storage URL "${url}"`);
    }
    if (u.username || u.password) throw new LocoError('usage', 'storage URLs must not carry credentials; use the environment');
    const bucket = u.hostname;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new LocoError('usage', `invalid bucket name "${bucket}"`);
    const pathStyle = u.searchParams.get('path_style');
    return new S3Store({
      bucket,
      prefix: u.pathname.replace(/^\/+|\/+$/g, '') || undefined,
      endpoint: u.searchParams.get('endpoint') ?? undefined,
      region: u.searchParams.get('region') ?? undefined,
      forcePathStyle: pathStyle === null ? undefined : pathStyle !== '0',
      accessKeyId: opts.accessKeyId ?? process.env.LOCO_S3_ACCESS_KEY_ID,
      secretAccessKey: opts.secretAccessKey ?? process.env.LOCO_S3_SECRET_ACCESS_KEY,
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new LocoError('usage', `unsupported storage URL "${url}": use file://DIR or s3://bucket`);
  return new FileStore(resolve(url));
}
