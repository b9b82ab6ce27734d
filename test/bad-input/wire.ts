import http, { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

/** A request exactly as it goes on the wire: any method, raw path, repeated headers, raw bytes. */
export interface WireRequest {
  method: string;
  /** Path and query, already encoded (or deliberately mis-encoded). */
  target: string;
  /** Name → one value, or several to send the header more than once. */
  headers: Record<string, string | string[]>;
  body?: Buffer;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Long enough for argon2 under load; a request that hangs longer than this is a defect. */
const TIMEOUT_MS = 10_000;
/** A stream (server-sent events, say) is read this long and then cut: the status is what counts. */
const STREAM_READ_MS = 150;

/**
 * Sends one request. A kept-alive connection that the server closed after its last answer fails
 * before any response; that request is sent once more on a fresh connection.
 */
export async function send(base: URL, request: WireRequest): Promise<WireResponse> {
  try {
    return await attempt(base, request, agent);
  } catch (error) {
    if ((error as { reused?: boolean }).reused) return attempt(base, request, false);
    throw error;
  }
}

function attempt(base: URL, request: WireRequest, via: http.Agent | false): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      agent: via,
      host: base.hostname,
      port: base.port,
      method: request.method,
      path: request.target,
      // Node sends a GET or DELETE body with neither Content-Length nor chunking, so the server
      // would read it as the start of the next request: say how long it is.
      headers: request.body
        ? { 'content-length': String(request.body.length), ...request.headers }
        : request.headers,
      // The server's own limit is what is under test, not Node's client-side one.
      maxHeaderSize: 1024 * 1024,
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no response within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    let settled = false;
    const done = (error: Error | undefined, response?: WireResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(response!);
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const finish = () => {
        const body = Buffer.concat(chunks);
        done(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: body.toString('utf8'),
        });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', finish);
      res.on('error', finish);
      if (String(res.headers['content-type']).includes('event-stream'))
        setTimeout(() => {
          finish();
          res.destroy();
        }, STREAM_READ_MS);
    });
    // The server may answer (413, say) and close before the whole body is written; the answer
    // counts, the broken pipe after it does not.
    req.on('error', (error) =>
      setTimeout(() => done(Object.assign(error, { reused: req.reusedSocket })), 50),
    );
    if (request.body) req.end(request.body);
    else req.end();
  });
}

/**
 * Bytes that no HTTP client library will send (bad header characters, broken framing),
 * written to a socket; the server's reply is parsed just enough to check it.
 */
export function sendRaw(base: URL, bytes: Buffer): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(base.port), base.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), TIMEOUT_MS);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the reply is fine; no reply is not
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      if (split < 0)
        return reject(new Error(`no HTTP response (got ${JSON.stringify(raw.toString())})`));
      const [statusLine, ...lines] = raw.subarray(0, split).toString('latin1').split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = raw.subarray(split + 4);
      if (/chunked/i.test(String(headers['transfer-encoding']))) body = dechunk(body);
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0),
        headers,
        body,
        text: body.toString('utf8'),
      });
    });
  });
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export function closeConnections(): void {
  agent.destroy();
}
