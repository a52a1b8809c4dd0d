import type { ExecutionContext } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ProblemException } from './problem.js';
import { consumeOrThrow, createLimiter, IpRateLimitGuard, retryAfterSeconds } from './rate-limit.js';

function httpContext(ip: string | undefined): ExecutionContext {
  return {
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => ({ ip }) }),
  } as unknown as ExecutionContext;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('rate-limit helpers', () => {
  it('Retry-After is whole seconds, at least 1', () => {
    expect(retryAfterSeconds(new RateLimiterRes(0, 1))).toBe(1);
    expect(retryAfterSeconds(new RateLimiterRes(0, 1500))).toBe(2);
    expect(retryAfterSeconds(new RateLimiterRes(0, 60_000))).toBe(60);
  });

  it('without Redis, limits in memory', () => {
    expect(createLimiter(null, 'x', 1, 60)).toBeInstanceOf(RateLimiterMemory);
  });

  it('consumeOrThrow lets the budget through, then answers 429 with Retry-After', async () => {
    const limiter = createLimiter(null, 'consume', 2, 60);
    await consumeOrThrow(limiter, 'k');
    await consumeOrThrow(limiter, 'k');
    const error = await rejection(consumeOrThrow(limiter, 'k'));
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(429);
    expect(Number((error as ProblemException).extra.headers?.['Retry-After'])).toBeGreaterThan(0);
    // Another key has its own budget.
    await consumeOrThrow(limiter, 'other');
  });

  it('passes on errors that are not a spent budget', async () => {
    const failing = { consume: () => Promise.reject(new Error('store down')) } as unknown as RateLimiterMemory;
    expect(((await rejection(consumeOrThrow(failing, 'k'))) as Error).message).toBe('store down');
  });
});

describe('IpRateLimitGuard', () => {
  it('spends one point per request of a client IP, each IP its own budget', async () => {
    const guard = new IpRateLimitGuard(null, 2);
    expect(await guard.canActivate(httpContext('198.51.100.1'))).toBe(true);
    expect(await guard.canActivate(httpContext('198.51.100.1'))).toBe(true);
    const error = await rejection(guard.canActivate(httpContext('198.51.100.1')));
    expect((error as ProblemException).getStatus()).toBe(429);
    expect(await guard.canActivate(httpContext('198.51.100.2'))).toBe(true);
  });

  it('leaves non-HTTP contexts alone', async () => {
    const guard = new IpRateLimitGuard(null, 1);
    const ws = { getType: () => 'ws' } as unknown as ExecutionContext;
    for (let i = 0; i < 3; i += 1) expect(await guard.canActivate(ws)).toBe(true);
  });
});
