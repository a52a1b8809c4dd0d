import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The one client-IP policy of every app (docs/contract.md, "Apps, ports, prefixes"): trust exactly
 * `hops` proxies in front of the app, so the address is read from `X-Forwarded-For` no further
 * left than the last trusted proxy wrote; whatever a client put further left is ignored.
 * Express's `trust proxy` and the Socket.IO handshake both use this function.
 */
export function trustProxyHops(hops: number): (address: string, index: number) => boolean {
  return (_address, index) => index < hops;
}

/** The client's address for limits and logs (the socket peer when no proxy is trusted). */
export function clientIp(req: IncomingMessage, hops: number): string {
  return proxyAddr(req, trustProxyHops(hops));
}
