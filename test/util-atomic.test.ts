// The shared file primitives: atomic writes (whole buffer or piece by piece), the read fd helper,
// and the --peers file reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from './helpers.js';
import { LocoError } from '../src/errors.js';
import { writeFileAtomic, writeFileAtomicWith } from '../src/util/atomic.js';
import { openForRead, withReadFd } from '../src/util/read-fd.js';
import { readPeersFile } from '../src/miner/window.js';
import { keypairFromSeed } from '../src/wallet/keypair.js';

test('writeFileAtomic creates missing folders, sets the mode, replaces the target and leaves no temp file', () => {
  const dir = tempDir();
  const path = join(dir, 'a', 'b', 'key.json');
  writeFileAtomic(path, 'first', { mode: 0o600 });
  assert.equal(readFileSync(path, 'utf8'), 'first');
  if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
  writeFileAtomic(path, new Uint8Array([104, 105]));
  assert.equal(readFileSync(path, 'utf8'), 'hi');
  assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['key.json']);
});

test('writeFileAtomicWith writes the pieces in order; an error keeps the old file and removes the temp', () => {
  const dir = tempDir();
  const path = join(dir, 'f.bin');
  writeFileAtomicWith(path, (write) => {
    write(new Uint8Array([1, 2]));
    write(new Uint8Array(0));
    write(new Uint8Array([3]));
  });
  assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
  // a LocoError from the writer passes through unchanged
  const mine = new LocoError('invalidInput', 'writer gave up');
  assert.throws(
    () =>
      writeFileAtomicWith(path, (write) => {
        write(new Uint8Array([9, 9, 9, 9]));
        throw mine;
      }),
    (e) => e === mine,
  );
  // any other error becomes a LocoError naming the target
  assert.throws(
    () =>
      writeFileAtomicWith(path, () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      }),
    (e) => e instanceof LocoError && e.message === `${path}: no space left on device`,
  );
  assert.deepEqual([...readFileSync(path)], [1, 2, 3]);
  assert.deepEqual(readdirSync(dir), ['f.bin']);
  // a target that is a folder: the rename fails, mapped with the path
  mkdirSync(join(dir, 'sub'));
  assert.throws(() => writeFileAtomic(join(dir, 'sub'), 'x'), (e) => e instanceof LocoError && e.message.startsWith(`${join(dir, 'sub')}: `));
  assert.deepEqual(readdirSync(dir).sort(), ['f.bin', 'sub']);
});

test('withReadFd maps a missing file to notFound, hands fn the fd and returns its result', () => {
  const dir = tempDir();
  const missing = join(dir, 'nope');
  assert.throws(() => withReadFd(missing, () => 1), (e) => e instanceof LocoError && e.kind === 'notFound' && e.message === `${missing}: not found`);
  assert.throws(() => openForRead(missing), (e) => e instanceof LocoError && e.kind === 'notFound');
  const path = join(dir, 'x');
  writeFileSync(path, 'abc');
  assert.equal(withReadFd(path, (fd) => statSync(path).size + fd * 0), 3);
  let seen = -1;
  assert.throws(() =>
    withReadFd(path, (fd) => {
      seen = fd;
      throw new Error('boom');
    }),
  );
  // the fd was closed: reading from it fails
  assert.ok(seen >= 0);
  assert.throws(() => readFileSync(seen), /EBADF/);
});

test('readPeersFile: a JSON list of {uid, hotkey, store}; the same messages as before for bad files', async () => {
  const dir = tempDir();
  const kp = await keypairFromSeed(new Uint8Array(32).fill(7));
  const store = pathToFileURL(join(dir, 'store')).href;
  const good = join(dir, 'peers.json');
  writeFileSync(good, JSON.stringify([{ uid: 3, hotkey: kp.ss58Address, store }, { uid: 1, hotkey: kp.ss58Address, store }]));
  const peers = await readPeersFile(good);
  assert.deepEqual(peers.map((p) => p.uid), [1, 3]);
  assert.equal(peers[0]!.ss58, kp.ss58Address);

  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{nope');
  await assert.rejects(readPeersFile(notJson), (e) => e instanceof LocoError && e.kind === 'invalidInput' && e.message.startsWith(`${notJson}: not a JSON list of {uid, hotkey, store} (`));
  const notList = join(dir, 'obj.json');
  writeFileSync(notList, '{"uid": 1}');
  await assert.rejects(readPeersFile(notList), (e) => e instanceof LocoError && e.message === `${notList}: not a JSON list of {uid, hotkey, store}`);
  const missing = join(dir, 'missing.json');
  await assert.rejects(readPeersFile(missing), (e) => e instanceof LocoError && e.kind === 'invalidInput' && e.message.startsWith(`${missing}: not a JSON list of {uid, hotkey, store} (ENOENT`));
  const twice = join(dir, 'twice.json');
  writeFileSync(twice, JSON.stringify([{ uid: 1, hotkey: kp.ss58Address, store }, { uid: 1, hotkey: kp.ss58Address, store }]));
  await assert.rejects(readPeersFile(twice), (e) => e instanceof LocoError && e.message === 'peer list: uid 1 appears twice');
});
