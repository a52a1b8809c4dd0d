import { HasherBusyError, PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('stores scrypt with its parameters and a salt, never the password', async () => {
    const stored = await hasher.hash('password-1234');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain('password-1234');
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse');
    await expect(hasher.verify('correct horse', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct hors', stored)).resolves.toBe(false);
    await expect(hasher.verify('', stored)).resolves.toBe(false);
  });

  it('verifies with the parameters stored in the hash (they can grow later)', async () => {
    const stored = (await hasher.hash('pw')).split('$');
    // Same salt and key, claimed with another cost: the derived key differs, so it must not match.
    await expect(hasher.verify('pw', ['scrypt', '16384', ...stored.slice(2)].join('$'))).resolves.toBe(false);
  });

  it.each([
    ['another scheme', 'bcrypt$2b$10$abc'],
    ['missing parts', 'scrypt$32768$8$1'],
    ['an empty string', ''],
    ['a key that decodes to nothing', 'scrypt$32768$8$1$c2FsdA$!!'],
  ])('refuses a stored value with %s instead of throwing', async (_name, stored) => {
    await expect(hasher.verify('pw', stored)).resolves.toBe(false);
  });

  it('answers false for unknown accounts (decoy)', async () => {
    await expect(hasher.verifyDecoy('anything')).resolves.toBe(false);
  });

  it('refuses work beyond its slots and queue at once with a 503 + Retry-After, and recovers after', async () => {
    const bounded = new PasswordHasher({ PASSWORD_HASH_CONCURRENCY: 1, PASSWORD_HASH_QUEUE: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => bounded.verifyDecoy('guess')));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(refused).toHaveLength(3);
    for (const { reason } of refused) {
      expect(reason).toBeInstanceOf(HasherBusyError);
      expect((reason as HasherBusyError).getStatus()).toBe(503);
      expect((reason as HasherBusyError).extra.headers).toEqual({ 'Retry-After': '1' });
    }
    // The decoy was made outside the slots: a flood never leaves unknown emails answering 503 for good.
    await expect(bounded.verifyDecoy('later')).resolves.toBe(false);
    await expect(bounded.verify('pw', await bounded.hash('pw'))).resolves.toBe(true);
  });
});
