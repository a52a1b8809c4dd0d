import type { Session } from '@tandem/contracts';

export type SessionListener = (session: Session | null) => void;

export interface SessionOptions {
  /** Refresh this many seconds before the access token expires (at most 90 % of its lifetime). */
  refreshBeforeExpirySeconds?: number;
  now?: () => number;
}

/**
 * Holds the session and refreshes the access token before it expires: a timer when the token is
 * due, and a check before each use (a sleeping laptop's timer fires late). Refreshes are
 * single-flight: refresh tokens rotate, and presenting a spent one revokes the whole family
 * (contract: Auth), so two concurrent refreshes would log the user out.
 */
export class SessionManager {
  private current: Session | null = null;
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
    if (session) {
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
          const status = (error as { status?: number }).status;
          if (status === 401 && this.current === session) this.set(null);
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
