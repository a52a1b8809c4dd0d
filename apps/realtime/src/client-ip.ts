import type { IncomingMessage } from 'node:http';

/**
 * The client's address: the socket peer, or, behind `hops` trusted proxies, the address those
 * proxies saw (X-Forwarded-For read from the right, like Express's `trust proxy` with a count).
 */
export function clientIp(req: IncomingMessage, hops: number): string {
  const peer = req.socket?.remoteAddress ?? 'unknown';
  if (hops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const addresses = [...chain, peer];
  return addresses[Math.max(0, addresses.length - 1 - hops)] ?? peer;
}

/**
 * Origin policy for Socket.IO (contract: CORS_ORIGINS). No Origin header (native and server
 * clients) is allowed; a browser Origin must be listed exactly, or, with no list, be the gateway's
 * own origin (same host).
 */
export function originAllowed(req: IncomingMessage, allowed: string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
