import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, Response } from 'express';

/** The checkout's `dist/web` (the Vite build of web/), found by walking up from this file. */
export function defaultWebDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i += 1) {
    const candidate = join(dir, 'dist', 'web');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/**
 * The page's Content-Security-Policy (docs/security.md, "Storefront page"): scripts, styles and
 * fonts only from the page's own origin (Vite bundles everything, nothing is inline, so an
 * injected `<script>` or `onclick=` does not run), network only to this origin (REST, SSE and the
 * Socket.IO connection; CSP Level 3 `'self'` covers same-origin `ws:`/`wss:`), no plugins, no
 * framing (clickjacking), no `<base>` or form posts elsewhere. A CDN deployment sends the same
 * policy with the API's origins added to `connect-src`.
 */
export const STOREFRONT_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the storefront page at `/` (docs/standalone.md, "First minute"). Static files only answer paths that exist, so
 * `/api`, `/socket.io`, `/health` and `/metrics` are untouched. Vite's hashed assets are cached for
 * a year; index.html never, so a rebuild shows at once.
 */
export function serveStorefront(app: NestExpressApplication, webDir: string | undefined): string | undefined {
  const dir = webDir ? resolve(webDir) : defaultWebDir();
  if (!dir || !existsSync(join(dir, 'index.html'))) {
    (app.getHttpAdapter().getInstance() as Express).get('/', (_req, res: Response) => {
      res
        .status(503)
        .type('text/plain')
        .send('The storefront page is not built. Run `npm run build:web` (npm start does it for you).\n');
    });
    return undefined;
  }
  app.useStaticAssets(dir, {
    index: 'index.html',
    setHeaders: (res, path) => {
      res.setHeader('Content-Security-Policy', STOREFRONT_CSP);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader(
        'Cache-Control',
        path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return dir;
}
