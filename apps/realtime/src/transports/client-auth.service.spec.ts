import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { ControlEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { MetricsRegistry, ProblemException } from '@tandem/platform';
import {
  AccessTokenVerifier,
  MemorySessionRevocations,
  SessionRevocations,
  TokenCheckUnavailableError,
} from '@tandem/security';
import { ClientRegistry } from '../delivery/client-registry.service.js';
import { Subscriber } from '../delivery/subscriber.js';
import { RealtimeMetrics } from '../ops/realtime.metrics.js';
import { ClientAuthService } from './client-auth.service.js';

class FakeClient extends Subscriber {
  readonly transport = 'socket';
  notices: string[] = [];
  closed = 0;
  constructor(id = randomUUID()) {
    super(id, '127.0.0.1', { seenIds: 16, maxBuffered: 16 });
  }
  protected write(): void {}
  notify<N extends keyof GatewayNoticeMap>(event: N, _notice: GatewayNoticeMap[N]): void {
    this.notices.push(event);
  }
  close(): void {
    this.closed += 1;
  }
}

describe('ClientAuthService', () => {
  let sign: (claims: { sub?: string; sid?: string; ttl?: number }) => Promise<string>;
  let auth: ClientAuthService;
  let registry: ClientRegistry;
  let verifier: AccessTokenVerifier;
  const revocations = new MemorySessionRevocations();

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    verifier = AccessTokenVerifier.local(
      { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
      { issuer: 'tandem-auth', audience: 'tandem' },
    );
    sign = ({ sub = 'alice', sid = 's1', ttl = 300 }) =>
      new SignJWT({ sid, roles: ['customer'] })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setSubject(sub)
        .setIssuer('tandem-auth')
        .setAudience('tandem')
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttl)
        .setJti(randomUUID())
        .sign(privateKey);
    registry = new ClientRegistry(new RealtimeMetrics(new MetricsRegistry()));
    auth = new ClientAuthService(verifier, registry, revocations);
  });

  afterEach(() => {
    for (const client of registry.all()) registry.remove(client);
  });

  it('turns a valid token into its principal and refuses anything else', async () => {
    expect(await auth.verify(await sign({}))).toMatchObject({ id: 'alice', sid: 's1', roles: ['customer'] });
    expect(await auth.verify('garbage')).toBeUndefined();
    expect(await auth.verify(await sign({ ttl: -60 }))).toBeUndefined();
  });

  it('signs a client in, swaps the token of the same user, and refuses another user', async () => {
    const client = new FakeClient();
    registry.add(client);
    expect(await auth.authenticate(client, await sign({}))).toBe('ok');
    expect(registry.ofSession('s1')).toEqual([client]);
    const fresh = await sign({ sid: 's2' });
    expect(await auth.authenticate(client, fresh)).toBe('ok');
    expect(client.token).toBe(fresh);
    expect(registry.ofSession('s2')).toEqual([client]);
    expect(await auth.authenticate(client, await sign({ sub: 'mallory' }))).toBe('other_user');
    expect(client.principal?.id).toBe('alice');
    expect(await auth.authenticate(client, 'garbage')).toBe('invalid');
  });

  it('ends a client when its token expires: session.expired, then close; a swap restarts the clock', async () => {
    const client = new FakeClient();
    registry.add(client);
    const short = await auth.verify(await sign({ ttl: 60 }));
    const long = await auth.verify(await sign({ ttl: 600 }));
    jest.useFakeTimers({ now: Date.now() });
    try {
      auth.signIn(client, short!, 'short');
      auth.signIn(client, long!, 'long');
      jest.advanceTimersByTime(120_000);
      expect(client.closed).toBe(0);
      jest.advanceTimersByTime(600_000);
      expect(client.notices).toEqual(['session.expired']);
      expect(client.closed).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('closes the clients of a revoked session only, after telling them', async () => {
    const [revoked, other] = [new FakeClient(), new FakeClient()];
    for (const client of [revoked, other]) registry.add(client);
    await auth.authenticate(revoked, await sign({ sid: 'gone' }));
    await auth.authenticate(other, await sign({ sid: 'kept' }));
    const envelope: ControlEnvelope = {
      id: randomUUID(),
      type: 'session.revoked',
      channels: ['user:alice'],
      occurredAt: new Date().toISOString(),
      data: { userId: 'alice', sid: 'gone' },
    };
    auth.revoke(envelope);
    expect(revoked.notices).toEqual(['session.revoked']);
    expect(revoked.closed).toBe(1);
    expect(other.closed).toBe(0);
  });

  it('refuses a token of a revoked session (handshake, swap and SSE all verify here), though unexpired', async () => {
    const token = await sign({ sid: 'revoked-session' });
    expect(await auth.verify(token)).toBeDefined();
    await revocations.revoke('revoked-session', 60);
    expect(await auth.verify(token)).toBeUndefined();
    const client = new FakeClient();
    registry.add(client);
    expect(await auth.authenticate(client, token)).toBe('invalid');
    expect(await auth.verify(await sign({ sid: 'other-session' }))).toBeDefined();
  });

  it('throws a 503 problem (not "invalid") when the token cannot be checked, so clients retry instead of signing out', async () => {
    class DownRevocations extends SessionRevocations {
      async revoke(): Promise<void> {}
      async isRevoked(): Promise<boolean> {
        throw new TokenCheckUnavailableError('redis down', 2);
      }
    }
    const down = new ClientAuthService(verifier, registry, new DownRevocations());
    const error = await down.verify(await sign({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemException);
    expect((error as ProblemException).getStatus()).toBe(503);
    expect((error as ProblemException).extra.headers).toEqual({ 'Retry-After': '2' });
    expect((error as ProblemException).message).not.toBe('unauthorized');
    expect((error as { data?: unknown }).data).toEqual({ code: 'unavailable', retryAfter: 2 });
  });
});
