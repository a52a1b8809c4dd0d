import type { RequestListener } from 'node:http';
import inject from 'light-my-request';
import type { Response as InjectResponse } from 'light-my-request';
import type { RpcRequest, RpcResponse } from '@tandem/contracts';

/*
 * The gateway's rpc forwarding policy (docs/contract.md, "Realtime": `rpc`), as the HTTP port
 * applies it (apps/realtime/src/commerce.client.ts): only catalog and order paths, a few request
 * headers passed on, a few response headers returned, 64 KiB bodies.
 */
const RPC_PATH = /^\/api\/v1\/(products|orders)(\/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*(\?[^#\s]*)?$/;
const FORWARDED_REQUEST_HEADERS = ['idempotency-key', 'if-match', 'if-none-match', 'content-type'];
const RETURNED_HEADERS = ['content-type', 'etag', 'location', 'retry-after', 'x-stream-offset', 'x-request-id'];
const MAX_BODY_BYTES = 64 * 1024;

/** True when `path` is a products/orders route without tricks (`..`, encoded slashes or dots). */
function isForwardablePath(path: string): boolean {
  if (!RPC_PATH.test(path)) return false;
  const pathname = path.split('?')[0]!;
  return !/(^|\/)\.\.?(\/|$)/.test(pathname) && !/%2e|%2f|%5c/i.test(pathname);
}

/**
 * The gateway's way to commerce when both live in this process (docs/standalone.md): each call is
 * dispatched into this process's own Express app with light-my-request, no socket and no port, and
 * goes through the same pipeline as a request from outside (guards, validation, problem+json).
 * Authorization is always the socket's own token, never one the client put in `headers`.
 */
export class InProcessCommerce {
  /** `app` is read at each call: the port is made before the Nest app it dispatches into exists. */
  constructor(private readonly app: () => RequestListener) {}

  async orderStatus(orderId: string, token: string | undefined): Promise<number> {
    if (!token) return 404;
    const res = await inject(this.app(), {
      method: 'GET',
      url: `/api/v1/orders/${encodeURIComponent(orderId)}`,
      headers: authorization(token),
    });
    return res.statusCode;
  }

  async call(request: RpcRequest, token: string | undefined): Promise<RpcResponse> {
    if (!isForwardablePath(request.path)) return { status: 404, headers: {}, body: null };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (FORWARDED_REQUEST_HEADERS.includes(name.toLowerCase())) headers[name.toLowerCase()] = value;
    }
    Object.assign(headers, authorization(token));
    let payload: string | undefined;
    if (request.body !== undefined && request.method !== 'GET') {
      payload = JSON.stringify(request.body);
      if (Buffer.byteLength(payload) > MAX_BODY_BYTES) return { status: 413, headers: {}, body: null };
      headers['content-type'] ??= 'application/json';
    }
    let res: InjectResponse;
    try {
      res = await inject(this.app(), { method: request.method, url: request.path, headers, payload });
    } catch {
      // As the HTTP port answers when commerce cannot be reached (e.g. the app is not up yet).
      return { status: 502, headers: {}, body: null };
    }
    const returned: Record<string, string> = {};
    for (const name of RETURNED_HEADERS) {
      const value = res.headers[name];
      if (value !== undefined) returned[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    return { status: res.statusCode, headers: returned, body: parseBody(res.payload, returned['content-type']) };
  }
}

function authorization(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** JSON (problem+json included) as a value; any other body as text; no body as null. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (text.length === 0) return null;
  if (!(contentType ?? '').includes('json')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
