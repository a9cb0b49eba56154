// Opening a file for reading with loco's error mapping, closed again whatever happens.
import { closeSync, openSync } from 'node:fs';
import { fromFsError } from '../errors.js';

/** openSync(path, 'r'), with a failure as a LocoError naming `path` (notFound, permission denied, …). The caller closes the fd. */
export function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw fromFsError(e, path);
  }
}

/** Run `fn` on a read-only fd of `path` (opened as openForRead does) and close it afterwards, also when `fn` throws. */
export function withReadFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = openForRead(path);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}
