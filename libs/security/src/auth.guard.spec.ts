import { randomUUID } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { ProblemException } from '@tandem/platform';
import { AccessTokenGuard } from './auth.guard.js';
import { MemorySessionRevocations, SessionRevocations } from './session-revocations.js';
import { TokenCheckUnavailableError } from './token-errors.js';
import { AccessTokenVerifier } from './token-verifier.js';

function contextFor(authorization: string): ExecutionContext {
  const req = { headers: { authorization } };
  return {
    switchToHttp: () => ({ getRequest: () => req }),
    getHandler: () => () => undefined,
    getClass: () => class {},
  } as unknown as ExecutionContext;
}

async function refusal(promise: Promise<unknown>): Promise<ProblemException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe('AccessTokenGuard', () => {
  let verifier: AccessTokenVerifier;
  let sign: (sid: string) => Promise<string>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    verifier = AccessTokenVerifier.local(
      { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
      { issuer: 'tandem-auth', audience: 'tandem' },
    );
    sign = (sid) =>
      new SignJWT({ sid, roles: ['customer'] })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setSubject('u1')
        .setIssuer('tandem-auth')
        .setAudience('tandem')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(randomUUID())
        .sign(privateKey);
  });

  it('lets a valid token through and refuses it with 401 once its session is revoked', async () => {
    const revocations = new MemorySessionRevocations();
    const guard = new AccessTokenGuard(verifier, revocations, new Reflector());
    const token = await sign('s1');
    await expect(guard.canActivate(contextFor(`Bearer ${token}`))).resolves.toBe(true);
    await revocations.revoke('s1', 60);
    const problem = await refusal(guard.canActivate(contextFor(`Bearer ${token}`)));
    expect(problem.getStatus()).toBe(401);
  });

  it('answers 503 with Retry-After, not 401, when the token cannot be checked', async () => {
    class Down extends SessionRevocations {
      async revoke(): Promise<void> {}
      async isRevoked(): Promise<boolean> {
        throw new TokenCheckUnavailableError('redis down', 3);
      }
    }
    const guard = new AccessTokenGuard(verifier, new Down(), new Reflector());
    const problem = await refusal(guard.canActivate(contextFor(`Bearer ${await sign('s2')}`)));
    expect(problem.getStatus()).toBe(503);
    expect(problem.slug).toBe('unavailable');
    expect(problem.extra.headers).toEqual({ 'Retry-After': '3' });
  });
});
