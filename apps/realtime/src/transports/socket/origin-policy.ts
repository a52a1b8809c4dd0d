import type { IncomingMessage } from 'node:http';

/**
 * Origin policy for Socket.IO (docs/contract.md, CORS_ORIGINS; docs/realtime.md, "Origin"). No
 * Origin header (native and server clients) is allowed; a browser Origin must be listed exactly,
 * or, with no list, be the gateway's own origin (same host).
 */
export function originAllowed(req: Pick<IncomingMessage, 'headers'>, allowed: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.length > 0) return allowed.includes(origin);
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
