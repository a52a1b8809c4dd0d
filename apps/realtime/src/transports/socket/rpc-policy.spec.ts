import { forwardedHeaders, isForwardablePath } from './rpc-policy.js';

describe('rpc path filter', () => {
  it.each(['/api/v1/products', '/api/v1/products/abc?limit=5', '/api/v1/orders', '/api/v1/orders/x/cancel'])(
    'forwards %s',
    (path) => expect(isForwardablePath(path)).toBe(true),
  );

  it.each([
    '/api/v1/auth/login',
    '/health/ready',
    '/api/v1/products/../auth/login',
    '/api/v1/products/./x',
    '/api/v1/products/%2e%2e/auth',
    '/api/v1/products/a%2Fb',
    '/api/v1/orders/a%5cb',
    'http://evil.example/api/v1/products',
    '//evil.example/api/v1/products',
    '/api/v1/productsx',
    '/api/v1/products#x',
  ])('refuses %s', (path) => expect(isForwardablePath(path)).toBe(false));
});

describe('forwarded headers', () => {
  it('keeps only the headers commerce may see, lower-cased, never Authorization', () => {
    expect(
      forwardedHeaders({
        'Idempotency-Key': 'k',
        'If-Match': '"1"',
        Authorization: 'Bearer stolen',
        Cookie: 'a=b',
        'content-type': 'application/json',
      }),
    ).toEqual({ 'idempotency-key': 'k', 'if-match': '"1"', 'content-type': 'application/json' });
    expect(forwardedHeaders(undefined)).toEqual({});
  });

  it("sets X-Forwarded-For to the client's address, whatever the caller sent", () => {
    expect(forwardedHeaders({ 'X-Forwarded-For': '10.0.0.1', 'x-forwarded-for': '10.0.0.2' }, '203.0.113.9')).toEqual({
      'x-forwarded-for': '203.0.113.9',
    });
  });
});
