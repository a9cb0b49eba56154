// file://DIR backend: one file per object under DIR, written atomically (temp + fsync + rename),
// so a reader never sees half an object and a crash never leaves one.
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocoError, fromFsError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { checkKey, tooLarge, type GetOptions, type ObjectInfo, type ObjectStore } from './types.js';

export class FileStore implements ObjectStore {
  readonly url: string;

  constructor(readonly dir: string) {
    this.url = pathToFileURL(dir).href;
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.dir, ...key.split('/'));
  }

  private info(key: string, path: string): ObjectInfo {
    const st = statSync(path);
    return { key, size: st.size, lastModified: st.mtime };
  }

  async put(key: string, data: Uint8Array): Promise<ObjectInfo> {
    const p = this.path(key);
    writeFileAtomic(p, data);
    return this.info(key, p);
  }

  async get(key: string, opts: GetOptions = {}): Promise<{ data: Uint8Array; info: ObjectInfo }> {
    const p = this.path(key);
    if (!existsSync(p)) throw new LocoError('notFound', `object ${key} not found in ${this.url}`, { key });
    try {
      const info = this.info(key, p);
      if (opts.maxBytes !== undefined && info.size > opts.maxBytes) throw tooLarge(key, info.size, opts.maxBytes);
      return { data: new Uint8Array(readFileSync(p)), info };
    } catch (e) {
      if (e instanceof LocoError) throw e;
      throw fromFsError(e, `object ${key}`);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const p = this.path(key);
    if (!existsSync(p) || !statSync(p).isFile()) return null;
    return this.info(key, p);
  }

  async list(prefix = ''): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    if (!existsSync(this.dir)) return out;
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name.startsWith('.')) continue; // temp files of in-flight atomic writes
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const key = relative(this.dir, p).split(sep).join('/');
          if (key.startsWith(prefix)) out.push(this.info(key, p));
        }
      }
    };
    walk(this.dir);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }
}
