/**
 * What `rpc` may forward to commerce (docs/contract.md, Realtime: "only `/api/v1/products/**` and
 * `/api/v1/orders/**`"; an `Authorization` header is ignored: the socket's own token is used).
 */
const RPC_PATH = /^\/api\/v1\/(products|orders)(\/[A-Za-z0-9._~!$&'()*+,;=:@-]*)*(\?[^#\s]*)?$/;
/** Request headers passed on; Authorization is always the socket's own token, never the caller's. */
const FORWARDED_REQUEST_HEADERS = new Set(['idempotency-key', 'if-match', 'if-none-match', 'content-type']);

/** True when `path` is a products/orders route without tricks (`..`, encoded slashes or dots). */
export function isForwardablePath(path: string): boolean {
  if (!RPC_PATH.test(path)) return false;
  const pathname = path.split('?')[0]!;
  return !/(^|\/)\.\.?(\/|$)/.test(pathname) && !/%2e|%2f|%5c/i.test(pathname);
}

/**
 * The caller's headers commerce may see, names lower-cased; every other header is dropped. The
 * gateway then acts as the proxy in front of commerce: `X-Forwarded-For` is the client's address as
 * the gateway established it, never the caller's own header, so commerce's per-IP budget (for
 * anonymous calls) is the client's, not one shared by every gateway user (docs/security.md,
 * "Realtime gateway").
 */
export function forwardedHeaders(headers: Record<string, string> = {}, clientIp?: string): Record<string, string> {
  const kept: Record<string, string> = clientIp ? { 'x-forwarded-for': clientIp } : {};
  for (const [name, value] of Object.entries(headers)) {
    if (FORWARDED_REQUEST_HEADERS.has(name.toLowerCase())) kept[name.toLowerCase()] = value;
  }
  return kept;
}
