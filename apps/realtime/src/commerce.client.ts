import { Inject, Injectable } from '@nestjs/common';
import { RPC_METHODS } from '@tandem/contracts';
import type { RpcMethod, RpcRequest, RpcResponse } from '@tandem/contracts';
import { REALTIME_SETTINGS } from './realtime.tokens.js';
import type { RealtimeSettings } from './realtime.config.js';

/** Paths `rpc` may reach (contract: Realtime): the catalog and orders, nothing else. */
const RPC_PATH = /^\/api\/v1\/(products|orders)(\/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*(\?[^#\s]*)?$/;
/** Request headers passed on; Authorization is always the socket's own token, never the caller's. */
const FORWARDED_REQUEST_HEADERS = ['idempotency-key', 'if-match', 'if-none-match', 'content-type'];
const RETURNED_HEADERS = ['content-type', 'etag', 'location', 'retry-after', 'x-stream-offset', 'x-request-id'];
const MAX_BODY_BYTES = 64 * 1024;

export class RpcValidationError extends Error {}

/** Validates an `rpc` payload; throws RpcValidationError with a reason. */
export function parseRpcRequest(value: unknown): RpcRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RpcValidationError('payload must be an object');
  }
  const { method, path, body, headers, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new RpcValidationError(`unknown field ${Object.keys(rest)[0]}`);
  if (typeof method !== 'string' || !RPC_METHODS.includes(method.toUpperCase() as RpcMethod)) {
    throw new RpcValidationError(`method must be one of ${RPC_METHODS.join(', ')}`);
  }
  if (typeof path !== 'string' || path.length === 0 || path.length > 2048) {
    throw new RpcValidationError('path must be a string');
  }
  const out: Record<string, string> = {};
  if (headers !== undefined) {
    if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
      throw new RpcValidationError('headers must be an object of strings');
    }
    for (const [name, headerValue] of Object.entries(headers)) {
      if (typeof headerValue !== 'string' || headerValue.length > 1024 || /[\r\n]/.test(headerValue)) {
        throw new RpcValidationError(`header ${name.slice(0, 40)} must be a short string`);
      }
      if (FORWARDED_REQUEST_HEADERS.includes(name.toLowerCase())) out[name.toLowerCase()] = headerValue;
    }
  }
  return { method: method.toUpperCase() as RpcMethod, path, body, headers: out };
}

/** True when `path` is a products/orders route without tricks (`..`, encoded slashes or dots). */
export function isForwardablePath(path: string): boolean {
  if (!RPC_PATH.test(path)) return false;
  const pathname = path.split('?')[0]!;
  return !/(^|\/)\.\.?(\/|$)/.test(pathname) && !/%2e|%2f|%5c/i.test(pathname);
}

/**
 * The gateway's only HTTP dependency: commerce, for `rpc` and for order ownership when the
 * gateway has not seen the order's events. Without COMMERCE_URL, `rpc` answers 503.
 */
@Injectable()
export class CommerceClient {
  constructor(@Inject(REALTIME_SETTINGS) private readonly settings: RealtimeSettings) {}

  get configured(): boolean {
    return this.settings.COMMERCE_URL !== undefined;
  }

  async orderStatus(orderId: string, token: string | undefined): Promise<number> {
    if (!this.configured || !token) return 404;
    const res = await this.fetch(`/api/v1/orders/${orderId}`, { method: 'GET', headers: this.auth(token) });
    await res.body?.cancel();
    return res.status;
  }

  async call(request: RpcRequest, token: string | undefined): Promise<RpcResponse> {
    if (!isForwardablePath(request.path)) return { status: 404, headers: {}, body: null };
    if (!this.configured) return { status: 503, headers: {}, body: null };
    const headers: Record<string, string> = { ...request.headers, ...this.auth(token) };
    let body: string | undefined;
    if (request.body !== undefined && request.method !== 'GET') {
      body = JSON.stringify(request.body);
      if (Buffer.byteLength(body) > MAX_BODY_BYTES) return { status: 413, headers: {}, body: null };
      headers['content-type'] ??= 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetch(request.path, { method: request.method, headers, body });
    } catch {
      return { status: 502, headers: {}, body: null };
    }
    const returned: Record<string, string> = {};
    for (const name of RETURNED_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) returned[name] = value;
    }
    const text = await res.text();
    let parsed: unknown = text.length > 0 ? text : null;
    if ((returned['content-type'] ?? '').includes('json') && text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: returned, body: parsed };
  }

  private auth(token: string | undefined): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private fetch(path: string, init: RequestInit): Promise<Response> {
    const base = new URL(this.settings.COMMERCE_URL!);
    const url = new URL(path, base);
    if (url.origin !== base.origin) throw new Error('path left the commerce origin');
    return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.settings.RPC_TIMEOUT_MS) });
  }
}
