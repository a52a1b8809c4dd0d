import { ProblemException } from '@tandem/platform';
import { fingerprint, requireIdempotencyKey } from './idempotency.js';

function problemOf(run: () => unknown): ProblemException {
  try {
    run();
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('Idempotency-Key header', () => {
  it('accepts 1-255 visible ASCII characters', () => {
    expect(requireIdempotencyKey('a')).toBe('a');
    expect(requireIdempotencyKey('order-2026-12-01:42/retry#1')).toBe('order-2026-12-01:42/retry#1');
    expect(requireIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
  });

  it('is required: absent or empty → 400 naming the header', () => {
    for (const key of [undefined, '']) {
      const problem = problemOf(() => requireIdempotencyKey(key));
      expect(problem.getStatus()).toBe(400);
      expect(problem.extra.errors).toEqual([{ field: 'Idempotency-Key', message: 'header is required' }]);
    }
  });

  it('refuses spaces, control and non-ASCII characters, and keys over 255 characters', () => {
    for (const key of ['has space', 'tab\there', 'naïve', 'k'.repeat(256), 'line\nbreak']) {
      const problem = problemOf(() => requireIdempotencyKey(key));
      expect(problem.getStatus()).toBe(400);
      expect(problem.extra.errors?.[0]?.field).toBe('Idempotency-Key');
    }
  });
});

describe('request fingerprint (SHA-256 of the RFC 8785 canonical JSON)', () => {
  const order = { method: 'POST', path: '/api/v1/orders', body: { items: [{ productId: 'p1', quantity: 2 }] } };

  it('is the same for the same request in any key order', () => {
    const reordered = { body: { items: [{ quantity: 2, productId: 'p1' }] }, path: '/api/v1/orders', method: 'POST' };
    expect(fingerprint(reordered).equals(fingerprint(order))).toBe(true);
  });

  it('is 32 bytes and differs when anything that matters differs', () => {
    expect(fingerprint(order)).toHaveLength(32);
    const others = [
      { ...order, body: { items: [{ productId: 'p1', quantity: 3 }] } },
      { ...order, body: { items: [{ productId: 'p2', quantity: 2 }] } },
      {
        ...order,
        body: {
          items: [
            { productId: 'p1', quantity: 2 },
            { productId: 'p1', quantity: 2 },
          ],
        },
      },
      { ...order, path: '/api/v1/orders/x' },
      { ...order, body: { items: [{ productId: 'p1', quantity: '2' }] } },
    ];
    for (const other of others) expect(fingerprint(other).equals(fingerprint(order))).toBe(false);
  });

  it('keeps the order of array items (lines are not a set)', () => {
    const a = { items: [{ productId: 'p1' }, { productId: 'p2' }] };
    const b = { items: [{ productId: 'p2' }, { productId: 'p1' }] };
    expect(fingerprint(a).equals(fingerprint(b))).toBe(false);
  });

  it('writes numbers one way (1.0 and 1 are the same number)', () => {
    expect(fingerprint({ quantity: 1.0 }).equals(fingerprint({ quantity: 1 }))).toBe(true);
  });
});
