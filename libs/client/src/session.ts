import { decodeJwt } from 'jose';
import type { AccessClaims, Session } from '@tandem/contracts';
import { TandemApiError } from './errors.js';

export type SessionListener = (session: Session | null) => void;

export interface SessionOptions {
  /** Refresh this many seconds before the access token expires (at most 90 % of its lifetime). */
  refreshBeforeExpirySeconds?: number;
  now?: () => number;
}

/** The claims of an access token, read without verifying it (the servers verify); {} if unreadable. */
export function readClaims(token: string): Partial<AccessClaims> {
  try {
    return decodeJwt<Partial<AccessClaims>>(token);
  } catch {
    return {};
  }
}

/**
 * Holds the session and refreshes the access token before it expires: a timer when the token is
 * due, and a check before each use (a sleeping laptop's timer fires late). Refreshes are
 * single-flight: refresh tokens rotate, and presenting a spent one revokes the whole family
 * (docs/contract.md, Auth), so two concurrent refreshes would log the user out.
 */
export class SessionManager {
  private current: Session | null = null;
  private currentClaims: Partial<AccessClaims> = {};
  private refreshAt = 0;
  private expiresAt = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private inflight?: Promise<Session | null>;
  private readonly listeners = new Set<SessionListener>();
  private readonly leewayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly doRefresh: (refreshToken: string) => Promise<Session>,
    options: SessionOptions = {},
  ) {
    this.leewayMs = (options.refreshBeforeExpirySeconds ?? 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  get session(): Session | null {
    return this.current;
  }

  /** The claims of the current access token (`sid`, `roles`, `exp`…), unverified. */
  get claims(): Partial<AccessClaims> {
    return this.currentClaims;
  }

  /** Milliseconds since epoch when the current access token expires (0 without a session). */
  get accessTokenExpiresAt(): number {
    return this.expiresAt;
  }

  onChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  set(session: Session | null): void {
    clearTimeout(this.timer);
    this.current = session;
    this.currentClaims = session ? readClaims(session.accessToken) : {};
    if (session) {
      // `expiresIn` rather than the token's `exp`: relative, so a skewed client clock does not matter.
      const lifetimeMs = session.expiresIn * 1000;
      this.expiresAt = this.now() + lifetimeMs;
      this.refreshAt = this.expiresAt - Math.min(this.leewayMs, lifetimeMs * 0.9);
      this.timer = setTimeout(() => void this.refresh().catch(() => undefined), this.refreshAt - this.now());
      // Never keep a Node process alive just to refresh a token.
      (this.timer as { unref?: () => void }).unref?.();
    } else {
      this.expiresAt = 0;
      this.refreshAt = 0;
    }
    for (const listener of this.listeners) listener(session);
  }

  /** A valid access token, refreshed first when it is due; null when logged out. */
  async accessToken(): Promise<string | null> {
    if (!this.current) return null;
    if (this.now() >= this.refreshAt) await this.refresh().catch(() => undefined);
    return this.current?.accessToken ?? null;
  }

  /** Rotates the refresh token; a refused refresh (401: spent or revoked) ends the session. */
  refresh(): Promise<Session | null> {
    if (this.inflight) return this.inflight;
    const session = this.current;
    if (!session) return Promise.resolve(null);
    this.inflight = this.doRefresh(session.refreshToken)
      .then(
        (next) => {
          // A logout or another login while the call was in flight wins.
          if (this.current === session) this.set(next);
          return this.current;
        },
        (error: unknown) => {
          if (error instanceof TandemApiError && error.status === 401 && this.current === session) this.set(null);
          throw error;
        },
      )
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }
}
