// One interface over object storage: where miners put their payloads and validators read them.
// `lastModified` is the store's own clock (S3's LastModified, a file's mtime): the window protocol
// uses it to decide whether an upload came in time, so it must come from the store, not the writer.
import { LocoError } from '../errors.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

export interface GetOptions {
  /** Refuse objects larger than this (hostile peers); checked before the body is read. */
  maxBytes?: number;
}

export interface ObjectStore {
  /** A URL naming the store (`file:///dir`, `s3://bucket/prefix?endpoint=…`), without credentials. */
  readonly url: string;
  put(key: string, data: Uint8Array): Promise<ObjectInfo>;
  get(key: string, opts?: GetOptions): Promise<{ data: Uint8Array; info: ObjectInfo }>;
  /** null when the object does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix?: string): Promise<ObjectInfo[]>;
  /** Deleting a missing object is not an error. */
  delete(key: string): Promise<void>;
  close?(): Promise<void>;
}

const KEY_RE = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Keys are relative paths of safe characters: no `..`, no leading `/`, no empty segments. */
export function checkKey(key: string): void {
  if (key.length === 0 || key.length > 512 || !KEY_RE.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new LocoError('invalidInput', `invalid object key "${key}": use letters, digits, '.', '_', '-' and '/' separators`);
  }
}

export function tooLarge(key: string, size: number, maxBytes: number): LocoError {
  return new LocoError('invalidInput', `object ${key} is ${size} bytes, more than the allowed ${maxBytes}`, { key, size, maxBytes });
}
