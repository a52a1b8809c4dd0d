import { jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { MemorySessionRevocations, NOT_REVOKED_CACHE_MS, RedisSessionRevocations } from './session-revocations.js';
import { TokenCheckUnavailableError } from './token-errors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The two commands the denylist uses, over a Map, counting round trips. */
class FakeRedis {
  readonly keys = new Map<string, string>();
  calls = 0;
  failing = false;
  async set(key: string, value: string): Promise<'OK'> {
    this.calls += 1;
    this.keys.set(key, value);
    return 'OK';
  }
  async exists(key: string): Promise<number> {
    this.calls += 1;
    if (this.failing) throw new Error('connection lost');
    return this.keys.has(key) ? 1 : 0;
  }
}

describe('MemorySessionRevocations (standalone: one process)', () => {
  it('lists a revoked session until its TTL ends', async () => {
    const list = new MemorySessionRevocations();
    await list.revoke('s1', 1);
    expect(await list.isRevoked('s1')).toBe(true);
    expect(await list.isRevoked('s2')).toBe(false);
    await sleep(1100);
    expect(await list.isRevoked('s1')).toBe(false);
  });
});

describe('RedisSessionRevocations (shared by every replica)', () => {
  let redis: FakeRedis;
  let writer: RedisSessionRevocations;
  let reader: RedisSessionRevocations;
  beforeEach(() => {
    redis = new FakeRedis();
    writer = new RedisSessionRevocations(redis as unknown as Redis);
    reader = new RedisSessionRevocations(redis as unknown as Redis);
  });

  it("sees another process's revocation once its short 'not revoked' cache lapses (well within 1 s)", async () => {
    expect(await reader.isRevoked('s1')).toBe(false);
    await writer.revoke('s1', 900);
    expect(await writer.isRevoked('s1')).toBe(true); // the writer knows at once
    await sleep(NOT_REVOKED_CACHE_MS + 20);
    expect(await reader.isRevoked('s1')).toBe(true);
  });

  it('costs one round trip for a burst of checks of one session, and none once it is known revoked', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => reader.isRevoked('s1')));
    expect(answers.every((revoked) => !revoked)).toBe(true);
    expect(redis.calls).toBe(1);
    await writer.revoke('s2', 900);
    const before = redis.calls;
    expect(await reader.isRevoked('s2')).toBe(true);
    expect(await reader.isRevoked('s2')).toBe(true);
    expect(redis.calls).toBe(before + 1);
  });

  it('writes the entry with the given TTL', async () => {
    const set = jest.spyOn(redis, 'set');
    await writer.revoke('s1', 960);
    expect(set).toHaveBeenCalledWith('tandem:revoked-session:s1', '1', 'EX', 960);
  });

  it('fails closed but retryable when Redis does not answer', async () => {
    redis.failing = true;
    await expect(reader.isRevoked('s1')).rejects.toBeInstanceOf(TokenCheckUnavailableError);
  });
});
