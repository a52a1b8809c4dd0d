import type { RpcRequest, RpcResponse } from '@tandem/contracts';

/**
 * How the gateway reaches commerce: over HTTP when deployed (HttpCommercePort, COMMERCE_URL), in
 * process in standalone (`RealtimeModule.register(settings, { commerce })`). The gateway keeps the
 * rpc path filter and payload validation; a port only carries the call.
 */
export abstract class CommercePort {
  /** Status commerce answers the token's holder for GET /api/v1/orders/:id (200: may read it). */
  abstract orderStatus(orderId: string, token: string | undefined): Promise<number>;
  /** One REST call of commerce's API for the token's holder; `request.path` already checked forwardable. */
  abstract call(request: RpcRequest, token: string | undefined): Promise<RpcResponse>;
}

/** Response headers handed back to the rpc caller. */
const RETURNED_HEADERS = ['content-type', 'etag', 'location', 'retry-after', 'x-stream-offset', 'x-request-id'];

/**
 * The rpc answer for what commerce replied, whichever port carried it: only the headers a caller
 * may see, a JSON body (problem+json included) as a value, any other body as text, none as null.
 */
export function rpcResponse(status: number, header: (name: string) => string | undefined, text: string): RpcResponse {
  const headers: Record<string, string> = {};
  for (const name of RETURNED_HEADERS) {
    const value = header(name);
    if (value !== undefined) headers[name] = value;
  }
  let body: unknown = text.length > 0 ? text : null;
  if ((headers['content-type'] ?? '').includes('json') && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status, headers, body };
}

/** No commerce configured (no COMMERCE_URL, nothing injected): `rpc` answers 503, unseen orders are not found. */
export class UnavailableCommercePort extends CommercePort {
  async orderStatus(): Promise<number> {
    return 404;
  }

  async call(): Promise<RpcResponse> {
    return { status: 503, headers: {}, body: null };
  }
}
