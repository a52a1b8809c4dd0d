import { randomUUID } from 'node:crypto';
import { ProblemException } from '@tandem/platform';
import { assertUuid, decodeCursor, encodeCursor } from './snapshot.js';

function statusOf(run: () => unknown): number | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof ProblemException ? error.getStatus() : -1;
  }
}

describe('keyset cursors', () => {
  it('round-trip the position of the last row of a page, opaque to clients', () => {
    const id = randomUUID();
    const createdAt = new Date('2026-12-01T10:20:30.456Z');
    const cursor = encodeCursor(createdAt, id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(id);
    expect(decodeCursor(cursor)).toEqual({ createdAt: '2026-12-01T10:20:30.456Z', id });
  });

  it('no cursor is the first page', () => {
    expect(decodeCursor(undefined)).toBeNull();
  });

  it('refuses with 400 anything this API did not issue', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'not-a-cursor',
      '',
      encode({ createdAt: '2026-12-01T00:00:00Z', id: randomUUID() }),
      encode(['2026-12-01T00:00:00Z']),
      encode(['yesterday', randomUUID()]),
      encode(['2026-12-01T00:00:00Z', 'not-a-uuid']),
      encode(['2026-12-01T00:00:00Z', randomUUID(), 'extra']),
    ]) {
      expect(statusOf(() => decodeCursor(cursor))).toBe(400);
    }
  });
});

describe('assertUuid', () => {
  it('passes UUIDs and answers 404 for anything else, without asking the database', () => {
    expect(statusOf(() => assertUuid(randomUUID(), 'Product'))).toBeUndefined();
    expect(statusOf(() => assertUuid('42', 'Product'))).toBe(404);
    expect(statusOf(() => assertUuid("' OR 1=1 --", 'Order'))).toBe(404);
  });
});
