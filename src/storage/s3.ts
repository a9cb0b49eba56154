// S3-compatible backend (AWS S3, Cloudflare R2, MinIO, s3rver) through @aws-sdk/client-s3.
// Checksums are computed only when required: with the SDK's default, streamed uploads go out as
// aws-chunked bodies that some servers store with the chunk framing (silent corruption).
import type { S3Client as S3ClientT } from '@aws-sdk/client-s3';
import { LocoError } from '../errors.js';
import { withRetry } from './retry.js';
import { checkKey, tooLarge, type GetOptions, type ObjectInfo, type ObjectStore } from './types.js';

export interface S3Options {
  bucket: string;
  prefix?: string; // key prefix inside the bucket, without trailing '/'
  endpoint?: string; // e.g. https://<account>.r2.cloudflarestorage.com or http://127.0.0.1:4568
  region?: string; // default us-east-1 ('auto' for R2)
  forcePathStyle?: boolean; // default true when an endpoint is given
  accessKeyId?: string;
  secretAccessKey?: string;
  attempts?: number; // retries per operation (default 4)
  timeoutMs?: number; // per request (default 30 s)
}

const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'TimeoutError', 'RequestTimeout', 'SlowDown', 'InternalError', 'ServiceUnavailable', 'ThrottlingException']);

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function isRetryable(e: unknown): boolean {
  if (e instanceof LocoError) return false;
  const status = httpStatus(e);
  if (status !== undefined) return status >= 500 || status === 429;
  const code = (e as { code?: string; name?: string })?.code ?? (e as { name?: string })?.name;
  return code === undefined || RETRYABLE_CODES.has(code);
}

export class S3Store implements ObjectStore {
  readonly url: string;
  private client?: S3ClientT;
  private sdk?: typeof import('@aws-sdk/client-s3');

  constructor(private readonly opts: S3Options) {
    const q = new URLSearchParams();
    if (opts.endpoint) q.set('endpoint', opts.endpoint);
    if (opts.region) q.set('region', opts.region);
    this.url = `s3://${opts.bucket}${opts.prefix ? `/${opts.prefix}` : ''}${q.size ? `?${q}` : ''}`;
  }

  private async s3(): Promise<{ c: S3ClientT; sdk: typeof import('@aws-sdk/client-s3') }> {
    if (!this.client || !this.sdk) {
      // The SDK warns on Node < 22 about *future* releases; loco pins this release, so the warning
      // would only clutter stderr of every storage command.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      this.sdk = await import('@aws-sdk/client-s3');
      const o = this.opts;
      this.client = new this.sdk.S3Client({
        region: o.region ?? 'us-east-1',
        ...(o.endpoint ? { endpoint: o.endpoint } : {}),
        forcePathStyle: o.forcePathStyle ?? Boolean(o.endpoint),
        ...(o.accessKeyId && o.secretAccessKey ? { credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey } } : {}),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1, // retries are ours (withRetry), with one policy for every operation
        requestHandler: { connectionTimeout: 5000, requestTimeout: o.timeoutMs ?? 30_000 },
      });
    }
    return { c: this.client, sdk: this.sdk };
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.opts.prefix ? `${this.opts.prefix}/${key}` : key;
  }

  private retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, { attempts: this.opts.attempts ?? 4, isRetryable }).catch((e) => {
      throw e instanceof LocoError ? e : new LocoError('io', `${what} on ${this.url}: ${(e as Error).message || (e as { name?: string }).name}`, { status: httpStatus(e) });
    });
  }

  async put(key: string, data: Uint8Array): Promise<ObjectInfo> {
    const { c, sdk } = await this.s3();
    const Key = this.objectKey(key);
    await this.retry(`put ${key}`, () => c.send(new sdk.PutObjectCommand({ Bucket: this.opts.bucket, Key, Body: data, ContentLength: data.byteLength })));
    // Some servers answer the PUT before the bytes can be read back (s3rver resolves before its
    // file stream has flushed; some S3-compatible stores are eventually consistent): look again,
    // for up to about 1.5 s, before calling the upload short.
    let info = await this.head(key);
    for (let waitMs = 50; info?.size !== data.byteLength && waitMs <= 800; waitMs *= 2) {
      await new Promise((r) => setTimeout(r, waitMs));
      info = await this.head(key);
    }
    if (!info) throw new LocoError('io', `put ${key} on ${this.url}: the object is not there after the upload`);
    if (info.size !== data.byteLength) throw new LocoError('io', `put ${key} on ${this.url}: stored ${info.size} bytes, sent ${data.byteLength}`);
    return info;
  }

  async get(key: string, opts: GetOptions = {}): Promise<{ data: Uint8Array; info: ObjectInfo }> {
    const { c, sdk } = await this.s3();
    const Key = this.objectKey(key);
    return this.retry(`get ${key}`, async () => {
      let res;
      try {
        res = await c.send(new sdk.GetObjectCommand({ Bucket: this.opts.bucket, Key }));
      } catch (e) {
        if (httpStatus(e) === 404 || (e as { name?: string }).name === 'NoSuchKey') throw new LocoError('notFound', `object ${key} not found in ${this.url}`, { key });
        throw e;
      }
      const body = res.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
      const declared = res.ContentLength ?? 0;
      if (opts.maxBytes !== undefined && declared > opts.maxBytes) {
        body?.destroy?.();
        throw tooLarge(key, declared, opts.maxBytes);
      }
      const chunks: Uint8Array[] = [];
      let n = 0;
      if (body) {
        for await (const chunk of body) {
          n += chunk.byteLength;
          if (opts.maxBytes !== undefined && n > opts.maxBytes) {
            body.destroy?.();
            throw tooLarge(key, n, opts.maxBytes); // the server's length was wrong: stop reading
          }
          chunks.push(chunk);
        }
      }
      if (res.ContentLength !== undefined && n !== res.ContentLength) {
        throw new LocoError('io', `get ${key}: received ${n} of ${res.ContentLength} bytes`);
      }
      const data = new Uint8Array(n);
      let off = 0;
      for (const ch of chunks) {
        data.set(ch, off);
        off += ch.byteLength;
      }
      return { data, info: { key, size: n, lastModified: res.LastModified ?? new Date(0) } };
    });
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const { c, sdk } = await this.s3();
    const Key = this.objectKey(key);
    return this.retry(`head ${key}`, async () => {
      try {
        const r = await c.send(new sdk.HeadObjectCommand({ Bucket: this.opts.bucket, Key }));
        return { key, size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
      } catch (e) {
        if (httpStatus(e) === 404 || (e as { name?: string }).name === 'NotFound') return null;
        throw e;
      }
    });
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const { c, sdk } = await this.s3();
    const base = this.opts.prefix ? `${this.opts.prefix}/` : '';
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.retry(`list ${prefix}`, () =>
        c.send(new sdk.ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: base + prefix, ContinuationToken: token })),
      );
      for (const o of r.Contents ?? []) {
        if (!o.Key) continue;
        out.push({ key: o.Key.slice(base.length), size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const { c, sdk } = await this.s3();
    const Key = this.objectKey(key);
    await this.retry(`delete ${key}`, () => c.send(new sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key })));
  }

  /** Create the bucket if it does not exist (tests, local set-ups). */
  async ensureBucket(): Promise<void> {
    const { c, sdk } = await this.s3();
    try {
      await c.send(new sdk.HeadBucketCommand({ Bucket: this.opts.bucket }));
    } catch {
      await this.retry(`create bucket ${this.opts.bucket}`, () => c.send(new sdk.CreateBucketCommand({ Bucket: this.opts.bucket })));
    }
  }

  async close(): Promise<void> {
    this.client?.destroy();
  }
}
