// A minimal WebSocket server (RFC 6455) on node:http: text frames, fragmentation, ping/pong,
// close. Enough for JSON-RPC clients such as @polkadot/api's WsProvider, with no dependency.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 64 * 1024 * 1024;

export class WsConnection {
  private buf: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragOpcode = 0;
  closed = false;
  onMessage: (text: string) => void = () => {};
  onClose: () => void = () => {};

  constructor(private readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  send(text: string): void {
    if (this.closed) return;
    this.writeFrame(0x1, Buffer.from(text, 'utf8'));
  }

  close(code = 1000, destroy = false): void {
    if (this.closed) {
      if (destroy) this.socket.destroy();
      return;
    }
    const b = Buffer.alloc(2);
    b.writeUInt16BE(code);
    this.writeFrame(0x8, b);
    this.socket.end();
    if (destroy) this.socket.destroy();
    this.finish();
  }

  private writeFrame(opcode: number, payload: Buffer): void {
    const len = payload.length;
    let head: Buffer;
    if (len < 126) {
      head = Buffer.from([0x80 | opcode, len]);
    } else if (len < 65536) {
      head = Buffer.alloc(4);
      head[0] = 0x80 | opcode;
      head[1] = 126;
      head.writeUInt16BE(len, 2);
    } else {
      head = Buffer.alloc(10);
      head[0] = 0x80 | opcode;
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(len), 2);
    }
    this.socket.write(Buffer.concat([head, payload]));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      const masked = (b1 & 0x80) !== 0;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) return this.close(1009);
        len = Number(big);
        off = 10;
      }
      const maskOff = off;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      let payload = this.buf.subarray(off, off + len);
      if (masked) {
        const mask = this.buf.subarray(maskOff, maskOff + 4);
        const out = Buffer.allocUnsafe(len);
        for (let i = 0; i < len; i++) out[i] = payload[i]! ^ mask[i & 3]!;
        payload = out;
      } else {
        payload = Buffer.from(payload);
      }
      this.buf = this.buf.subarray(off + len);
      if (opcode === 0x8) return this.close();
      if (opcode === 0x9) {
        this.writeFrame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      if (opcode === 0x0) {
        this.fragments.push(payload);
      } else {
        this.fragOpcode = opcode;
        this.fragments = [payload];
      }
      if (this.fragments.reduce((a, b) => a + b.length, 0) > MAX_MESSAGE) return this.close(1009);
      if (fin) {
        const msg = Buffer.concat(this.fragments);
        this.fragments = [];
        if (this.fragOpcode === 0x1 || this.fragOpcode === 0x2) this.onMessage(msg.toString('utf8'));
      }
    }
  }
}

export interface WsServer {
  server: Server;
  close(): Promise<void>;
}

export function createWsServer(
  onConnection: (c: WsConnection) => void,
  onHttp?: (req: IncomingMessage, body: string) => Promise<string>,
): WsServer {
  const conns = new Set<WsConnection>();
  const sockets = new Set<Duplex>();
  const server = createServer((req, res) => {
    // Plain HTTP JSON-RPC (POST), as a Substrate node also serves on the same port.
    if (req.method !== 'POST' || !onHttp) {
      res.writeHead(405, { 'content-type': 'text/plain' }).end('Used HTTP Method is not allowed. POST or OPTIONS is required\n');
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      onHttp(req, body).then(
        (out) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(out),
        () => res.writeHead(500).end(),
      );
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    (socket as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
    const c = new WsConnection(socket);
    conns.add(c);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(c);
    const prev = c.onClose;
    c.onClose = () => {
      conns.delete(c);
      prev();
    };
  });
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.close(1001, true);
        for (const so of sockets) so.destroy();
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
