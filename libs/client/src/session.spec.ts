import { jest } from '@jest/globals';
import type { Session } from '@tandem/contracts';
import { TandemApiError } from './errors.js';
import { SessionManager, readClaims } from './session.js';

function token(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256', kid: 'k1' })}.${part(claims)}.signature`;
}

let issued = 0;
function session(expiresIn = 300): Session {
  issued += 1;
  return {
    user: { id: 'u1', email: 'a@b.c', name: 'A', roles: ['customer'] },
    accessToken: token({ sub: 'u1', sid: `s${issued}`, exp: 2_000_000_000 }),
    refreshToken: `r${issued}`,
    expiresIn,
  };
}

/** A refresh call the test settles by hand. */
function pendingRefresh() {
  const calls: string[] = [];
  let settle!: { resolve: (s: Session) => void; reject: (e: unknown) => void };
  const doRefresh = (refreshToken: string) => {
    calls.push(refreshToken);
    return new Promise<Session>((resolve, reject) => (settle = { resolve, reject }));
  };
  return { calls, doRefresh, settle: () => settle };
}

describe('SessionManager', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('schedules the refresh the leeway before expiry', async () => {
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh, { refreshBeforeExpirySeconds: 60 });
    manager.set(session(300));
    expect(manager.accessTokenExpiresAt).toBe(1_000_000 + 300_000);
    jest.advanceTimersByTime(239_999);
    expect(refresh.calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(refresh.calls).toEqual(['r1']);
    manager.dispose();
  });

  it('caps the leeway at 90 % of the lifetime when the token lives shorter than the leeway', () => {
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh, { refreshBeforeExpirySeconds: 60 });
    const current = session(30);
    manager.set(current);
    jest.advanceTimersByTime(2_999);
    expect(refresh.calls).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(refresh.calls).toEqual([current.refreshToken]);
    manager.dispose();
  });

  it('single-flights concurrent refreshes and reschedules from the new session', async () => {
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh, { refreshBeforeExpirySeconds: 60 });
    const first = session(300);
    manager.set(first);
    const changes: (Session | null)[] = [];
    manager.onChange((s) => changes.push(s));
    const a = manager.refresh();
    const b = manager.refresh();
    const c = manager.accessToken();
    expect(a).toBe(b);
    expect(refresh.calls).toEqual([first.refreshToken]);
    const next = session(120);
    refresh.settle().resolve(next);
    await expect(a).resolves.toBe(next);
    await expect(c).resolves.toBe(first.accessToken); // not due yet: no wait for the refresh
    expect(changes).toEqual([next]);
    expect(manager.accessTokenExpiresAt).toBe(1_000_000 + 120_000);
    jest.advanceTimersByTime(60_000);
    expect(refresh.calls).toEqual([first.refreshToken, next.refreshToken]);
    manager.dispose();
  });

  it('refreshes before handing out a token that is due (a timer that fired late)', async () => {
    let now = 1_000_000;
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh, { refreshBeforeExpirySeconds: 60, now: () => now });
    manager.set(session(300));
    now += 250_000; // the laptop slept through the timer
    const pending = manager.accessToken();
    expect(refresh.calls).toHaveLength(1);
    const next = session(300);
    refresh.settle().resolve(next);
    await expect(pending).resolves.toBe(next.accessToken);
    manager.dispose();
  });

  it('ends the session when the refresh token is refused (401), keeps it on other failures', async () => {
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh);
    manager.set(session());
    const network = manager.refresh();
    refresh.settle().reject(new TypeError('fetch failed'));
    await expect(network).rejects.toThrow('fetch failed');
    expect(manager.session).not.toBeNull();

    const refused = manager.refresh();
    refresh.settle().reject(new TandemApiError(401, undefined, new Headers()));
    await expect(refused).rejects.toMatchObject({ status: 401 });
    expect(manager.session).toBeNull();
    expect(manager.accessTokenExpiresAt).toBe(0);
    await expect(manager.accessToken()).resolves.toBeNull();
  });

  it('lets a logout during the refresh win', async () => {
    const refresh = pendingRefresh();
    const manager = new SessionManager(refresh.doRefresh);
    manager.set(session());
    const pending = manager.refresh();
    manager.set(null);
    refresh.settle().resolve(session());
    await expect(pending).resolves.toBeNull();
    expect(manager.session).toBeNull();
  });

  it('exposes the claims of the access token', () => {
    const manager = new SessionManager(pendingRefresh().doRefresh);
    const current = session();
    manager.set(current);
    expect(manager.claims).toMatchObject({ sub: 'u1', sid: `s${issued}` });
    manager.set(null);
    expect(manager.claims).toEqual({});
  });
});

describe('readClaims', () => {
  it('decodes the payload without verifying', () => {
    expect(readClaims(token({ sid: 'abc', roles: ['admin'] }))).toEqual({ sid: 'abc', roles: ['admin'] });
  });

  it.each(['', 'not-a-jwt', 'a.b', `x.${Buffer.from('[1]').toString('base64url')}.y`])('gives {} for %p', (value) => {
    expect(readClaims(value)).toEqual({});
  });
});
