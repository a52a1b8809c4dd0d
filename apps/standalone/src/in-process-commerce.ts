import type { RequestListener } from 'node:http';
import inject from 'light-my-request';
import type { RpcRequest, RpcResponse } from '@tandem/contracts';
import { CommercePort, rpcResponse } from '../../realtime/src/index.js';

/**
 * The gateway's way to commerce when both live in this process (docs/standalone.md): each call is
 * dispatched into this process's own Express app with light-my-request, no socket and no port, and
 * goes through the same pipeline as a request from outside (guards, validation, problem+json). The
 * gateway has already applied the rpc policy (paths, forwarded headers, body size); Authorization is
 * always the socket's own token.
 */
export class InProcessCommerce extends CommercePort {
  /** `app` is read at each call: the port is made before the Nest app it dispatches into exists. */
  constructor(private readonly app: () => RequestListener) {
    super();
  }

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
    const headers: Record<string, string> = { ...request.headers, ...authorization(token) };
    let payload: string | undefined;
    if (request.body !== undefined && request.method !== 'GET') {
      payload = JSON.stringify(request.body);
      headers['content-type'] ??= 'application/json';
    }
    try {
      const res = await inject(this.app(), { method: request.method, url: request.path, headers, payload });
      return rpcResponse(
        res.statusCode,
        (name) => {
          const value = res.headers[name];
          return value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : String(value);
        },
        res.payload,
      );
    } catch {
      // As the HTTP port answers when commerce cannot be reached (e.g. the app is not up yet).
      return { status: 502, headers: {}, body: null };
    }
  }
}

function authorization(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
