// A minimal WebSocket client (RFC 6455) for tests: Node 20 has no global WebSocket.
//   const ws = await wsConnect('ws://127.0.0.1:PORT/ws', {headers: {cookie}});
//   ws.send('hi'); const msg = await ws.next(); ws.close();
// Rejects with {status, headers} when the server answers the upgrade with non-101.
import * as crypto from 'node:crypto';
import * as http from 'node:http';

function encode(opcode, payload) {
  const mask = crypto.randomBytes(4); // client frames are masked (s5.3)
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
    : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
      : (() => { const b = Buffer.alloc(10); b[0] = 0x80 | opcode; b[1] = 0x80 | 127; b.writeBigUInt64BE(BigInt(len), 2); return b; })();
  const body = Buffer.from(payload);
  for (let i = 0; i < len; i += 1) body[i] ^= mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

export function wsConnect(url, { headers = {}, timeoutMs = 5000 } = {}) {
  const u = new URL(url);
  const key = crypto.randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      headers: {
        ...headers, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key,
      },
      timeout: timeoutMs,
    });
    req.on('timeout', () => req.destroy(new Error('websocket handshake timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      const err = new Error(`websocket upgrade refused: ${res.statusCode}`);
      err.status = res.statusCode;
      err.headers = res.headers;
      reject(err);
    });
    req.on('upgrade', (res, socket, head) => {
      const expected = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      if (res.headers['sec-websocket-accept'] !== expected) {
        socket.destroy();
        reject(new Error('bad Sec-WebSocket-Accept'));
        return;
      }
      const queue = [];
      const waiters = [];
      let buf = Buffer.from(head);
      let closed = false;
      const push = (m) => (waiters.length ? waiters.shift().resolve(m) : queue.push(m));
      const consume = () => {
        while (buf.length >= 2) {
          const opcode = buf[0] & 0x0f;
          let len = buf[1] & 0x7f;
          let off = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
          if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (opcode === 0x8) { closed = true; push({ close: true }); socket.end(); return; }
          if (opcode === 0x1) push(payload.toString('utf8'));
          else if (opcode === 0x2) push(Buffer.from(payload));
        }
      };
      socket.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        consume();
      });
      consume(); // frames that arrived with the handshake
      socket.on('error', () => {}); // surfaces as 'close'
      socket.on('close', () => {
        closed = true;
        while (waiters.length) waiters.shift().reject(new Error('websocket closed'));
      });
      resolve({
        socket,
        headers: res.headers,
        send: (data) => socket.write(encode(typeof data === 'string' ? 0x1 : 0x2, Buffer.from(data))),
        next: (ms = timeoutMs) => (queue.length ? Promise.resolve(queue.shift()) : closed
          ? Promise.reject(new Error('websocket closed'))
          : new Promise((res2, rej2) => {
            const timer = setTimeout(() => rej2(new Error('no websocket message in time')), ms);
            waiters.push({
              resolve: (m) => { clearTimeout(timer); res2(m); },
              reject: (e) => { clearTimeout(timer); rej2(e); },
            });
          })),
        close: () => {
          if (!closed && socket.writable) socket.end(encode(0x8, Buffer.from([0x03, 0xe8])));
          closed = true;
        },
      });
    });
    req.end();
  });
}
