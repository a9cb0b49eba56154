// Atomic file writes: write a temp file in the same directory, fsync, then rename over the
// target. A crash or a full disk leaves either the old file or the new one, never half of one.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LocoError, fromFsError } from '../errors.js';

export interface AtomicWriteOptions {
  mode?: number; // file mode, e.g. 0o600 for keys
}

export function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeFileAtomicWith(path, (write) => write(bytes), opts);
}

/**
 * The atomic write with the content produced by `fill`, which calls `write` as often as it likes
 * (each call writes all of its bytes, in order): for files built piece by piece, too big for one
 * buffer. A LocoError thrown by `fill` passes through unchanged; file-system errors become
 * LocoErrors naming `path`. The temp file is removed on any error.
 */
export function writeFileAtomicWith(path: string, fill: (write: (bytes: Uint8Array) => void) => void, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    try {
      fill((bytes) => {
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      });
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e instanceof LocoError ? e : fromFsError(e, path);
  }
  fsyncDir(dir);
}

/** Make a rename inside `dir` durable. Some file systems refuse fsync on directories: then the data itself is already synced and this is a no-op. */
export function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* not supported here */
  }
}
