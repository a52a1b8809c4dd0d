import type { ExecutionContext } from '@nestjs/common';
import type { AccessTokenVerifier } from '@tandem/security';
import { ProblemException } from '@tandem/platform';
import { budgetFor, CallerRateLimitGuard } from './caller-rate-limit.guard.js';

/** A verifier that accepts `token-<sub>` and refuses anything else; it counts its calls. */
let verifications = 0;
const verifier = {
  verify: async (token: string) => {
    verifications += 1;
    if (!token.startsWith('token-')) throw new Error('invalid');
    return { sub: token.slice('token-'.length), exp: Math.floor(Date.now() / 1000) + 300 };
  },
} as unknown as AccessTokenVerifier;

function http(ip: string, authorization?: string): ExecutionContext {
  const req = { ip, headers: authorization ? { authorization } : {} };
  return { getType: () => 'http', switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

async function statusOf(run: Promise<unknown>): Promise<number> {
  try {
    await run;
    return 200;
  } catch (error) {
    return error instanceof ProblemException ? error.getStatus() : -1;
  }
}

describe('budgetFor', () => {
  it('keys a verified caller on who it is and an anonymous one on where it is', () => {
    expect(budgetFor('u1', '10.0.0.1')).toEqual({ kind: 'user', key: 'u1' });
    expect(budgetFor(null, '10.0.0.1')).toEqual({ kind: 'ip', key: '10.0.0.1' });
    expect(budgetFor(null, undefined)).toEqual({ kind: 'ip', key: 'unknown' });
  });
});

describe('CallerRateLimitGuard', () => {
  it('gives every user behind one IP (the gateway, an ingress) a budget of their own', async () => {
    const guard = new CallerRateLimitGuard(null, { perUserPerMinute: 2, perIpPerMinute: 1 }, verifier);
    const gateway = '10.0.0.9';
    for (let i = 0; i < 2; i += 1) {
      expect(await statusOf(guard.canActivate(http(gateway, 'Bearer token-alice')))).toBe(200);
      expect(await statusOf(guard.canActivate(http(gateway, 'Bearer token-bob')))).toBe(200);
    }
    expect(await statusOf(guard.canActivate(http(gateway, 'Bearer token-alice')))).toBe(429);
    expect(await statusOf(guard.canActivate(http(gateway)))).toBe(200);
  });

  it('verifies a token once, then finds its budget without checking the signature again', async () => {
    const guard = new CallerRateLimitGuard(null, { perUserPerMinute: 100, perIpPerMinute: 100 }, verifier);
    verifications = 0;
    for (let i = 0; i < 5; i += 1) await guard.canActivate(http('10.0.0.1', 'Bearer token-erin'));
    expect(verifications).toBe(1);
    for (let i = 0; i < 3; i += 1) await guard.canActivate(http('10.0.0.1', 'Bearer forged'));
    expect(verifications).toBe(4);
  });

  it('counts a token that does not verify against the IP, so forged tokens cannot dodge the budget', async () => {
    const guard = new CallerRateLimitGuard(null, { perUserPerMinute: 100, perIpPerMinute: 2 }, verifier);
    expect(await statusOf(guard.canActivate(http('10.0.0.1', 'Bearer forged-1')))).toBe(200);
    expect(await statusOf(guard.canActivate(http('10.0.0.1', 'Bearer forged-2')))).toBe(200);
    expect(await statusOf(guard.canActivate(http('10.0.0.1')))).toBe(429);
    expect(await statusOf(guard.canActivate(http('10.0.0.2')))).toBe(200);
  });
});
