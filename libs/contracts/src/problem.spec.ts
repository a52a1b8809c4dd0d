import { PROBLEM_TYPES, PROBLEM_TYPE_BASE, PROBLEM_TYPE_BY_STATUS, isProblemType, problemTypeOf } from './problem.js';

describe('problem types', () => {
  it('keep the exact spelling clients match on', () => {
    expect(PROBLEM_TYPES).toEqual(
      expect.arrayContaining([
        'validation-failed',
        'unauthorized',
        'forbidden',
        'not-found',
        'precondition-failed',
        'rate-limited',
        'unavailable',
        'email-taken',
        'sku-taken',
        'unknown-product',
        'insufficient-stock',
        'mixed-currencies',
        'invalid-transition',
        'idempotency-in-flight',
        'idempotency-key-reused',
        'malformed-body',
        'internal',
        'bad-request',
        'payload-too-large',
        'unsupported-media-type',
      ]),
    );
  });

  it('are listed once each', () => {
    expect(new Set(PROBLEM_TYPES).size).toBe(PROBLEM_TYPES.length);
  });

  it('map each status to a listed slug', () => {
    for (const slug of Object.values(PROBLEM_TYPE_BY_STATUS)) expect(isProblemType(slug)).toBe(true);
    expect(PROBLEM_TYPE_BY_STATUS[404]).toBe('not-found');
    expect(PROBLEM_TYPE_BY_STATUS[413]).toBe('payload-too-large');
    expect(PROBLEM_TYPE_BY_STATUS[503]).toBe('service-unavailable');
    expect(PROBLEM_TYPE_BY_STATUS[418]).toBeUndefined();
  });

  it('read the slug back from a type URI, and nothing from a foreign one', () => {
    expect(problemTypeOf(`${PROBLEM_TYPE_BASE}insufficient-stock`)).toBe('insufficient-stock');
    expect(problemTypeOf(`${PROBLEM_TYPE_BASE}made-up`)).toBeUndefined();
    expect(problemTypeOf('https://example.com/problems/insufficient-stock')).toBeUndefined();
    expect(problemTypeOf('about:blank')).toBeUndefined();
    expect(problemTypeOf(undefined)).toBeUndefined();
    expect(problemTypeOf(404)).toBeUndefined();
  });
});
