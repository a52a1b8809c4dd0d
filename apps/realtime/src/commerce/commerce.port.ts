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

/** No commerce configured (no COMMERCE_URL, nothing injected): `rpc` answers 503, unseen orders are not found. */
export class UnavailableCommercePort extends CommercePort {
  async orderStatus(): Promise<number> {
    return 404;
  }

  async call(): Promise<RpcResponse> {
    return { status: 503, headers: {}, body: null };
  }
}
