import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
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

  it('refuses crafted cursors that parse as dates but are not what the API wrote (exact round trip)', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const id = randomUUID();
    const issued = encodeCursor(new Date('2026-12-01T10:20:30.456Z'), id);
    for (const cursor of [
      encode(['1', id]),
      encode(['2020-02-30T00:00:00.000Z', id]),
      encode(['2026-12-01T10:20:30.456Z', id, null]),
      encode(['2026-12-01T10:20:30.456+00:00', id]),
      encode(['2026-12-01T10:20:30Z', id]),
      encode([1764584430456, id]),
      `${issued}=`,
      `${issued.slice(0, 4)}*${issued.slice(4)}`,
      ` ${issued}`,
    ]) {
      expect(statusOf(() => decodeCursor(cursor))).toBe(400);
    }
  });

  it('accepts a string only if it is exactly the encoding of what it decodes to', () => {
    const arbitraryCursor = fc.oneof(
      fc.string(),
      fc.base64String(),
      fc
        .tuple(
          fc.oneof(
            fc.string(),
            fc.date().map((date) => (Number.isNaN(date.getTime()) ? 'x' : date.toISOString())),
          ),
          fc.uuid(),
        )
        .map((value) => Buffer.from(JSON.stringify(value)).toString('base64url')),
    );
    fc.assert(
      fc.property(arbitraryCursor, (cursor) => {
        let decoded: { createdAt: string; id: string } | null = null;
        try {
          decoded = decodeCursor(cursor);
        } catch (error) {
          return error instanceof ProblemException && error.getStatus() === 400;
        }
        return decoded !== null && encodeCursor(new Date(decoded.createdAt), decoded.id) === cursor;
      }),
    );
  });
});

describe('assertUuid', () => {
  it('passes UUIDs and answers 404 for anything else, without asking the database', () => {
    expect(statusOf(() => assertUuid(randomUUID(), 'Product'))).toBeUndefined();
    expect(statusOf(() => assertUuid('42', 'Product'))).toBe(404);
    expect(statusOf(() => assertUuid("' OR 1=1 --", 'Order'))).toBe(404);
  });
});
