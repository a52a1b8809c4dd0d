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
  it("refuses an account after its budget of failures, with 429 and a Retry-After of the block's length", async () => {
    const limits = limiter();
    for (let i = 0; i < 3; i += 1) {
      await limits.assertLoginAllowed('a@x.test', `10.0.0.${i}`);
      await limits.recordFailure('a@x.test', `10.0.0.${i}`);
    }
    const problem = await refusal(limits.assertLoginAllowed('a@x.test', '10.0.0.99'));
    expect(problem.getStatus()).toBe(429);
    expect(problem.slug).toBe('rate-limited');
    expect(problem.extra.headers?.['Retry-After']).toBe('900');
    // Other accounts from a fresh IP are not affected.
    await expect(limits.assertLoginAllowed('b@x.test', '10.0.0.99')).resolves.toBeUndefined();
  });

  it('refuses an IP that failed on many accounts', async () => {
    const limits = limiter();
    for (let i = 0; i < 5; i += 1) await limits.recordFailure(`user${i}@x.test`, '192.0.2.1');
    expect((await refusal(limits.assertLoginAllowed('new@x.test', '192.0.2.1'))).getStatus()).toBe(429);
    await expect(limits.assertLoginAllowed('new@x.test', '192.0.2.2')).resolves.toBeUndefined();
  });

  it("clears an account's failures on success", async () => {
    const limits = limiter();
    for (let i = 0; i < 2; i += 1) await limits.recordFailure('a@x.test', '10.0.0.1');
    await limits.recordSuccess('a@x.test');
    for (let i = 0; i < 2; i += 1) await limits.recordFailure('a@x.test', '10.0.0.1');
    await expect(limits.assertLoginAllowed('a@x.test', '10.0.0.2')).resolves.toBeUndefined();
  });

  it('limits registrations and refreshes per IP per minute', async () => {
    const limits = limiter();
    await limits.consumeRequest('10.0.0.1');
    await limits.consumeRequest('10.0.0.1');
    expect((await refusal(limits.consumeRequest('10.0.0.1'))).getStatus()).toBe(429);
    await expect(limits.consumeRequest('10.0.0.2')).resolves.toBeUndefined();
  });
});
