// Object storage: the file backend, and the S3 backend against a real S3 protocol server (s3rver)
// on loopback, started and stopped by the test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import http from 'node:http';
import S3rver from 's3rver';
import { tempDir } from './helpers.js';
import { FileStore, S3Store, mapLimit, openStore, type ObjectStore } from '../src/storage/index.js';

let server: S3rver;
let endpoint: string;

before(async () => {
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('s3rver-') });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
});
after(async () => {
  await server?.close();
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function contract(store: ObjectStore) {
  const a = randomBytes(1000);
  const before = Date.now();
  const put = await store.put('w/1/a.bin', a);
  assert.equal(put.size, 1000);
  assert.ok(Math.abs(put.lastModified.getTime() - before) < 5000, 'lastModified comes from the store clock, near now');
  await store.put('w/1/b.bin', new Uint8Array(0));
  await store.put('w/2/c.bin', Buffer.from('c'));
  const got = await store.get('w/1/a.bin');
  assert.equal(sha(got.data), sha(a));
  assert.equal((await store.head('w/1/a.bin'))?.size, 1000);
  assert.equal(await store.head('w/1/missing'), null);
  assert.deepEqual((await store.list('w/1/')).map((o) => [o.key, o.size]), [['w/1/a.bin', 1000], ['w/1/b.bin', 0]]);
  assert.equal((await store.list()).length, 3);
  await assert.rejects(store.get('w/9/none'), (e: Error & { kind?: string }) => e.kind === 'notFound');
  await assert.rejects(store.get('w/1/a.bin', { maxBytes: 999 }), (e: Error & { kind?: string }) => e.kind === 'invalidInput' && /more than the allowed 999/.test(e.message));
  await assert.rejects(store.put('../escape', a), /invalid object key/);
  await assert.rejects(store.put('/abs', a), /invalid object key/);
  await store.delete('w/1/a.bin');
  await store.delete('w/1/a.bin'); // idempotent
  assert.equal(await store.head('w/1/a.bin'), null);
}

test('file backend: the storage contract, atomic writes leave no temp files', async () => {
  const dir = tempDir();
  await contract(new FileStore(dir));
  assert.deepEqual(readdirSync(`${dir}/w/1`), ['b.bin']);
});

test('S3 backend against s3rver: the same contract, prefix isolation', async () => {
  const store = new S3Store({ bucket: 'loco-test', prefix: 'miner-3', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  await store.ensureBucket();
  await contract(store);
  const other = new S3Store({ bucket: 'loco-test', prefix: 'miner-4', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  assert.deepEqual(await other.list(), []);
  await store.close();
  await other.close();
});

test('S3 backend: 20 MB objects round-trip byte-exact, 8 at a time with bounded concurrency', async () => {
  const store = openStore(`s3://loco-big?endpoint=${encodeURIComponent(endpoint)}`, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }) as S3Store;
  await store.ensureBucket();
  const big = randomBytes(20 * 1024 * 1024);
  const info = await store.put('big.bin', big);
  assert.equal(info.size, big.length);
  assert.equal(sha((await store.get('big.bin')).data), sha(big));
  let inFlight = 0;
  let peak = 0;
  const blobs = Array.from({ length: 8 }, (_, i) => randomBytes(100_000 + i));
  await mapLimit(blobs, 3, async (b, i) => {
    peak = Math.max(peak, ++inFlight);
    await store.put(`p/${i}`, b);
    inFlight--;
  });
  assert.ok(peak <= 3);
  const back = await mapLimit(blobs, 3, async (_, i) => (await store.get(`p/${i}`)).data);
  back.forEach((d, i) => assert.equal(sha(d), sha(blobs[i])));
  await store.close();
});

test('S3 backend: an unreachable endpoint fails after bounded retries with a clear error', async () => {
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const store = new S3Store({ bucket: 'nope', endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'x', secretAccessKey: 'y', attempts: 3 });
  const t0 = Date.now();
  await assert.rejects(store.put('k', Buffer.from('v')), (e: Error & { kind?: string }) => e.kind === 'io' && /put k on s3:\/\/nope/.test(e.message));
  assert.ok(Date.now() - t0 < 10_000);
  await store.close();
});

/** An HTTP proxy in front of s3rver whose first `staleHeads` HEADs of each object report 0 bytes:
 *  a server that acknowledges a PUT before the bytes can be read back. */
async function laggingProxy(target: string, staleHeads: number): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const heads = new Map<string, number>();
  const srv = http.createServer((req, res) => {
    const up = http.request(target + req.url, { method: req.method, headers: req.headers }, (answer) => {
      const headers = { ...answer.headers };
      if (req.method === 'HEAD' && answer.statusCode === 200) {
        const n = heads.get(req.url ?? '') ?? 0;
        heads.set(req.url ?? '', n + 1);
        if (n < staleHeads) headers['content-length'] = '0';
      }
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      srv.close(() => r());
      srv.closeAllConnections(); // the SDK keeps connections alive
    }),
  };
}

test('S3 backend: a put whose bytes show up late is looked at again; one that never shows up fails clearly', async () => {
  const data = randomBytes(8211);
  const late = await laggingProxy(endpoint, 2);
  const ok = new S3Store({ bucket: 'lag', endpoint: late.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  try {
    await ok.ensureBucket();
    assert.equal((await ok.put('w/1/late.bin', data)).size, 8211);
    assert.equal(sha((await ok.get('w/1/late.bin')).data), sha(data));
  } finally {
    await ok.close();
    await late.close();
  }

  const never = await laggingProxy(endpoint, Infinity);
  const short = new S3Store({ bucket: 'lag', endpoint: never.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
  try {
    const t0 = Date.now();
    await assert.rejects(short.put('w/1/short.bin', data), (e: Error & { kind?: string }) => e.kind === 'io' && /put w\/1\/short.bin on s3:\/\/lag.*: stored 0 bytes, sent 8211/.test(e.message));
    assert.ok(Date.now() - t0 < 10_000, 'the look-again is bounded');
  } finally {
    await short.close();
    await never.close();
  }
});

test('store URLs: file://, plain paths, s3:// with prefix and endpoint; credentials refused in the URL', () => {
  assert.ok(openStore('file:///tmp/x') instanceof FileStore);
  assert.ok(openStore('./relative') instanceof FileStore);
  const s3 = openStore('s3://bucket-a/some/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=auto');
  assert.equal(s3.url, 's3://bucket-a/some/prefix?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=auto');
  assert.throws(() => openStore('s3://key:secret@bucket-a'), /must not carry credentials/);
  assert.throws(() => openStore('gs://bucket'), /unsupported storage URL/);
});
