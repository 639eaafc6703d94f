/**
 * HTTP(S) exchanges for the registry client, on Node's own `http`/`https` modules with keep-alive connection
 * pools. Node's clients are compiled into the runtime (no start-up cost, no WebAssembly parser to compile),
 * which matters for a command-line tool that often makes a handful of requests and exits.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpPoolOptions {
  /** Connections per origin. */
  readonly connections: number;
  /** Verify TLS certificates. */
  readonly rejectUnauthorized: boolean;
  /** A connection with no traffic for this long is closed and the exchange fails; default 5 minutes. */
  readonly idleTimeoutMs?: number;
}

export interface HttpExchange {
  /** `https://host:port` or `http://host:port`. */
  readonly origin: string;
  /** Path and query. */
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer | Readable | null;
  readonly signal?: AbortSignal | null;
}

export interface HttpResponse {
  readonly statusCode: number;
  /** Lower-case names; a header sent more than once is an array. */
  readonly headers: Record<string, string | string[]>;
  /** Must be consumed or destroyed by the caller. */
  readonly body: IncomingMessage;
}

export class HttpPool {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;
  private readonly idleTimeoutMs: number;

  constructor(options: HttpPoolOptions) {
    const common = { keepAlive: true, maxSockets: options.connections, scheduling: 'lifo' as const };
    this.http = new HttpAgent(common);
    this.https = new HttpsAgent({ ...common, rejectUnauthorized: options.rejectUnauthorized });
    this.idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  }

  /** Send one request; resolves when the response headers arrive, rejects on a network or body-stream error. */
  request(x: HttpExchange): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      const signal = x.signal ?? undefined;
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      const url = new URL(x.path, x.origin);
      const secure = url.protocol === 'https:';
      const headers: OutgoingHttpHeaders = { ...x.headers };
      if (Buffer.isBuffer(x.body)) headers['content-length'] = String(x.body.length);
      else if (x.body === null || x.body === undefined) {
        if (x.method !== 'GET' && x.method !== 'HEAD' && headers['content-length'] === undefined) headers['content-length'] = '0';
      }
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: x.method,
        headers,
        agent: secure ? this.https : this.http,
        timeout: this.idleTimeoutMs,
      });
      let settled = false;
      const fail = (err: unknown): void => {
        if (!settled) {
          settled = true;
          reject(err);
        }
        if (!req.destroyed) req.destroy(err instanceof Error ? err : undefined);
      };
      const onAbort = (): void => fail(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('timeout', () => {
        const err = Object.assign(new Error(`no traffic from ${url.host} for ${this.idleTimeoutMs} ms`), { code: 'ETIMEDOUT' });
        fail(err);
      });
      req.on('error', (err) => fail(err));
      req.on('response', (res) => {
        signal?.removeEventListener('abort', onAbort);
        settled = true;
        const distinct = res.headersDistinct;
        const out: Record<string, string | string[]> = {};
        for (const [name, values] of Object.entries(distinct)) {
          if (values !== undefined) out[name] = values.length === 1 ? (values[0] as string) : values;
        }
        resolve({ statusCode: res.statusCode ?? 0, headers: out, body: res });
      });
      const body = x.body;
      if (body === null || body === undefined) {
        req.end();
      } else if (Buffer.isBuffer(body)) {
        req.end(body);
      } else {
        body.on('error', (err) => fail(err));
        req.on('close', () => {
          if (!body.readableEnded && !body.destroyed) body.destroy();
        });
        body.pipe(req);
      }
    });
  }

  /** Close every connection, idle or in use. */
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Read what is left of a response body so its connection can be reused; give up (and close it) past `limit` bytes. */
export async function discardBody(body: IncomingMessage, limit = 64 * 1024): Promise<void> {
  if (body.destroyed || body.readableEnded) return;
  let seen = 0;
  try {
    for await (const chunk of body) {
      seen += (chunk as Buffer).length;
      if (seen > limit) {
        body.destroy();
        return;
      }
    }
  } catch {
    body.destroy();
  }
}
