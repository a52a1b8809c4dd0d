import type { RpcRequest, RpcResponse } from '@tandem/contracts';
import { CommercePort, rpcResponse } from './commerce.port.js';

/** Commerce over HTTP at COMMERCE_URL: the deployed gateway's only HTTP dependency. */
export class HttpCommercePort extends CommercePort {
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    super();
    this.base = new URL(baseUrl);
  }

  async orderStatus(orderId: string, token: string | undefined): Promise<number> {
    if (!token) return 404;
    const res = await this.fetch(`/api/v1/orders/${encodeURIComponent(orderId)}`, {
      method: 'GET',
      headers: this.auth(token),
    });
    await res.body?.cancel();
    return res.status;
  }

  async call(request: RpcRequest, token: string | undefined): Promise<RpcResponse> {
    const headers: Record<string, string> = { ...request.headers, ...this.auth(token) };
    let body: string | undefined;
    if (request.body !== undefined && request.method !== 'GET') {
      body = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetch(request.path, { method: request.method, headers, body });
    } catch {
      return { status: 502, headers: {}, body: null };
    }
    return rpcResponse(res.status, (name) => res.headers.get(name) ?? undefined, await res.text());
  }

  private auth(token: string | undefined): Record<string, string> {
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private fetch(path: string, init: RequestInit): Promise<Response> {
    const url = new URL(path, this.base);
    if (url.origin !== this.base.origin) throw new Error('path left the commerce origin');
    return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
  }
}
