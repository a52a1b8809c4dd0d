import { Inject, Injectable } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { consumeOrThrow, createLimiter, REDIS } from '@tandem/platform';
import { AccessTokenVerifier, bearerToken } from '@tandem/security';

export interface RequestBudgets {
  perUserPerMinute: number;
  perIpPerMinute: number;
}

export const REQUEST_BUDGETS = Symbol('REQUEST_BUDGETS');

export type Budget = { kind: 'user' | 'ip'; key: string };

/** Tokens whose subject is remembered, and for how long at most (each also no longer than it is valid). */
const KNOWN_TOKENS = 10_000;
const KNOWN_TOKEN_TTL_MS = 60_000;

/**
 * Whose budget a request spends (docs/security.md, "Orders, stock and input"): a verified caller's
 * own (`sub`), wherever it comes from — the gateway's `rpc` carries the user's token, so it counts
 * against that user and not against the gateway's IP — and otherwise the client IP, as the one
 * client-IP policy (`trust proxy`) resolved it. A token that does not verify is anonymous.
 */
export function budgetFor(subject: string | null, ip: string | undefined): Budget {
  return subject ? { kind: 'user', key: subject } : { kind: 'ip', key: ip ?? 'unknown' };
}

/**
 * Commerce's request budget (REQUESTS_PER_USER_PER_MINUTE / REQUESTS_PER_IP_PER_MINUTE), scoped to
 * the controllers that name it (`@UseGuards`), never global: in a shared process the other apps'
 * routes, `/health` and `/metrics` are not counted. One counter per request (one Redis round trip).
 */
@Injectable()
export class CallerRateLimitGuard implements CanActivate {
  /** Made at the first request: constructing the guard (e.g. to read route metadata) touches no store. */
  private limiters?: Record<Budget['kind'], RateLimiterAbstract>;
  /**
   * `sub` of tokens this guard verified: a client sends the same token for minutes, so its budget is
   * found without a second signature check next to the route's own (the honest path stays as fast).
   * Only verified tokens enter; keying needs no revocation check, the route's guard does that.
   */
  private readonly subjects = new LRUCache<string, string>({ max: KNOWN_TOKENS, ttl: KNOWN_TOKEN_TTL_MS });

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(REQUEST_BUDGETS) private readonly budgets: RequestBudgets,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    this.limiters ??= {
      user: createLimiter(this.redis, 'requests-user', this.budgets.perUserPerMinute, 60),
      ip: createLimiter(this.redis, 'requests-ip', this.budgets.perIpPerMinute, 60),
    };
    const budget = budgetFor(await this.subject(req), req.ip);
    await consumeOrThrow(this.limiters[budget.kind], budget.key);
    return true;
  }

  /** The verified `sub`, or null: the route's own guard answers 401/503 for a bad token afterwards. */
  private async subject(req: Request): Promise<string | null> {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    const known = this.subjects.get(token);
    if (known) return known;
    try {
      const claims = await this.verifier.verify(token);
      const validMs = claims.exp * 1000 - Date.now();
      if (validMs > 0) this.subjects.set(token, claims.sub, { ttl: Math.min(KNOWN_TOKEN_TTL_MS, validMs) });
      return claims.sub;
    } catch {
      return null;
    }
  }
}
