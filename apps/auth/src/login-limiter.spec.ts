import { ProblemException } from '@tandem/platform';
import type { AuthConfig } from './auth.config.js';
import { LoginLimiter } from './login-limiter.js';

/** In-memory counters (no Redis): the logic of one replica. */
function limiter(overrides: Partial<AuthConfig> = {}): LoginLimiter {
  return new LoginLimiter(
    {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 3,
      LOGIN_MAX_FAILURES_PER_IP: 5,
      LOGIN_BLOCK_SECONDS: 900,
      AUTH_REQUESTS_PER_IP_PER_MINUTE: 2,
      ...overrides,
    } as AuthConfig,
    null,
  );
}

async function refusal(promise: Promise<unknown>): Promise<ProblemException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe('LoginLimiter', () => {
  it("refuses an account after its budget of attempts, with 429 and a Retry-After of the block's length", async () => {
    const limits = limiter();
    for (let i = 0; i < 3; i += 1) await limits.consumeAttempt('a@x.test', `10.0.0.${i}`);
    const problem = await refusal(limits.consumeAttempt('a@x.test', '10.0.0.99'));
    expect(problem.getStatus()).toBe(429);
    expect(problem.slug).toBe('rate-limited');
    expect(problem.extra.headers?.['Retry-After']).toBe('900');
    // Other accounts from a fresh IP are not affected.
    await expect(limits.consumeAttempt('b@x.test', '10.0.0.99')).resolves.toBeUndefined();
  });

  it('spends attempts atomically: of N parallel attempts exactly the budget passes', async () => {
    const limits = limiter({ LOGIN_MAX_FAILURES_PER_ACCOUNT: 3, LOGIN_MAX_FAILURES_PER_IP: 100 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => limits.consumeAttempt('a@x.test', `10.0.1.${i}`)),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
  });

  it('refuses an IP that tried many accounts', async () => {
    const limits = limiter();
    for (let i = 0; i < 5; i += 1) await limits.consumeAttempt(`user${i}@x.test`, '192.0.2.1');
    expect((await refusal(limits.consumeAttempt('new@x.test', '192.0.2.1'))).getStatus()).toBe(429);
    await expect(limits.consumeAttempt('new@x.test', '192.0.2.2')).resolves.toBeUndefined();
  });

  it('costs a refused request no attempt of the other budget', async () => {
    const limits = limiter({ LOGIN_MAX_FAILURES_PER_ACCOUNT: 3, LOGIN_MAX_FAILURES_PER_IP: 1 });
    await limits.consumeAttempt('attacker@x.test', '192.0.2.9');
    // The IP is spent: its tries at the victim's account must not spend the victim's budget.
    for (let i = 0; i < 5; i += 1) await refusal(limits.consumeAttempt('victim@x.test', '192.0.2.9'));
    for (let i = 0; i < 3; i += 1) await limits.consumeAttempt('victim@x.test', `10.0.2.${i}`);
  });

  it("clears an account's attempts and gives the IP's back on success", async () => {
    const limits = limiter({ LOGIN_MAX_FAILURES_PER_ACCOUNT: 3, LOGIN_MAX_FAILURES_PER_IP: 3 });
    for (let i = 0; i < 2; i += 1) await limits.consumeAttempt('a@x.test', '10.0.0.1');
    await limits.consumeAttempt('a@x.test', '10.0.0.1');
    await limits.succeeded('a@x.test', '10.0.0.1');
    await limits.consumeAttempt('a@x.test', '10.0.0.2');
    await limits.consumeAttempt('b@x.test', '10.0.0.1');
    await refusal(limits.consumeAttempt('c@x.test', '10.0.0.1'));
  });

  it('refunds an attempt that was not checked', async () => {
    const limits = limiter({ LOGIN_MAX_FAILURES_PER_ACCOUNT: 1 });
    await limits.consumeAttempt('a@x.test', '10.0.0.1');
    await limits.refund('a@x.test', '10.0.0.1');
    await expect(limits.consumeAttempt('a@x.test', '10.0.0.1')).resolves.toBeUndefined();
  });

  it('limits registrations and refreshes per IP per minute', async () => {
    const limits = limiter();
    await limits.consumeRequest('10.0.0.1');
    await limits.consumeRequest('10.0.0.1');
    expect((await refusal(limits.consumeRequest('10.0.0.1'))).getStatus()).toBe(429);
    await expect(limits.consumeRequest('10.0.0.2')).resolves.toBeUndefined();
  });
});
