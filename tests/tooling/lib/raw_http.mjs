// HTTP/1.1 over a raw TCP socket, for framing tests (issue 13): the test writes exact
// bytes, and responses are parsed strictly from the bytes received (RFC 9112 s6, s7.1),
// so an extra last-chunk, bytes after a response, or a connection left open after an
// error show up instead of being smoothed over by an HTTP library.
import * as net from 'node:net';

export class RawHttpError extends Error {}

/**
 * rawConnect(url, {timeoutMs, localAddress}) -> connection
 *   send(bytes)               write a string (latin1) or Buffer
 *   response({method})        the next whole response, parsed strictly:
 *                             {version, status, statusLine, headers: [[name, value]],
 *                              header(name) (first value, case-insensitive), values(name),
 *                              body: Buffer, chunked, lastChunks, trailers, raw: Buffer};
 *                             null when the connection closed before any byte of it
 *   waitForClose(ms)          true once the peer has closed (bytes sent meanwhile stay
 *                             in pending()), false if still open after ms
 *   pending()                 bytes received and not consumed by response()
 *   closed()                  whether the peer closed (or reset) the connection
 *   close()                   destroy the socket
 */
export async function rawConnect(url, { timeoutMs = 10000, localAddress } = {}) {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port), localAddress });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buf = Buffer.alloc(0);
  let closed = false;
  let wake = null;
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => {}); // a reset shows as close
  const more = (deadline, what) => new Promise((resolve, reject) => {
    const left = deadline - Date.now();
    if (left <= 0) {
      reject(new RawHttpError(`timed out waiting for ${what}; have ${JSON.stringify(buf.toString('latin1'))}`));
      return;
    }
    const timer = setTimeout(() => {
      wake = null;
      reject(new RawHttpError(`timed out waiting for ${what}; have ${JSON.stringify(buf.toString('latin1'))}`));
    }, left);
    wake = () => { wake = null; clearTimeout(timer); resolve(); };
  });

  // Reads until `pred(buf)` returns a value other than undefined.
  async function until(pred, what, deadline) {
    for (;;) {
      const v = pred(buf);
      if (v !== undefined) return v;
      if (closed) throw new RawHttpError(`connection closed while waiting for ${what}; have ${JSON.stringify(buf.toString('latin1'))}`);
      await more(deadline, what);
    }
  }

  async function response({ method = 'GET', timeout = timeoutMs } = {}) {
    const deadline = Date.now() + timeout;
    // The connection may close cleanly before a response starts.
    while (buf.length === 0) {
      if (closed) return null;
      await more(deadline, 'a response');
    }
    const headEnd = await until((b) => { const i = b.indexOf('\r\n\r\n'); return i < 0 ? undefined : i; },
      'the end of the response header', deadline);
    const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const statusLine = lines[0];
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: (.*))?$/.exec(statusLine);
    if (!m) throw new RawHttpError(`not a status line: ${JSON.stringify(statusLine)}`);
    const headers = lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      if (i <= 0) throw new RawHttpError(`malformed header line ${JSON.stringify(l)}`);
      return [l.slice(0, i), l.slice(i + 1).trim()];
    });
    const values = (name) => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    const header = (name) => values(name)[0];
    const status = Number(m[2]);
    let at = headEnd + 4;
    let body = Buffer.alloc(0);
    let chunked = false;
    let lastChunks = 0;
    const trailers = [];
    const te = values('transfer-encoding').join(',').toLowerCase();
    const noBody = method === 'HEAD' || (status >= 100 && status < 200) || status === 204 || status === 304;
    if (noBody) {
      // nothing
    } else if (te) {
      if (!/(^|,)\s*chunked\s*$/.test(te)) throw new RawHttpError(`unexpected Transfer-Encoding ${te}`);
      chunked = true;
      const parts = [];
      for (;;) {
        const eol = await until((b) => { const i = b.indexOf('\r\n', at); return i < 0 ? undefined : i; },
          'a chunk size line', deadline);
        const sizeText = buf.subarray(at, eol).toString('latin1').split(';')[0].trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new RawHttpError(`bad chunk size line ${JSON.stringify(buf.subarray(at, eol).toString('latin1'))}`);
        const size = parseInt(sizeText, 16);
        at = eol + 2;
        if (size === 0) {
          lastChunks += 1;
          // Trailer section: fields until an empty line (RFC 9112 s7.1.2).
          for (;;) {
            const e = await until((b) => { const i = b.indexOf('\r\n', at); return i < 0 ? undefined : i; },
              'the trailer section', deadline);
            const line = buf.subarray(at, e).toString('latin1');
            at = e + 2;
            if (line === '') break;
            const i = line.indexOf(':');
            trailers.push([line.slice(0, i), line.slice(i + 1).trim()]);
          }
          break;
        }
        await until((b) => (b.length >= at + size + 2 ? true : undefined), 'chunk data', deadline);
        parts.push(buf.subarray(at, at + size));
        if (buf.subarray(at + size, at + size + 2).toString('latin1') !== '\r\n') {
          throw new RawHttpError('chunk data not followed by CRLF');
        }
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (header('content-length') !== undefined) {
      const n = Number(header('content-length'));
      await until((b) => (b.length >= at + n ? true : undefined), `${n} body bytes`, deadline);
      body = buf.subarray(at, at + n);
      at += n;
    } else {
      // Close-delimited (RFC 9112 s6.3 item 8).
      await until(() => (closed ? true : undefined), 'the end of a close-delimited body', deadline).catch(() => {});
      body = buf.subarray(at);
      at = buf.length;
    }
    const raw = Buffer.from(buf.subarray(0, at));
    buf = buf.subarray(at);
    return {
      version: m[1], status, statusLine, headers, header, values, body, chunked, lastChunks, trailers, raw,
    };
  }

  return {
    socket,
    send: (bytes) => socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes),
    response,
    async waitForClose(ms = 2000) {
      const deadline = Date.now() + ms;
      while (!closed && Date.now() < deadline) {
        await more(deadline, 'close').catch(() => {});
      }
      return closed;
    },
    pending: () => buf,
    closed: () => closed,
    close: () => socket.destroy(),
  };
}
